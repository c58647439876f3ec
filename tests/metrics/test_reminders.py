"""Check-in and measurement reminders (issue #16): once before due, once when late, suppressed
when the work is done, never twice (stored), honouring preferences and access."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core import mail
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from initiatives.models import Initiative
from initiatives.services import checkin_create
from metrics.models import OutboxMessage
from metrics.preferences import preferences_update
from metrics.reminders import reminder_stage, reminders_send
from tests.factories import (
    CheckInFactory,
    InitiativeFactory,
    KPIFactory,
    MeasurementFactory,
    MembershipFactory,
    ObjectiveFactory,
    TeamFactory,
    UserFactory,
)

pytestmark = pytest.mark.django_db


def at(day: dt.date) -> dt.datetime:
    return timezone.make_aware(dt.datetime.combine(day, dt.time(8, 15)))


@pytest.fixture
def owner(team):
    person = UserFactory(username="olga", email="olga@example.com")
    MembershipFactory(user=person, team=team)
    return person


@pytest.fixture
def initiative(team, owner):
    # Started 1 January, every 14 days, last check-in 1 June: due 15 June.
    item = InitiativeFactory(
        objective=ObjectiveFactory(team=team), owner=owner, title="Partner programme"
    )
    CheckInFactory(initiative=item, created_at=timezone.make_aware(dt.datetime(2026, 6, 1, 10)))
    item.refresh_from_db()
    assert item.last_checkin_at.date() == dt.date(2026, 6, 1)  # kept by a database trigger
    return item


def _run(day, capture) -> dict:
    with capture(execute=True):
        return reminders_send(now=at(day))


def test_stages():
    due = dt.date(2026, 6, 15)
    assert reminder_stage(due=due, today=dt.date(2026, 6, 12), before_days=2) is None
    assert reminder_stage(due=due, today=dt.date(2026, 6, 13), before_days=2) == "before"
    assert reminder_stage(due=due, today=due, before_days=2) == "before"
    assert reminder_stage(due=due, today=dt.date(2026, 6, 16), before_days=2) == "late"


def test_checkin_reminded_once_before_and_once_late(
    initiative, owner, django_capture_on_commit_callbacks
):
    assert _run(dt.date(2026, 6, 12), django_capture_on_commit_callbacks)["sent"] == 0, [
        m.subject for m in mail.outbox
    ]
    assert _run(dt.date(2026, 6, 13), django_capture_on_commit_callbacks)["sent"] == 1
    assert len(mail.outbox) == 1
    assert mail.outbox[0].subject == (
        "[ExecSupport] Check-in due Monday 15 June 2026: Partner programme"
    )
    assert initiative.get_absolute_url() in mail.outbox[0].body
    # The days after: nothing more before it is late, then once late, then never again.
    for day in (14, 15):
        assert _run(dt.date(2026, 6, day), django_capture_on_commit_callbacks)["sent"] == 0
    late = _run(dt.date(2026, 6, 16), django_capture_on_commit_callbacks)
    assert late["sent"] == 1
    assert "overdue since Monday 15 June" in mail.outbox[1].subject
    for day in (17, 20, 30):
        counts = _run(dt.date(2026, 6, day), django_capture_on_commit_callbacks)
        assert counts["sent"] == 0
        assert counts["already"] == 1
    assert len(mail.outbox) == 2
    assert OutboxMessage.objects.filter(event="reminder").count() == 2


def test_a_checkin_posted_suppresses_the_reminders(
    initiative, owner, django_capture_on_commit_callbacks
):
    """Before the fix there were no reminders at all; now one is sent unless the check-in
    came first."""
    checkin_create(
        initiative=initiative,
        author=owner,
        rag="green",
        confidence=80,
        progress=50,
        summary="On plan.",
        created_at=at(dt.date(2026, 6, 12)),
    )
    for day in (13, 15, 16, 20):
        assert _run(dt.date(2026, 6, day), django_capture_on_commit_callbacks)["due"] == 0
    assert not mail.outbox


def test_measurement_reminders_follow_the_kpi_cadence_and_stop_when_measured(
    team, owner, django_capture_on_commit_callbacks
):
    kpi = KPIFactory(objective=ObjectiveFactory(team=team), owner=owner, name="Win rate")
    MeasurementFactory(kpi=kpi, as_of=dt.date(2026, 5, 1), value=22)  # due 31 May
    counts = _run(dt.date(2026, 5, 29), django_capture_on_commit_callbacks)
    assert counts["sent"] == 1
    assert "Measurement due Sunday 31 May 2026: Win rate" in mail.outbox[0].subject
    assert kpi.get_absolute_url() in mail.outbox[0].body
    MeasurementFactory(kpi=kpi, as_of=dt.date(2026, 5, 30), value=23)  # next due 29 June
    for day in (dt.date(2026, 6, 1), dt.date(2026, 6, 10)):
        assert _run(day, django_capture_on_commit_callbacks)["due"] == 0
    assert len(mail.outbox) == 1


def test_preferences_off_or_digest(initiative, owner, django_capture_on_commit_callbacks):
    preferences_update(user=owner, data={"reminder": "off"})
    counts = _run(dt.date(2026, 6, 13), django_capture_on_commit_callbacks)
    assert counts["not_sent"] == 1
    assert not OutboxMessage.objects.exists()
    preferences_update(user=owner, data={"reminder": "digest"})
    assert _run(dt.date(2026, 6, 14), django_capture_on_commit_callbacks)["sent"] == 1
    held = OutboxMessage.objects.get()
    assert held.status == OutboxMessage.Status.HELD
    assert not mail.outbox


def test_paused_closed_and_proposed_initiatives_are_not_reminded(
    initiative, django_capture_on_commit_callbacks
):
    for status in ("on_hold", "done", "cancelled", "proposed"):
        Initiative.objects.filter(pk=initiative.pk).update(status=status)
        assert _run(dt.date(2026, 6, 16), django_capture_on_commit_callbacks)["due"] == 0


def test_an_owner_who_may_not_see_the_initiative_is_not_reminded(
    company, django_capture_on_commit_callbacks
):
    secret = TeamFactory(parent=company, name="M&A", is_private=True)
    stranger = UserFactory(email="s@example.com")
    MembershipFactory(user=stranger, team=TeamFactory(parent=company))
    InitiativeFactory(objective=ObjectiveFactory(team=secret), owner=stranger, title="Initech")
    counts = _run(dt.date(2026, 1, 14), django_capture_on_commit_callbacks)
    assert counts["due"] == 1
    assert counts["not_sent"] == 1
    assert not mail.outbox


def test_query_count_does_not_grow_with_the_reminders(team, django_capture_on_commit_callbacks):
    """Per reminder: the preferences and the outbox row (and its send); access once per
    person. Twice the reminders, not more than twice the queries plus a constant."""

    def make(n):
        person = UserFactory()
        MembershipFactory(user=person, team=team)
        for _ in range(n):
            InitiativeFactory(objective=ObjectiveFactory(team=team), owner=person)

    make(3)
    with (
        django_capture_on_commit_callbacks(execute=False),
        CaptureQueriesContext(connection) as small,
    ):
        assert reminders_send(now=at(dt.date(2026, 1, 14)))["sent"] == 3
    OutboxMessage.objects.all().delete()
    make(3)
    with (
        django_capture_on_commit_callbacks(execute=False),
        CaptureQueriesContext(connection) as large,
    ):
        assert reminders_send(now=at(dt.date(2026, 1, 14)))["sent"] == 6
    per_reminder = (len(large) - len(small)) / 3
    assert per_reminder <= 8, [q["sql"] for q in large.captured_queries]
