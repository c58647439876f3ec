"""Score of one KPI: progress, expected progress, attainment, gap and status.

Definitions (fractions, 0.42 = 42 %):

* achievement = (latest - baseline) / (target - baseline), uncapped: 1.25 is a real 125 %.
  The one formula covers increasing and decreasing KPIs (both differences change sign).
  For a keep-within-range KPI it is 1 inside the range and falls by the distance outside the
  range relative to the range's width (1 - distance / width, so one width outside is 0).
* progress = achievement clamped to 0-1: what rollups use, so one over-achiever cannot hide
  another's gap.
* expected progress = share of the time elapsed from baseline date to target date, or, when the
  KPI has planned trajectory points, the achievement of the planned value interpolated between
  them. It is taken **at the as-of date of the latest measurement**: a value measured on 31 March
  is compared with the plan for 31 March; a value that is too old is flagged as stale instead.
  Range KPIs are expected inside their range all along (expected = 1).
* attainment = achievement / expected; gap = expected - progress.
* status: on track at attainment >= on_track threshold, off track below off_track threshold,
  at risk between; no data when there is no measurement or the latest is stale. Missing or stale
  data is never shown as on track.
"""

from __future__ import annotations

import bisect
from dataclasses import dataclass, field
from datetime import date

from metrics.scoring.common import (
    NO_DATA,
    ON_TRACK,
    Result,
    Thresholds,
    clamp,
    num,
    pct,
    status_for_attainment,
)
from metrics.scoring.forecast import kpi_forecast
from metrics.scoring.quality import kpi_data_quality

EPSILON = 1e-9


@dataclass(frozen=True)
class KpiPlan:
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
        return self.direction == "range"


def kpi_achievement(*, plan: KpiPlan, value: float) -> float:
    """Uncapped share of the plan achieved by ``value`` (see the module docstring)."""
    if plan.is_range:
        low, high = plan.range_low, plan.range_high
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


def _value(plan: KpiPlan, value: float) -> str:
    return f"{num(value)}{(' ' + plan.unit) if plan.unit else ''}"


def kpi_score(
    *,
    plan: KpiPlan,
    measurements: list[tuple[date, float]],
    today: date,
    thresholds: Thresholds | None = None,
) -> Result:
    """Score a KPI from its plan and its measurements (as-of order, oldest first)."""
    t = thresholds or Thresholds()
    series = [(d, v) for d, v in measurements if d <= today]
    quality = kpi_data_quality(
        measurements=series,
        cadence_days=plan.cadence_days,
        today=today,
        target_date=plan.target_date,
        thresholds=t,
        created_on=plan.created_on,
    )
    if not series:
        expected = kpi_expected_progress(plan=plan, day=today)
        return Result(
            status=NO_DATA,
            reason=f"No measurement yet: one is expected every {plan.cadence_days} days "
            f"from {plan.baseline_date.isoformat()}.",
            expected_progress=expected,
            data_quality=quality,
            components=_components(plan=plan, facts={}, score=None, status=NO_DATA, detail=""),
        )

    last_day, last_value = series[-1]
    achievement = kpi_achievement(plan=plan, value=last_value)
    progress = clamp(achievement)
    expected = kpi_expected_progress(plan=plan, day=last_day)
    planned = plan.target_value if plan.is_range else kpi_planned_value(plan=plan, day=last_day)
    # After the target date only a measurement on or after it gives one (the result, P 0 or 1).
    forecast = kpi_forecast(plan=plan, measurements=series, today=today, thresholds=t)
    gap = expected - progress
    if expected <= EPSILON:
        attainment = None
        score = 100.0
        status = ON_TRACK
        reason = (
            f"Nothing was expected yet on {last_day.isoformat()}: the plan starts on "
            f"{plan.baseline_date.isoformat()}."
        )
    else:
        attainment = achievement / expected
        score = 100.0 * clamp(attainment)
        status = status_for_attainment(attainment, t)
        reason = _reason(plan, status, last_day, last_value, planned, attainment, t)
    if today > plan.target_date and status != NO_DATA:
        reason = f"Final result (target date {plan.target_date.isoformat()} passed): " + reason
    if quality["stale"]:
        # Precedence: stale data is never shown as on track, whatever it last said.
        reason = (
            f"Stale: last measured on {last_day.isoformat()}, {quality['days_since_last']} days "
            f"ago, but a value is expected every {plan.cadence_days} days. "
            f"The last value was at {pct(attainment)} of the expected progress."
            if attainment is not None
            else f"Stale: last measured on {last_day.isoformat()}, "
            f"{quality['days_since_last']} days ago."
        )
        status = NO_DATA
        score = None
    facts = {
        "latest_value": last_value,
        "latest_as_of": last_day.isoformat(),
        "planned_value": planned,
        "target_value": plan.target_value,
        "target_date": plan.target_date.isoformat(),
    }
    return Result(
        status=status,
        reason=reason,
        score=score,
        progress=progress,
        achievement=achievement,
        expected_progress=expected,
        attainment=attainment,
        gap=gap,
        forecast=forecast,
        data_quality=quality,
        components=_components(plan=plan, facts=facts, score=score, status=status, detail=reason),
    )


def _reason(plan, status, day, value, planned, attainment, t) -> str:
    where = f"{_value(plan, value)} on {day.isoformat()}"
    if plan.is_range:
        if attainment >= 1:
            return f"{where}: inside the range {num(plan.range_low)}-{num(plan.range_high)}."
        return (
            f"{where}: outside the range {num(plan.range_low)}-{num(plan.range_high)} "
            f"({pct(1 - attainment)} of the range's width away)."
        )
    if status == ON_TRACK:
        return f"{where} is at {pct(attainment)} of the expected progress (plan: {_value(plan, planned)})."
    return (
        f"{where} is {pct(1 - attainment)} below trajectory (plan: {_value(plan, planned)}; "
        f"{pct(attainment)} of the expected progress, {'at risk' if status != 'off_track' else 'off track'} "
        f"below {pct(t.on_track if status != 'off_track' else t.off_track)})."
    )


def _components(*, plan: KpiPlan, facts: dict, score, status, detail) -> dict:
    return {
        "items": [
            {
                "key": "performance",
                "label": "Progress against the plan",  # the KPI itself: never its name
                "score": score,
                "weight": 1.0,
                "status": status,
                "detail": detail,
            }
        ],
        "facts": facts,
    }
