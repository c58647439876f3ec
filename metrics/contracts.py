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
    """``GapScore.forecast`` of a KPI with enough points (None otherwise)."""

    method: str  # e.g. "theil-sen" or "least-squares"
    points_used: int
    window_start: str  # first as-of date of the fitting window
    slope_per_day: float
    value_at_target: float  # projected value on the KPI's target date
    interval_low: float  # prediction interval of that value
    interval_high: float
    interval_level: float  # e.g. 0.8 for an 80 % interval
    progress_at_target: float  # uncapped progress the projection implies
    probability_on_target: float  # 0-1: chance of reaching the target by the target date
    projected_target_date: str | None  # when the trend reaches the target; None: never
    misses_target: bool
    line: list[list]  # [[date, value], ...] points of the projected line, for charts
    # Compatible extensions by the gap engine:
    band: NotRequired[list[list]]  # [[date, low, high], ...] interval from the last value on
    residual_sigma: NotRequired[float]  # robust spread of the residuals around the trend


class DataQuality(TypedDict):
    """``GapScore.data_quality`` of a KPI: trust in the data, shown apart from performance."""

    confidence: str  # "good" | "fair" | "poor" | "none"
    stale: bool
    days_since_last: int | None
    frozen: bool  # the same value repeated far longer than usual
    outliers: list[str]  # as-of dates of implausible jumps
    issues: list[str]  # human sentences, empty when all is fine
