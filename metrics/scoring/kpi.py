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

from datetime import date

from metrics.scoring.common import (
    NO_DATA,
    OFF_TRACK,
    ON_TRACK,
    Result,
    Thresholds,
    clamp,
    status_for_attainment,
)
from metrics.scoring.forecast import kpi_forecast
from metrics.scoring.plan import (
    KpiPlan,
    kpi_achievement,
    kpi_expected_progress,
    kpi_planned_value,
)
from metrics.scoring.quality import kpi_data_quality
from strategy.parts import Parts, derived_neutral, part, prefixed
from strategy.quantities import is_percent_unit, quantity

EPSILON = 1e-9


def _value(plan: KpiPlan, value: float) -> dict:
    """A value of this KPI with its unit, as a quantity of the reason's parts."""
    return quantity(value, unit=plan.unit)


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
        reason: Parts = part(
            "No measurement yet: one is expected {every} from {start}.",
            every=quantity(plan.cadence_days, "every_days"),
            start=plan.baseline_date.isoformat(),
        )
        return Result(
            status=NO_DATA,
            reason=derived_neutral(reason),
            reason_parts=reason,
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
        score: float | None = 100.0
        status = ON_TRACK
        reason = (
            f"Nothing was expected yet on {last_day.isoformat()}: the plan starts on "
            f"{plan.baseline_date.isoformat()}."
        )
    else:
        attainment = achievement / expected
        score = 100.0 * clamp(attainment)
        status = status_for_attainment(attainment, t)
        reason = _reason(plan, status, last_day, last_value, planned, achievement, attainment, t)
    if today > plan.target_date and status != NO_DATA:
        reason = prefixed(
            f"Final result (target date {plan.target_date.isoformat()} passed): ", reason
        )
    if quality["latest_implausible"]:
        # A status never changes on an implausible value without saying so (issue #14).
        reason = prefixed(
            "Check the latest value: by the data-quality test it is an implausible jump from "
            "the values before it, and this status rests on it. ",
            reason,
        )
    if quality["stale"]:
        # Precedence: stale data is never shown as on track, whatever it last said.
        reason = part(
            "Stale: last measured on {day}, {ago} ago, but a value is expected {every}. "
            "The last value was at {attainment} of the expected progress."
            if attainment is not None
            else "Stale: last measured on {day}, {ago} ago.",
            day=last_day.isoformat(),
            ago=quantity(quality["days_since_last"], "days"),
            every=quantity(plan.cadence_days, "every_days"),
            attainment=quantity(attainment, "percent"),
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
        reason=derived_neutral(reason),
        reason_parts=reason,
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


def _reason(plan, status, day, value, planned, achievement, attainment, t) -> dict:
    """Why this status, as parts with quantities (units, plurals and percentage points are
    applied when rendered; the wording rules are tested in tests/metrics/test_texts.py):

    * a range KPI: inside its range, or how far outside as a share of the range's width;
    * on track: the share of the expected progress reached;
    * **beyond the baseline** (moved away from the target): says so, never "163 % below";
    * behind the plan, measured in **%**: the gap in percentage points to the planned value
      ("0.05 percentage points below the plan (99.91 %)"), never a percent of a percent;
    * behind the plan otherwise: the share of the expected progress missing ("49 % below
      trajectory").
    """
    where = part("{value} on {day}", value=_value(plan, value), day=day.isoformat())
    if plan.is_range:
        bounds = part(
            "{low} to {high}", low=quantity(plan.range_low), high=_value(plan, plan.range_high)
        )
        if attainment >= 1:
            return part("{where}: inside its range ({bounds}).", where=where, bounds=bounds)
        return part(
            "{where}: outside its range ({bounds}), {share} of the range's width away.",
            where=where,
            bounds=bounds,
            share=quantity(1 - attainment, "percent"),
        )
    planned_value = _value(plan, planned)
    if status == ON_TRACK:
        return part(
            "{where} is at {attainment} of the expected progress (plan: {planned}).",
            where=where,
            attainment=quantity(attainment, "percent"),
            planned=planned_value,
        )
    verdict = part(
        "{label} below {threshold}",
        label="off track" if status == OFF_TRACK else "at risk",
        threshold=quantity(t.off_track if status == OFF_TRACK else t.on_track, "percent"),
    )
    if achievement < 0:
        return part(
            "{where} is worse than its baseline ({baseline}): it has moved away from the target "
            "({target}) instead of towards it (plan: {planned}; {verdict} of the expected "
            "progress).",
            where=where,
            baseline=_value(plan, plan.baseline_value),
            target=_value(plan, plan.target_value),
            planned=planned_value,
            verdict=verdict,
        )
    behind = planned - value if plan.direction == "increase" else value - planned
    if is_percent_unit(plan.unit) and behind > 0:
        return part(
            "{where} is {points} {side} the plan ({planned}): {attainment} of the expected "
            "progress, {verdict}.",
            where=where,
            points=quantity(behind, "points"),
            side="below" if plan.direction == "increase" else "above",
            planned=planned_value,
            attainment=quantity(attainment, "percent"),
            verdict=verdict,
        )
    return part(
        "{where} is {gap} below trajectory (plan: {planned}; {attainment} of the expected "
        "progress, {verdict}).",
        where=where,
        gap=quantity(1 - attainment, "percent"),
        planned=planned_value,
        attainment=quantity(attainment, "percent"),
        verdict=verdict,
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
                "detail": derived_neutral(detail),
                "detail_parts": detail,
            }
        ],
        "facts": facts,
    }
