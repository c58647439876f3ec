"""Shapes of the JSON stored on ``GapScore`` and ``Alert``: the contract between the gap engine
that writes them and the pages and API that read them.

All numbers are plain floats (JSON), dates ISO ``YYYY-MM-DD`` strings. Progress-like values are
fractions (0.42 = 42 %), never percentages.
"""

from __future__ import annotations

from typing import NotRequired, TypedDict


class Component(TypedDict):
    """One named ingredient of a score, e.g. "schedule", "checkin_freshness", "kpi:nps"."""

    key: str  # stable machine name
    label: str  # human name, e.g. "Schedule" or "KPI Net promoter score"
    score: float | None  # 0-100 health of this component; None when it has no data
    weight: float  # share of the parent score, weights of a score's components sum to 1
    status: str  # a GapScore.Status value
    detail: str  # one sentence: "Milestones 2 of 5 done, 60 % of the time elapsed"
    subject_type: NotRequired[str]  # set when the component is another scored subject
    subject_id: NotRequired[int]


class Components(TypedDict):
    """``GapScore.components``: the list of components and a few facts about the score.

    Added by the gap engine (compatible extension: the container of ``Component`` rows).
    """

    items: list[Component]  # in display order; weights of scored items sum to 1
    coverage: NotRequired[float]  # rollups: share of the parts' weight that has a score
    scored_weight: NotRequired[float]  # teams: total weight of scored parts (for the parent)
    facts: NotRequired[dict]  # KPI: latest_value, latest_as_of, planned_value, target_value,
    # target_date; initiative: elapsed, delivered, milestones_done, overdue_milestones,
    # days_since_checkin, checkin_cadence_days, started_days_ago, budget_planned, spent, burn
    fingerprint: str  # internal: hash of the stored result, for change detection


class Contributor(TypedDict):
    """One of the top reasons for a gap, largest first (``GapScore.contributors``)."""

    label: str
    gap_points: float  # score points this contributor costs the subject (0-100 scale)
    explanation: str  # "KPI Churn is 40 % below trajectory"
    subject_type: NotRequired[str]
    subject_id: NotRequired[int]


class Forecast(TypedDict):
    """``GapScore.forecast`` of a KPI with enough data (None: not enough data to forecast).

    Written by ``metrics.scoring.forecast.kpi_forecast``; scores computed before 2026-11-30 hold
    a "theil-sen" forecast without ``target_reach``, ``level`` and ``measured_on`` (readers use
    ``forecast_target_reach``/``forecast_display``, which derive them).
    """

    method: str  # "robust-rw-drift"; "measured" when a measurement on/after the date decided
    points_used: int
    window_start: str  # first as-of date of the window
    slope_per_day: float  # drift of the trend
    value_at_target: float  # projected value on the KPI's target date (measured: that value)
    interval_low: float  # prediction interval of that value
    interval_high: float
    interval_level: float  # e.g. 0.8 for an 80 % interval
    progress_at_target: float  # uncapped progress the projection implies
    # 0-1: chance that the value ON the target date meets the target (inside the range);
    # within [0.001, 0.999] before the date, exactly 0 or 1 once a measurement decided it.
    probability_on_target: float
    projected_target_date: str | None  # target_reach "on_date": when the trend reaches it
    misses_target: bool  # probability_on_target < GAP_FORECAST_MISS_BELOW (one rule)
    line: list[list]  # [[date, value], ...] of the projected line (window start, latest, target)
    # Compatible extensions:
    band: NotRequired[list[list]]  # [[date, low, high], ...] the interval from the latest value
    residual_sigma: NotRequired[float]  # spread of the one-step changes per cadence step
    target_reach: NotRequired[str]  # "already_reached" | "on_date" | "never"
    level: NotRequired[float]  # robust level the projection starts from, on the latest date
    measured_on: NotRequired[str]  # method "measured": the deciding measurement's date


class DataQuality(TypedDict):
    """``GapScore.data_quality`` of a KPI: trust in the data, shown apart from performance."""

    confidence: str  # "good" | "fair" | "poor" | "none"
    stale: bool
    days_since_last: int | None
    frozen: bool  # the same value repeated far longer than usual
    outliers: list[str]  # as-of dates of implausible jumps
    # the latest value is one of them: the status rests on a value to check (the reason says so)
    latest_implausible: NotRequired[bool]
    issues: list[str]  # human sentences, empty when all is fine
