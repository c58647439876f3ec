"""The weekly digest (issue #16): on a fixture, what changed on what a person owns and leads
(status changes, new risks, forecasts that turned) and what they owe (stale check-ins, overdue
milestones, KPIs due), with links; a private team's items counted, never named; once per
person and week, at their day and hour in their time zone; HTML with a plain-text part."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core import mail
from django.utils import timezone

from initiatives.models import Initiative
from metrics.models import GapScore, OutboxMessage
from metrics.preferences import preferences_update, site_link
from metrics.weekly import weekly_digests_build
from strategy.models import StatusTransition
from tests.factories import (
    AlertFactory,
    CheckInFactory,
    GapScoreFactory,
    InitiativeFactory,
    KPIFactory,
    MeasurementFactory,
    MembershipFactory,
    MilestoneFactory,
    ObjectiveFactory,
    TeamFactory,
    UserFactory,
)

pytestmark = pytest.mark.django_db

# Monday 15 June 2026, 09:00 UTC (TIME_ZONE): past the default slot (Monday 08:00).
NOW = timezone.make_aware(dt.datetime(2026, 6, 15, 9, 0))
LAST_WEEK = NOW - dt.timedelta(days=3)
SECRET_WORDS = ("Initech", "Skunk")


@pytest.fixture
def world(team, company):
    """Lee leads Sales; owns an initiative and a KPI there, and owns work in a private team
    (Skunkworks) they have no role on, so may not see."""
    lee = UserFactory(username="lee", email="lee@example.com", first_name="Lee")
    MembershipFactory(user=lee, team=team, role="leader")
    secret = TeamFactory(parent=company, name="Skunkworks", is_private=True)
    objective = ObjectiveFactory(team=team, title="Win the mid-market")
    mine = InitiativeFactory(objective=objective, owner=lee, title="Partner programme")
    CheckInFactory(initiative=mine, created_at=NOW - dt.timedelta(days=40))  # stale (14 days)
    MilestoneFactory(initiative=mine, title="Pilot signed", due_date=dt.date(2026, 6, 1))
    hidden = InitiativeFactory(
        objective=ObjectiveFactory(team=secret, title="Skunk objective"),
        owner=lee,
        title="Buy Initech",
    )
    MilestoneFactory(initiative=hidden, title="Initech due diligence", due_date=dt.date(2026, 6, 2))
    for subject in (mine, hidden):
        StatusTransition.objects.create(
            subject_type="initiative",
            subject_id=subject.pk,
            from_status="active",
            to_status="on_hold",
            changed_at=NOW - dt.timedelta(days=1),
        )
    # Older than a week: not news.
    StatusTransition.objects.create(
        subject_type="objective",
        subject_id=objective.pk,
        from_status="active",
        to_status="at_risk",
        changed_at=NOW - dt.timedelta(days=20),
    )
    kpi = KPIFactory(objective=objective, owner=lee, name="Win rate", cadence_days=30)
    MeasurementFactory(kpi=kpi, as_of=dt.date(2026, 5, 20), value=25)  # due 19 June
    GapScoreFactory(
        subject_id=kpi.pk,
        is_latest=False,
        computed_at=NOW - dt.timedelta(days=10),
        forecast={"probability_on_target": 0.72},
    )
    GapScoreFactory(
        subject_id=kpi.pk,
        is_latest=True,
        computed_at=NOW - dt.timedelta(days=1),
        status=GapScore.Status.AT_RISK,
        forecast={"probability_on_target": 0.31},
    )
    AlertFactory(team=team, owner=lee, severity=3, title="Win rate far behind", opened_at=NOW)
    AlertFactory(team=secret, owner=lee, severity=3, title="Initech talks stalled", opened_at=NOW)
    return {"lee": lee, "mine": mine, "kpi": kpi, "secret": secret}


def _build(now, capture) -> dict:
    with capture(execute=True):
        return weekly_digests_build(now=now)


def test_the_digest_says_what_changed_and_what_is_owed(world, django_capture_on_commit_callbacks):
    counts = _build(NOW, django_capture_on_commit_callbacks)
    assert counts["sent"] == 1
    (message,) = [m for m in mail.outbox if m.to == ["lee@example.com"]]
    body = message.body
    assert "Partner programme: Active → On hold" in body
    assert "CRITICAL: Win rate far behind" in body
    assert "Win rate: now unlikely to reach its target (72% → 31%)" in body
    assert "Partner programme: no check-in for 40 days" in body
    assert "Pilot signed (Partner programme): due 1 Jun 2026" in body
    assert "Win rate: a measurement due 19 Jun 2026" in body
    # Links to the app's pages, absolute.
    assert site_link(world["mine"].get_absolute_url()) in body
    assert site_link(world["kpi"].get_absolute_url()) in body
    assert "/account/notifications/" in body
    # Not news: the objective's change 20 days ago.
    assert "At risk" not in body
    # The private team's parts: counted, never named (text and HTML).
    html = message.alternatives[0][0]
    assert message.alternatives[0][1] == "text/html"
    for text in (body, html, message.subject):
        for word in SECRET_WORDS:
            assert word not in text
    assert "1 more change in parts you cannot see" in body
    assert "1 more alert in parts you cannot see" in body
    assert "1 more milestone in parts you cannot see" in body
    assert '<a href="' in html
    assert "Partner programme: Active → On hold" in html


def test_once_per_person_and_week(world, django_capture_on_commit_callbacks):
    assert _build(NOW, django_capture_on_commit_callbacks)["sent"] == 1
    again = _build(NOW + dt.timedelta(hours=3), django_capture_on_commit_callbacks)
    assert again["sent"] == 0
    assert again["already"] == 1
    assert len([m for m in mail.outbox if m.to == ["lee@example.com"]]) == 1
    row = OutboxMessage.objects.get(recipient=world["lee"], kind=OutboxMessage.Kind.WEEKLY)
    assert row.dedupe_key == "weekly:2026-W25"
    assert row.status == OutboxMessage.Status.SENT
    # Next week: a new digest, about what happened since the last one.
    mail.outbox.clear()
    AlertFactory(
        team=world["mine"].team,
        owner=world["lee"],
        title="Budget burning fast",
        opened_at=NOW + dt.timedelta(days=2),
    )
    nxt = _build(NOW + dt.timedelta(days=7), django_capture_on_commit_callbacks)
    assert nxt["sent"] == 1
    body = next(m.body for m in mail.outbox if m.to == ["lee@example.com"])
    assert "Budget burning fast" in body
    assert "Win rate far behind" not in body  # told last week


def test_day_hour_and_time_zone_are_the_persons(world, django_capture_on_commit_callbacks):
    preferences_update(
        user=world["lee"],
        data={"time_zone": "America/New_York", "digest_weekday": 0, "digest_hour": 8},
    )
    # 09:00 UTC is 05:00 in New York: not yet.
    early = _build(NOW, django_capture_on_commit_callbacks)
    assert early["sent"] == 0
    assert not OutboxMessage.objects.filter(kind="weekly", recipient=world["lee"]).exists()
    # 12:30 UTC is 08:30 in New York.
    later = _build(NOW + dt.timedelta(hours=3, minutes=30), django_capture_on_commit_callbacks)
    assert later["sent"] == 1


def test_turned_off_or_nothing_to_say_sends_nothing(world, django_capture_on_commit_callbacks):
    preferences_update(user=world["lee"], data={"weekly_digest": False})
    assert _build(NOW, django_capture_on_commit_callbacks)["off"] >= 1
    assert not [m for m in mail.outbox if m.to == ["lee@example.com"]]
    quiet = UserFactory(email="quiet@example.com")
    MembershipFactory(user=quiet, team=world["mine"].team)
    assert _build(NOW, django_capture_on_commit_callbacks)["empty"] >= 1
    assert not [m for m in mail.outbox if m.to == ["quiet@example.com"]]


def test_a_paused_initiative_owes_no_check_in(world, django_capture_on_commit_callbacks):
    Initiative.objects.filter(pk=world["mine"].pk).update(status="on_hold")
    _build(NOW, django_capture_on_commit_callbacks)
    body = next(m.body for m in mail.outbox if m.to == ["lee@example.com"])
    assert "no check-in for" not in body


def _people_with_work(team, people: int, items: int) -> None:
    for _ in range(people):
        person = UserFactory()
        MembershipFactory(user=person, team=team, role="leader")
        for _ in range(items):
            initiative = InitiativeFactory(objective=ObjectiveFactory(team=team), owner=person)
            MilestoneFactory(initiative=initiative, due_date=dt.date(2026, 6, 1))
            AlertFactory(team=team, owner=person, opened_at=NOW - dt.timedelta(days=1))
            KPIFactory(objective=initiative.objective, owner=person)


def _queries(now) -> int:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as queries:
        weekly_digests_build(now=now)
    OutboxMessage.objects.all().delete()
    return len(queries)


def test_queries_grow_with_people_not_with_their_items(team):
    """No N+1: a person's digest takes the same queries whether they own 2 or 6 things."""
    _people_with_work(team, people=2, items=2)
    few = _queries(NOW)
    _people_with_work(team, people=2, items=6)
    more = _queries(NOW)
    # Two more people, each owning 6 things: about 12 queries each (an N+1 would add 6+).
    per_person = (more - few) / 2
    assert per_person <= 16, (few, more)
    OutboxMessage.objects.all().delete()
