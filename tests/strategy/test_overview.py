from __future__ import annotations

import datetime as dt
from decimal import Decimal

from initiatives.models import Initiative
from strategy.access import access_for
from strategy.models import Priority, Strategy
from strategy.overview import OverviewFilters, overview_build
from tests.factories import (
    InitiativeFactory,
    ObjectiveFactory,
    SpendEntryFactory,
    StrategyFactory,
    ThemeFactory,
)

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
