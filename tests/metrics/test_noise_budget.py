"""The noise budget (issue #14 §3): at most NOTIFY_IMMEDIATE_PER_DAY alerts a day told at once to
a person; the rest held in the outbox and sent in one daily digest e-mail per person (plain text
and HTML, links to the app's pages), idempotent, and retried when SMTP is down."""

from __future__ import annotations

import datetime as dt
from unittest import mock

import pytest
from django.conf import settings as django_settings
from django.core import mail
from django.utils import timezone

from metrics.digest import digests_build
from metrics.engine import sweep
from metrics.models import Alert, OutboxMessage
from metrics.notifications import alerts_notify
from strategy.derived import part, ref
from tests.factories import AlertFactory, KPIFactory, MembershipFactory, TeamFactory, UserFactory

pytestmark = pytest.mark.django_db

MORNING = timezone.make_aware(dt.datetime(2026, 6, 15, 2, 30))
EVENING = timezone.make_aware(dt.datetime(2026, 6, 15, 17, 0))


@pytest.fixture
def owner(team):
    person = UserFactory(email="owner@example.com", first_name="Ada", last_name="Lovelace")
    MembershipFactory(user=person, team=team)
    return person


def _open(team, owner, n: int, severity=Alert.Severity.WARNING) -> list[Alert]:
    return [
        AlertFactory(team=team, owner=owner, severity=severity, title=f"Alert {severity}.{i}")
        for i in range(n)
    ]


def _notify(ids, now, capture) -> dict:
    with capture(execute=True):
        return alerts_notify(alert_ids=ids, now=now)


def _digest(now, capture) -> dict:
    with capture(execute=True):
        return digests_build(now=now)


def test_beyond_the_budget_alerts_wait_for_the_daily_digest(
    settings, team, owner, django_capture_on_commit_callbacks
):
    """Before: one e-mail listing all 5 at once, whatever the day had already brought."""
    settings.NOTIFY_IMMEDIATE_PER_DAY = 2
    critical = _open(team, owner, 2, Alert.Severity.CRITICAL)
    warnings = _open(team, owner, 3)
    result = _notify(
        [a.id for a in critical + warnings], MORNING, django_capture_on_commit_callbacks
    )
    assert (result["emails"], result["held"]) == (1, 3)
    assert len(mail.outbox) == 1
    # The most severe are told at once.
    sent = OutboxMessage.objects.get(kind=OutboxMessage.Kind.IMMEDIATE)
    assert sent.alert_ids == sorted(a.id for a in critical)
    held = OutboxMessage.objects.get(kind=OutboxMessage.Kind.HELD)
    assert (held.status, held.alert_ids) == ("held", sorted(a.id for a in warnings))
    assert set(Alert.objects.filter(notified_at__isnull=False)) == set(critical)

    counts = _digest(EVENING, django_capture_on_commit_callbacks)
    assert (counts["digests"], counts["alerts"]) == (1, 3)
    assert len(mail.outbox) == 2
    email = mail.outbox[1]
    assert email.to == ["owner@example.com"]
    assert email.subject == "[ExecSupport] Your daily digest: 3 alerts"
    assert "Hello Ada Lovelace," in email.body
    for alert in warnings:
        assert alert.title in email.body
    html, mimetype = email.alternatives[0]
    assert mimetype == "text/html"
    assert f'href="{django_settings.SITE_URL}/alerts/?mine=on"' in html
    held.refresh_from_db()
    digest = OutboxMessage.objects.get(kind=OutboxMessage.Kind.DIGEST)
    assert (held.status, held.digest) == ("digested", digest)
    assert (digest.status, digest.digest_date) == ("sent", dt.date(2026, 6, 15))
    assert set(Alert.objects.filter(notified_at__isnull=False)) == set(critical + warnings)


def test_the_budget_counts_over_the_whole_day_and_starts_again_the_next(
    settings, team, owner, django_capture_on_commit_callbacks
):
    settings.NOTIFY_IMMEDIATE_PER_DAY = 3
    first = _open(team, owner, 2)
    _notify([a.id for a in first], MORNING, django_capture_on_commit_callbacks)
    second = _open(team, owner, 2)
    noon = MORNING + dt.timedelta(hours=9)
    result = _notify([a.id for a in second], noon, django_capture_on_commit_callbacks)
    assert (result["emails"], result["held"]) == (1, 1)  # one left of the day's three
    third = _open(team, owner, 1)
    assert _notify([a.id for a in third], noon, django_capture_on_commit_callbacks)["held"] == 1
    tomorrow = MORNING + dt.timedelta(days=1)
    fourth = _open(team, owner, 2)
    assert _notify([a.id for a in fourth], tomorrow, django_capture_on_commit_callbacks) == {
        "alerts": 2,
        "emails": 1,
        "held": 0,
        "webhooks": 0,
    }


def test_a_budget_of_zero_sends_everything_through_the_digest(
    settings, team, owner, django_capture_on_commit_callbacks
):
    settings.NOTIFY_IMMEDIATE_PER_DAY = 0
    alerts = _open(team, owner, 2)
    assert (
        _notify([a.id for a in alerts], MORNING, django_capture_on_commit_callbacks)["emails"] == 0
    )
    assert mail.outbox == []
    _digest(EVENING, django_capture_on_commit_callbacks)
    assert len(mail.outbox) == 1


def test_the_digest_is_sent_once_a_day_however_often_it_runs(
    settings, team, owner, django_capture_on_commit_callbacks
):
    settings.NOTIFY_IMMEDIATE_PER_DAY = 0
    _notify([a.id for a in _open(team, owner, 2)], MORNING, django_capture_on_commit_callbacks)
    assert _digest(EVENING, django_capture_on_commit_callbacks)["digests"] == 1
    assert _digest(EVENING, django_capture_on_commit_callbacks)["digests"] == 0
    # Held later the same day: they wait for tomorrow's digest, never a second one today.
    late = EVENING + dt.timedelta(hours=1)
    _notify([a.id for a in _open(team, owner, 1)], late, django_capture_on_commit_callbacks)
    assert _digest(late, django_capture_on_commit_callbacks) == {
        "digests": 0,
        "alerts": 0,
        "notes": 0,
        "skipped": 1,
        "dropped": 0,
    }
    assert len(mail.outbox) == 1
    tomorrow = EVENING + dt.timedelta(days=1)
    assert _digest(tomorrow, django_capture_on_commit_callbacks)["digests"] == 1
    assert len(mail.outbox) == 2
    assert OutboxMessage.objects.filter(kind=OutboxMessage.Kind.DIGEST).count() == 2


def test_a_digest_is_not_lost_when_smtp_is_down(
    settings, team, owner, django_capture_on_commit_callbacks
):
    settings.NOTIFY_IMMEDIATE_PER_DAY = 0
    alerts = _open(team, owner, 2)
    _notify([a.id for a in alerts], MORNING, django_capture_on_commit_callbacks)
    with mock.patch(
        "django.core.mail.backends.locmem.EmailBackend.send_messages",
        side_effect=OSError("SMTP down"),
    ):
        _digest(EVENING, django_capture_on_commit_callbacks)
    digest = OutboxMessage.objects.get(kind=OutboxMessage.Kind.DIGEST)
    assert (digest.status, digest.attempts) == ("pending", 1)
    assert "SMTP down" in digest.last_error
    assert not Alert.objects.filter(notified_at__isnull=False).exists()
    # The held rows are in the pending digest: running the digest again does not repeat them.
    assert _digest(EVENING, django_capture_on_commit_callbacks)["digests"] == 0
    with django_capture_on_commit_callbacks(execute=True):
        assert sweep(now=timezone.now() + dt.timedelta(hours=1))["outbox_resent"] == 1
    digest.refresh_from_db()
    assert (digest.status, digest.attempts) == ("sent", 2)
    assert len(mail.outbox) == 1
    assert Alert.objects.filter(notified_at__isnull=False).count() == 2


def test_the_digest_is_rendered_for_its_reader(
    settings, team, owner, django_capture_on_commit_callbacks
):
    settings.NOTIFY_IMMEDIATE_PER_DAY = 0
    secret_team = TeamFactory(is_private=True, name="Skunkworks")
    secret_kpi = KPIFactory(team=secret_team, name="Canary revenue")
    visible = AlertFactory(
        team=team,
        owner=owner,
        title="Mentions a secret",
        message_parts=part("Behind because of {k}.", k=ref("kpi", secret_kpi.pk)),
    )
    # An alert the owner may not see (its team is private): never in their digest.
    hidden = AlertFactory(team=secret_team, owner=owner, title="Canary alert")
    _notify([visible.id], MORNING, django_capture_on_commit_callbacks)
    OutboxMessage.objects.filter(kind=OutboxMessage.Kind.HELD).update(
        alert_ids=[visible.id, hidden.id]
    )
    _digest(EVENING, django_capture_on_commit_callbacks)
    email = mail.outbox[0]
    everything = email.body + email.alternatives[0][0]
    assert "Behind because of a part you cannot see." in email.body
    assert "Canary" not in everything
    assert OutboxMessage.objects.get(kind="digest").alert_ids == [visible.id]


def test_held_alerts_of_someone_who_left_are_not_sent(
    settings, team, owner, django_capture_on_commit_callbacks
):
    settings.NOTIFY_IMMEDIATE_PER_DAY = 0
    _notify([a.id for a in _open(team, owner, 1)], MORNING, django_capture_on_commit_callbacks)
    owner.is_active = False
    owner.save(update_fields=["is_active"])
    assert _digest(EVENING, django_capture_on_commit_callbacks)["dropped"] == 1
    held = OutboxMessage.objects.get()
    assert held.status == "failed" and "inactive" in held.last_error  # noqa: PT018
    assert mail.outbox == []


def test_the_digest_runs_daily_from_beat():
    entry = django_settings.CELERY_BEAT_SCHEDULE["notify-daily-digest"]
    assert entry["task"] == "metrics.digests_send"
    from metrics.tasks import digests_send

    assert digests_send.name == "metrics.digests_send"


def test_an_alert_snoozed_after_it_was_held_stays_out_of_the_digest(
    settings, team, owner, django_capture_on_commit_callbacks
):
    from metrics.services import alert_snooze

    settings.NOTIFY_IMMEDIATE_PER_DAY = 0
    sleepy, awake = _open(team, owner, 2)
    _notify([sleepy.id, awake.id], MORNING, django_capture_on_commit_callbacks)
    alert_snooze(
        alert=sleepy, by=owner, until=timezone.now() + dt.timedelta(days=3), note="On leave."
    )
    _digest(timezone.now(), django_capture_on_commit_callbacks)
    assert OutboxMessage.objects.get(kind="digest").alert_ids == [awake.id]
    assert sleepy.title not in mail.outbox[0].body
