"""A small scored plan: strategy > theme > objective (with a child objective), KPIs of both
kinds, an initiative with milestones, check-ins and spend."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from strategy.models import Strategy
from tests.factories import (
    InitiativeFactory,
    KPIFactory,
    MeasurementFactory,
    MilestoneFactory,
    ObjectiveFactory,
    StrategyFactory,
    ThemeFactory,
)

TODAY = dt.date(2026, 6, 15)


@pytest.fixture
def plan(team, leader):
    strategy = StrategyFactory(status=Strategy.Status.ACTIVE, owner=leader)
    theme = ThemeFactory(strategy=strategy)
    parent = ObjectiveFactory(theme=theme, team=team, title="Grow revenue")
    child = ObjectiveFactory(theme=theme, team=team, parent=parent, title="Win SMB")
    nps = KPIFactory(name="NPS", objective=parent, team=team, kind="lagging")
    leads = KPIFactory(name="Qualified leads", objective=child, team=team, kind="leading")
    initiative = InitiativeFactory(
        objective=child,
        team=team,
        title="SMB campaign",
        budget_planned=Decimal("100000"),
        start_date=dt.date(2026, 1, 1),
        due_date=dt.date(2026, 12, 31),
        progress=45,
    )
    MilestoneFactory(
        initiative=initiative, due_date=dt.date(2026, 3, 1), completed_on=dt.date(2026, 2, 20)
    )
    for i, value in enumerate([20, 21.5, 23, 24.5, 26, 27.5]):
        MeasurementFactory(
            kpi=nps, as_of=dt.date(2026, 1, 1) + dt.timedelta(days=30 * i), value=value
        )
        MeasurementFactory(
            kpi=leads, as_of=dt.date(2026, 1, 1) + dt.timedelta(days=30 * i), value=20 + 0.5 * i
        )
    return {
        "strategy": strategy,
        "theme": theme,
        "parent": parent,
        "child": child,
        "nps": nps,
        "leads": leads,
        "initiative": initiative,
    }
