"""History runs: a past day scored from the dated records as they stood at its end."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.db.models import OuterRef, Subquery
from django.utils import timezone

from initiatives.models import CheckIn, Initiative, Milestone, SpendEntry
from metrics.engine import full_recompute, history_recompute
from metrics.models import Alert, GapScore, Measurement, SubjectType
from tests.factories import (
    CheckInFactory,
    InitiativeFactory,
    MilestoneFactory,
    SpendEntryFactory,
)
from tests.metrics.conftest import TODAY

DAY = dt.date(2026, 4, 10)


def at(day: dt.date, hour: int, minute: int = 0) -> dt.datetime:
    return timezone.make_aware(dt.datetime.combine(day, dt.time(hour, minute)))


@pytest.fixture
def dated(plan):
    """Records on both sides of DAY, and on its edges."""
    initiative = plan["initiative"]
    MilestoneFactory(  # done after DAY: overdue on DAY
        initiative=initiative, due_date=dt.date(2026, 4, 1), completed_on=dt.date(2026, 4, 20)
    )
    for created_at, progress, rag in [
        (at(dt.date(2026, 3, 20), 10), 30, CheckIn.Rag.GREEN),
        (at(DAY, 23, 59), 35, CheckIn.Rag.AMBER),  # the last one that day
        (at(DAY + dt.timedelta(days=1), 0, 1), 40, CheckIn.Rag.RED),
        (at(dt.date(2026, 5, 5), 9), 45, CheckIn.Rag.AMBER),
    ]:
        CheckInFactory(initiative=initiative, created_at=created_at, progress=progress, rag=rag)
    for day, amount in [("2026-02-10", "10000"), ("2026-04-10", "5000"), ("2026-05-10", "90000")]:
        SpendEntryFactory(initiative=initiative, date=dt.date.fromisoformat(day), amount=amount)
    shipped = InitiativeFactory(
        objective=plan["child"],
        title="Shipped in May",
        status=Initiative.Status.DONE,
        completed_on=dt.date(2026, 5, 20),
        due_date=dt.date(2026, 6, 30),
        progress=100,
        budget_planned=Decimal("50000"),
    )
    CheckInFactory(initiative=shipped, created_at=at(dt.date(2026, 3, 1), 12), progress=50)
    return plan


def latest_scores() -> dict:
    return {
        (g.subject_type, g.subject_id): (
            g.status,
            g.score,
            g.reason,
            g.progress,
            g.expected_progress,
            g.gap,
            g.components,
            g.contributors,
            g.forecast,
            g.data_quality,
        )
        for g in GapScore.objects.filter(is_latest=True)
    }


def active_alerts() -> set:
    return set(
        Alert.objects.filter(status__in=Alert.ACTIVE_STATUSES).values_list(
            "dedup_key", "severity", "message"
        )
    )


def keep_only_what_stood_at_the_end_of(day: dt.date) -> None:
    """The records as they were that night: later ones deleted, later completions undone."""
    end = at(day + dt.timedelta(days=1), 0)
    Measurement.objects.filter(as_of__gt=day).delete()
    CheckIn.objects.filter(created_at__gte=end).delete()
    SpendEntry.objects.filter(date__gt=day).delete()
    Milestone.objects.filter(completed_on__gt=day).update(completed_on=None)
    Initiative.objects.filter(completed_on__gt=day).update(
        status=Initiative.Status.ACTIVE, completed_on=None
    )
    last = CheckIn.objects.filter(initiative=OuterRef("pk")).order_by("-created_at", "-id")
    for initiative in Initiative.objects.annotate(then=Subquery(last.values("progress")[:1])):
        Initiative.objects.filter(pk=initiative.pk).update(progress=initiative.then or 0)


def test_a_history_run_scores_the_day_as_its_records_stood(dated, settings):
    # Fewer recent points than there are measurements after DAY: the day's own are read.
    settings.GAP_HISTORY_POINTS = 3
    full_recompute(today=DAY, now=at(DAY, 2, 30), history=True)
    history, history_alerts = latest_scores(), active_alerts()

    # The same day computed the ordinary way from a database that ends with it.
    keep_only_what_stood_at_the_end_of(DAY)
    GapScore.objects.all().delete()
    Alert.objects.all().delete()
    full_recompute(today=DAY, now=at(DAY, 2, 30))

    assert latest_scores() == history
    assert active_alerts() == history_alerts
    # And the day's records really were told apart from the later ones.
    initiative = dated["initiative"]
    facts = GapScore.objects.get(subject_type=SubjectType.INITIATIVE, subject_id=initiative.pk)
    facts = facts.components["facts"]
    assert facts["spent"] == 15000  # not the 90,000 of May
    assert [m["due_date"] for m in facts["overdue_milestones"]] == ["2026-04-01"]
    assert facts["days_since_checkin"] == 0  # the check-in at 23:59 that day
    assert any(key.startswith("milestone_overdue:") for key, _, _ in history_alerts)


def test_an_ordinary_run_still_uses_everything(dated):
    full_recompute(today=DAY, now=at(DAY, 2, 30))
    initiative = dated["initiative"]
    facts = GapScore.objects.get(
        subject_type=SubjectType.INITIATIVE, subject_id=initiative.pk, is_latest=True
    ).components["facts"]
    assert facts["spent"] == 105000


def test_weeks_of_history_then_today_leave_todays_scores_as_a_run_without_history(dated):
    stats = history_recompute(today=TODAY, weeks=4)
    full_recompute(today=TODAY)
    assert stats.written > 0
    strategy = dated["strategy"]
    snapshots = GapScore.objects.filter(
        subject_type=SubjectType.STRATEGY, subject_id=strategy.pk
    ).order_by("computed_at")
    assert [s.as_of for s in snapshots] == [
        TODAY - dt.timedelta(weeks=4),
        TODAY - dt.timedelta(weeks=3),
        TODAY - dt.timedelta(weeks=2),
        TODAY - dt.timedelta(weeks=1),
        TODAY,
    ]
    assert timezone.localtime(snapshots[0].computed_at).time() == dt.time(2, 30)
    assert [s.is_latest for s in snapshots] == [False] * 4 + [True]
    assert not Alert.objects.filter(notified_at__isnull=False).exclude(
        opened_at__date=timezone.localdate()
    )  # the past days' alerts were never sent

    with_history, alerts = latest_scores(), {key for key, _, _ in active_alerts()}
    GapScore.objects.all().delete()
    Alert.objects.all().delete()
    full_recompute(today=TODAY)
    assert latest_scores() == with_history
    assert {key for key, _, _ in active_alerts()} == alerts
