from __future__ import annotations

import datetime as dt
from decimal import Decimal

from django.utils import timezone

from initiatives.models import Initiative
from metrics.models import SubjectType
from strategy.access import access_for
from strategy.models import Priority, Strategy
from strategy.selectors import OverviewFilters
from tests.factories import (
    AlertFactory,
    CheckInFactory,
    GapScoreFactory,
    InitiativeFactory,
    ObjectiveFactory,
    SpendEntryFactory,
    StrategyFactory,
    TeamFactory,
    ThemeFactory,
)
from workspace.overview import overview_build

TODAY = dt.date(2026, 6, 1)


def test_allocation_sums_budget_effort_and_spend_by_theme_and_priority(admin, team):
    strategy = StrategyFactory(status=Strategy.Status.ACTIVE)
    growth, trust = ThemeFactory(strategy=strategy), ThemeFactory(strategy=strategy)
    high = ObjectiveFactory(theme=growth, team=team, priority=Priority.HIGH)
    low = ObjectiveFactory(theme=growth, team=team, priority=Priority.LOW)
    other = ObjectiveFactory(theme=trust, team=team, priority=Priority.HIGH)
    a = InitiativeFactory(objective=high, budget_planned=1000, effort_planned_fte=Decimal("1.5"))
    InitiativeFactory(objective=low, budget_planned=500, effort_planned_fte=Decimal("0.5"))
    c = InitiativeFactory(objective=other, budget_planned=300, effort_planned_fte=1)
    cancelled = InitiativeFactory(
        objective=high, budget_planned=9000, status=Initiative.Status.CANCELLED
    )
    # Several spend entries on one initiative must not repeat its budget in the sums.
    SpendEntryFactory(initiative=a, amount=Decimal("100.00"))
    SpendEntryFactory(initiative=a, amount=Decimal("150.00"))
    SpendEntryFactory(initiative=a, amount=Decimal("50.00"))
    SpendEntryFactory(initiative=c, amount=Decimal("20.00"))
    SpendEntryFactory(initiative=cancelled, amount=Decimal("7000.00"))  # not counted

    data = overview_build(access=access_for(admin), filters=OverviewFilters(), today=TODAY)

    by_theme = {row["theme"].pk: row for row in data.by_theme}
    assert by_theme[growth.pk]["budget"] == Decimal(1500)
    assert by_theme[growth.pk]["effort"] == Decimal(2)
    assert by_theme[growth.pk]["spent"] == Decimal(300)
    assert by_theme[growth.pk]["count"] == 2
    assert by_theme[trust.pk]["budget"] == Decimal(300)
    assert by_theme[trust.pk]["spent"] == Decimal(20)
    assert by_theme[trust.pk]["count"] == 1

    by_priority = {row["priority"]: row for row in data.by_priority}
    assert by_priority["High"]["budget"] == Decimal(1300)
    assert by_priority["High"]["count"] == 2
    assert by_priority["High"]["budget_share"] == 1300 / 1800
    assert by_priority["Low"]["budget"] == Decimal(500)
    assert by_priority["Critical"]["count"] == 0
    assert by_priority["Critical"]["budget_share"] == 0


def test_allocation_follows_the_theme_filter(admin, team):
    strategy = StrategyFactory(status=Strategy.Status.ACTIVE)
    growth, trust = ThemeFactory(strategy=strategy), ThemeFactory(strategy=strategy)
    kept = InitiativeFactory(objective=ObjectiveFactory(theme=growth, team=team), budget_planned=10)
    dropped = InitiativeFactory(
        objective=ObjectiveFactory(theme=trust, team=team), budget_planned=20
    )
    SpendEntryFactory(initiative=kept, amount=Decimal("4.00"))
    SpendEntryFactory(initiative=dropped, amount=Decimal("8.00"))

    filters = OverviewFilters(theme_id=growth.pk)
    data = overview_build(access=access_for(admin), filters=filters, today=TODAY)

    by_theme = {row["theme"].pk: row for row in data.by_theme}
    assert by_theme[growth.pk]["spent"] == Decimal(4)
    assert by_theme[trust.pk]["spent"] == 0
    assert by_theme[trust.pk]["budget"] == 0


def test_largest_objectives_by_budget_sum_their_initiatives_largest_first(admin, team):
    strategy = StrategyFactory(status=Strategy.Status.ACTIVE)
    theme = ThemeFactory(strategy=strategy)

    def objective(title, priority, *budgets, cancelled=0):
        made = ObjectiveFactory(theme=theme, team=team, title=title, priority=priority)
        for budget in budgets:
            InitiativeFactory(objective=made, budget_planned=budget, effort_planned_fte=1)
        if cancelled:
            InitiativeFactory(
                objective=made, budget_planned=cancelled, status=Initiative.Status.CANCELLED
            )
        return made

    big = objective("Big", Priority.LOW, 600, 500)
    tie_b = objective("Tie B", Priority.HIGH, 400)
    tie_a = objective("Tie A", Priority.MEDIUM, 300, 100)
    small = objective("Small", Priority.CRITICAL, 50, cancelled=10_000)  # cancelled not counted
    for n in range(8):  # more objectives than the list shows
        objective(f"Tiny {n}", Priority.LOW, 1)

    data = overview_build(access=access_for(admin), filters=OverviewFilters(), today=TODAY)

    rows = data.top_objectives_budget
    assert len(rows) == 8
    assert [r["objective_id"] for r in rows[:4]] == [big.pk, tie_a.pk, tie_b.pk, small.pk]
    assert [r["budget"] for r in rows[:4]] == [1100, 400, 400, 50]
    assert rows[0]["effort"] == 2
    assert rows[0]["priority_label"] == "Low"
    assert rows[0]["share"] == 1100 / 1958
    assert rows[3]["objective__title"] == "Small"


def test_stale_checkins_follow_the_one_rule_longest_overdue_first(admin, team):
    strategy = StrategyFactory(status=Strategy.Status.ACTIVE)
    objective = ObjectiveFactory(theme=ThemeFactory(strategy=strategy), team=team)

    def initiative(title, cadence, silent_days=None, start=dt.date(2026, 1, 1), **kwargs):
        made = InitiativeFactory(
            objective=objective, title=title, checkin_cadence_days=cadence, start_date=start
        )
        if silent_days is not None:
            at = dt.datetime.combine(TODAY - dt.timedelta(days=silent_days), dt.time(12))
            CheckInFactory(initiative=made, created_at=timezone.make_aware(at))
        Initiative.objects.filter(pk=made.pk).update(**kwargs)
        return made

    weekly = initiative("Weekly, 30 days silent", 7, 30)  # 23 days late
    initiative("Fortnightly, 21 days silent", 14, 21)  # late, but within 14 x 1.5
    fortnightly = initiative("Fortnightly, 22 days silent", 14, 22)  # 8 days late
    never = initiative("Never checked in", 14, start=TODAY - dt.timedelta(days=40))  # 26 late
    initiative("On hold", 7, 60, status=Initiative.Status.ON_HOLD)
    initiative("Not started", 7, start=TODAY + dt.timedelta(days=3))

    data = overview_build(access=access_for(admin), filters=OverviewFilters(), today=TODAY)

    assert [i.pk for i in data.stale] == [never.pk, weekly.pk, fortnightly.pk]
    assert [(i.checkin_days, i.checkin_days_late) for i in data.stale] == [
        (40, 26),
        (30, 23),
        (22, 8),
    ]
    assert data.stale[0].last_checkin_at is None


def test_counts_and_lists_cover_what_the_person_may_see(leader, team, company, monkeypatch):
    """Totals are of everything in scope, lists are cut; a private team's rows count nowhere."""
    monkeypatch.setattr("workspace.overview.objectives.MAP_LIMIT", 2)
    secret = TeamFactory(name="Secret", slug="secret", parent=company, is_private=True)
    strategy = StrategyFactory(status=Strategy.Status.ACTIVE)
    theme = ThemeFactory(strategy=strategy)
    objectives = [ObjectiveFactory(theme=theme, team=team, title=f"O{i}") for i in range(3)]
    hidden = ObjectiveFactory(theme=theme, team=secret)
    initiative = InitiativeFactory(objective=objectives[0])
    hidden_initiative = InitiativeFactory(objective=hidden)
    now = timezone.make_aware(dt.datetime.combine(TODAY, dt.time(9)))
    for days in (1, 2, 40):  # two since the default 30 days, one before
        CheckInFactory(initiative=initiative, created_at=now - dt.timedelta(days=days))
    CheckInFactory(initiative=hidden_initiative, created_at=now - dt.timedelta(days=1))
    for severity, days, owner_team in ((3, 1, team), (2, 60, team), (3, 1, secret)):
        AlertFactory(severity=severity, opened_at=now - dt.timedelta(days=days), team=owner_team)
    for subject, score in ((team, 40.0), (secret, 10.0)):
        GapScoreFactory(subject_type=SubjectType.TEAM, subject_id=subject.pk, score=score)

    filters = OverviewFilters(since=TODAY - dt.timedelta(days=30))
    data = overview_build(access=access_for(leader), filters=filters, today=TODAY)

    assert data.objectives_total == 3
    assert [o.title for o in data.objectives] == ["O0", "O1"]
    assert data.since_counts["checkins"] == 2
    assert [c.created_at for c in data.recent_checkins] == [
        now - dt.timedelta(days=1),
        now - dt.timedelta(days=2),
    ]
    assert data.alert_counts == {"total": 2, "critical": 1, "opened_since": 1}
    assert list(data.team_scores) == [team.pk]


def _score_objectives(objectives, statuses):
    for objective, status in zip(objectives, statuses, strict=False):
        if status is not None:
            GapScoreFactory(
                subject_type=SubjectType.OBJECTIVE, subject_id=objective.pk, status=status
            )


STATUSES = ["on_track", "at_risk", "at_risk", "off_track", "no_data", "no_data", None]


def test_objectives_card_counts_every_status_no_data_and_not_scored_included(admin, team, client):
    """The tester's "23: On track 2, At risk 12, Off track 4": the "No data" objectives were
    missing from the breakdown. Every part is shown and the parts add up to the total."""
    strategy = StrategyFactory(status=Strategy.Status.ACTIVE)
    theme = ThemeFactory(strategy=strategy)
    objectives = [ObjectiveFactory(theme=theme, team=team) for _ in STATUSES]
    _score_objectives(objectives, STATUSES)

    data = overview_build(access=access_for(admin), filters=OverviewFilters(), today=TODAY)

    assert data.objectives_total == 7
    assert data.status_counts == {
        "on_track": 1,
        "at_risk": 2,
        "off_track": 1,
        "no_data": 2,
        None: 1,
    }
    assert sum(data.status_counts.values()) == data.objectives_total
    client.force_login(admin)
    page = client.get("/overview/").content.decode()
    card = page.split('stat__label">Objectives')[1].split("</div>")[0]
    assert "No data</span> 2" in card
    assert "Not scored yet</span> 1" in card


def test_objectives_card_counts_every_objective_when_the_map_is_cut(admin, team, monkeypatch):
    monkeypatch.setattr("workspace.overview.objectives.MAP_LIMIT", 3)
    strategy = StrategyFactory(status=Strategy.Status.ACTIVE)
    theme = ThemeFactory(strategy=strategy)
    objectives = [ObjectiveFactory(theme=theme, team=team) for _ in STATUSES]
    _score_objectives(objectives, STATUSES)

    data = overview_build(access=access_for(admin), filters=OverviewFilters(), today=TODAY)

    assert len(data.objectives) == 3
    assert data.status_counts == {
        "on_track": 1,
        "at_risk": 2,
        "off_track": 1,
        "no_data": 2,
        None: 1,
    }
