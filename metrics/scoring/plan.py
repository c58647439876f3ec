"""A KPI's plan and where it puts the KPI on a day: baseline and target (values, dates),
trajectory points, range bounds; achievement, planned value and expected progress.

Definitions: see ``metrics.scoring.kpi``'s docstring (achievement uncapped, expected progress
the share of time elapsed or the trajectory's planned value). The KPI score and the forecast
both read the plan here, so neither imports the other for it.
"""

from __future__ import annotations

import bisect
from dataclasses import dataclass, field
from datetime import date

from metrics.scoring.common import clamp


@dataclass(frozen=True)
class KpiPlan:
    """A KPI's plan as the KPI score reads it: direction, baseline and target (values, dates),
    cadence in days, range bounds and trajectory."""

    name: str
    direction: str  # "increase" | "decrease" | "range"
    baseline_value: float
    baseline_date: date
    target_value: float
    target_date: date
    cadence_days: int = 30
    range_low: float | None = None
    range_high: float | None = None
    trajectory: tuple[tuple[date, float], ...] = field(default_factory=tuple)
    unit: str = ""
    created_on: date | None = None  # one cadence of grace from it (``kpi_is_stale``)

    @property
    def is_range(self) -> bool:
        """True for a keep-within-range KPI."""
        return self.direction == "range"

    @property
    def bounds(self) -> tuple[float, float]:
        """(low, high) of a keep-within-range plan: a range KPI has both (its form, its
        serializer and the database's kpi_range_bounds_ordered require them)."""
        if self.range_low is None or self.range_high is None:
            raise ValueError("A keep-within-range KPI needs both range bounds.")
        return self.range_low, self.range_high


def kpi_achievement(*, plan: KpiPlan, value: float) -> float:
    """Uncapped share of the plan achieved by ``value`` (see the module docstring)."""
    if plan.is_range:
        low, high = plan.bounds
        width = high - low
        if low <= value <= high:
            return 1.0
        distance = low - value if value < low else value - high
        return 1.0 - distance / width
    return (value - plan.baseline_value) / (plan.target_value - plan.baseline_value)


def _plan_points(plan: KpiPlan) -> list[tuple[date, float]]:
    points = {plan.baseline_date: plan.baseline_value}
    for day, value in plan.trajectory:
        if plan.baseline_date < day < plan.target_date:
            points[day] = value
    points[plan.target_date] = plan.target_value
    return sorted(points.items())


def kpi_planned_value(*, plan: KpiPlan, day: date) -> float:
    """The value the plan expects on ``day``: linear between baseline, trajectory points and
    target; the baseline before the start, the target after the target date."""
    points = _plan_points(plan)
    if day <= points[0][0]:
        return points[0][1]
    if day >= points[-1][0]:
        return points[-1][1]
    days = [p[0] for p in points]
    i = bisect.bisect_right(days, day)
    (d0, v0), (d1, v1) = points[i - 1], points[i]
    return v0 + (v1 - v0) * (day - d0).days / (d1 - d0).days


def kpi_expected_progress(*, plan: KpiPlan, day: date) -> float:
    """Share of the plan expected by ``day`` (0-1)."""
    if plan.is_range:
        return 1.0
    if plan.trajectory:
        return clamp(kpi_achievement(plan=plan, value=kpi_planned_value(plan=plan, day=day)))
    total = (plan.target_date - plan.baseline_date).days
    return clamp((day - plan.baseline_date).days / total)
