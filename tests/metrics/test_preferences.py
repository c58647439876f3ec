"""Per-person notification preferences (issue #16, notifications): each kind of event at once,
in the daily digest, or off; ``notification_send`` honours them, refuses subjects the person may
not see, writes once per key, and routes through the outbox (the page and the API set them)."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core import mail
from django.utils import timezone

from metrics.digest import digests_build
from metrics.models import Alert, NotificationPreferences, OutboxMessage
from metrics.notifications import alerts_notify
from metrics.preferences import notification_send, preferences_get, preferences_update
from tests.factories import (
    AlertFactory,
    InitiativeFactory,
    MembershipFactory,
    ObjectiveFactory,
    TeamFactory,
    UserFactory,
)

pytestmark = pytest.mark.django_db

MORNING = timezone.make_aware(dt.datetime(2026, 6, 15, 9, 0))
EVENING = timezone.make_aware(dt.datetime(2026, 6, 15, 17, 0))


@pytest.fixture
def person(team):
    user = UserFactory(username="pat", email="pat@example.com", first_name="Pat")
    MembershipFactory(user=user, team=team)
    return user


@pytest.fixture
def objective(team):
    return ObjectiveFactory(team=team, title="Grow the mid-market")


def _send(person, objective, capture, **kwargs):
    with capture(execute=True):
        return notification_send(
            recipient=person,
            kind=kwargs.pop("kind", "mention"),
            subject_obj=kwargs.pop("subject_obj", objective),
            title=kwargs.pop("title", "Sam mentioned you on Grow the mid-market"),
            text=kwargs.pop("text", "@pat can you look at the Q3 numbers?"),
            now=MORNING,
            **kwargs,
        )


def test_defaults_are_quiet_and_unsaved(person):
    prefs = preferences_get(user=person)
    assert prefs.pk is None
    assert prefs.delivery_for("alert_critical") == "immediate"
    assert prefs.delivery_for("alert_info") == "digest"
    assert prefs.delivery_for("work") == "digest"
    assert prefs.delivery_for("weekly") == "digest"
    assert not NotificationPreferences.objects.exists()


def test_immediate_mention_goes_through_the_outbox_with_html(
    person, objective, django_capture_on_commit_callbacks
):
    row = _send(person, objective, django_capture_on_commit_callbacks)
    assert row.kind == OutboxMessage.Kind.IMMEDIATE
    assert row.event == "mention"
    row.refresh_from_db()
    assert row.status == OutboxMessage.Status.SENT
    assert len(mail.outbox) == 1
    message = mail.outbox[0]
    assert message.to == ["pat@example.com"]
    assert "Sam mentioned you" in message.subject
    assert objective.get_absolute_url() in message.body
    assert "/account/notifications/" in message.body
    html = message.alternatives[0][0]
    assert "@pat can you look" in html
    assert "<a href=" in html


def test_off_sends_nothing(person, objective, django_capture_on_commit_callbacks):
    preferences_update(user=person, data={"mention": "off"})
    assert _send(person, objective, django_capture_on_commit_callbacks) is None
    assert not OutboxMessage.objects.exists()
    assert not mail.outbox


def test_digest_holds_it_for_the_daily_digest(
    person, objective, django_capture_on_commit_callbacks
):
    preferences_update(user=person, data={"mention": "digest"})
    row = _send(person, objective, django_capture_on_commit_callbacks)
    assert row.status == OutboxMessage.Status.HELD
    assert not mail.outbox
    with django_capture_on_commit_callbacks(execute=True):
        counts = digests_build(now=EVENING)
    assert counts["digests"] == 1
    assert counts["notes"] == 1
    assert counts["alerts"] == 0
    assert len(mail.outbox) == 1
    body = mail.outbox[0].body
    assert "Sam mentioned you on Grow the mid-market" in body
    assert "Someone mentions me" in body
    assert "@pat can you look" in mail.outbox[0].alternatives[0][0]
    row.refresh_from_db()
    assert row.status == OutboxMessage.Status.DIGESTED


def test_held_note_of_an_object_no_longer_visible_is_left_out_of_the_digest(
    person, team, company, django_capture_on_commit_callbacks
):
    secret = TeamFactory(parent=company, name="M&A", is_private=True)
    MembershipFactory(user=person, team=secret, role="viewer")
    hidden = ObjectiveFactory(team=secret, title="Buy Initech")
    preferences_update(user=person, data={"work": "digest"})
    row = _send(
        person, hidden, django_capture_on_commit_callbacks, kind="work", title="Buy Initech moved"
    )
    assert row is not None
    person.memberships.filter(team=secret).delete()
    del person._execsupport_access
    with django_capture_on_commit_callbacks(execute=True):
        counts = digests_build(now=EVENING)
    assert counts["notes"] == 0
    assert counts["digests"] == 0
    assert not mail.outbox


def test_nobody_is_told_of_an_object_they_may_not_see(
    person, company, django_capture_on_commit_callbacks
):
    secret = TeamFactory(parent=company, name="M&A", is_private=True)
    hidden = ObjectiveFactory(team=secret, title="Buy Initech")
    assert _send(person, hidden, django_capture_on_commit_callbacks) is None
    assert not OutboxMessage.objects.exists()


def test_inactive_or_addressless_people_get_nothing(
    person, objective, django_capture_on_commit_callbacks
):
    person.email = ""
    person.save()
    assert _send(person, objective, django_capture_on_commit_callbacks) is None
    person.email, person.is_active = "pat@example.com", False
    person.save()
    assert _send(person, objective, django_capture_on_commit_callbacks) is None


def test_a_key_is_sent_once(person, objective, django_capture_on_commit_callbacks):
    first = _send(person, objective, django_capture_on_commit_callbacks, dedupe_key="c:1")
    again = _send(person, objective, django_capture_on_commit_callbacks, dedupe_key="c:1")
    assert first is not None
    assert again is None
    assert len(mail.outbox) == 1


def test_unknown_kind_is_refused(person, objective):
    with pytest.raises(ValueError, match="Unknown notification kind"):
        notification_send(recipient=person, kind="gossip", subject_obj=objective, title="x")


def test_milestone_visibility_follows_its_initiative(
    person, team, django_capture_on_commit_callbacks
):
    from tests.factories import MilestoneFactory

    milestone = MilestoneFactory(initiative=InitiativeFactory(team=team))
    row = _send(person, None, django_capture_on_commit_callbacks, subject_obj=milestone)
    assert row is not None
    assert row.subject_type == "milestone"


# --- alerts honour the preference of their severity -------------------------------------------
def _alerts(team, person, severities):
    return [
        AlertFactory(team=team, owner=person, severity=s, title=f"Alert {i}")
        for i, s in enumerate(severities)
    ]


def test_alert_preferences_per_severity(settings, person, team, django_capture_on_commit_callbacks):
    """Before: every alert of the owner was e-mailed at once (within the budget) whatever
    the person wanted."""
    settings.NOTIFY_IMMEDIATE_PER_DAY = 10
    preferences_update(
        user=person,
        data={"alert_critical": "immediate", "alert_warning": "digest", "alert_info": "off"},
    )
    critical, warning, info = _alerts(
        team,
        person,
        [Alert.Severity.CRITICAL, Alert.Severity.WARNING, Alert.Severity.INFO],
    )
    with django_capture_on_commit_callbacks(execute=True):
        result = alerts_notify(alert_ids=[critical.id, warning.id, info.id], now=MORNING)
    assert result["emails"] == 1
    assert result["held"] == 1
    assert len(mail.outbox) == 1
    assert "Alert 0" in mail.outbox[0].subject
    held = OutboxMessage.objects.get(kind=OutboxMessage.Kind.HELD)
    assert held.alert_ids == [warning.id]
    with django_capture_on_commit_callbacks(execute=True):
        digests_build(now=EVENING)
    assert len(mail.outbox) == 2
    assert "Alert 1" in mail.outbox[1].body
    assert "Alert 2" not in mail.outbox[1].body


def test_preferences_update_refuses_a_bad_value_and_writes_nothing(person):
    from django.core.exceptions import ValidationError

    with pytest.raises(ValidationError) as caught:
        preferences_update(user=person, data={"mention": "loud", "time_zone": "Mars/Olympus"})
    assert set(caught.value.message_dict) == {"mention", "time_zone"}
    assert not NotificationPreferences.objects.exists()


@pytest.mark.parametrize("scope", [None, "read", "admin"])
def test_options_of_the_preferences_endpoint_answers_in_every_format(admin, scope):
    """OPTIONS describes the endpoint for any token in any format it offers (``?format=csv``
    too), never a 500."""
    from rest_framework.test import APIClient

    from strategy.services import token_create

    client = APIClient()
    if scope:
        _, secret = token_create(user=admin, name="t", scopes=[scope], created_by=admin)
        client.credentials(HTTP_AUTHORIZATION=f"Bearer {secret}")
    for fmt in ("json", "csv"):
        response = client.options(f"/api/v1/me/notification-preferences/?format={fmt}")
        assert response.status_code == (200 if scope else 401), (fmt, response.content[:300])
