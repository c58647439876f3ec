"""Shared vocabulary of the scoring functions: thresholds, statuses and the result record."""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

from strategy.parts import derived_neutral, prefixed
from strategy.quantities import number_text, percent_text

ON_TRACK = "on_track"
AT_RISK = "at_risk"
OFF_TRACK = "off_track"
NO_DATA = "no_data"
UNAVAILABLE = "unavailable"

# How bad a status is, for "never better than" comparisons (no data is never shown on track).
STATUS_RANK = {ON_TRACK: 0, AT_RISK: 1, OFF_TRACK: 2, NO_DATA: 3, UNAVAILABLE: 3}


@dataclass(frozen=True)
class Thresholds:
    """Every tunable of the engine; ``metrics.engine`` builds it from the GAP_* settings."""

    on_track: float = 0.9  # attainment at or above: on track
    off_track: float = 0.7  # attainment below: off track (between: at risk)
    stale_grace: float = 1.5  # a value is stale after cadence_days * stale_grace days
    forecast_window: int = 12  # cadence steps of history the forecast looks at ...
    forecast_window_days: int = 90  # ... and at least this many days
    forecast_min_points: int = 6  # fewer measurements in the window: not enough to forecast
    forecast_max_points: int = 200  # the latest this many of the window at most (cost bound)
    forecast_spread_floor: float = 0.005  # least spread per cadence step, share of the scale
    forecast_miss_below: float = 0.5  # P(value on the target date meets it) below: "misses"
    interval_level: float = 0.8  # two-sided prediction interval
    frozen_min_repeats: int = 4  # identical values in a row before "frozen" is considered
    frozen_factor: float = 3.0  # ... and the run is this many times the usual run length
    outlier_z: float = 3.5  # modified z-score (Iglewicz & Hoaglin) of a jump
    quality_window: int = 60  # most recent points the data-quality tests look at
    budget_tolerance: float = 0.15  # burn may run this far ahead of progress before alerting
    schedule_slip: float = 0.7  # schedule component below this share of plan: slipping
    contributors: int = 5  # how many top contributors are stored

    def __post_init__(self) -> None:
        errors = thresholds_errors(self)
        if errors:
            raise ValueError("; ".join(errors))


def thresholds_errors(t: Thresholds) -> list[str]:
    """What is wrong with a set of thresholds, one sentence each naming the GAP_* setting
    (empty when all is well). Checked whenever ``Thresholds`` is built, and at start-up by
    ``metrics.apps`` so that a bad setting stops the process with this message."""
    errors = []

    def fraction(setting: str, value: float, example: str) -> None:
        if not (isinstance(value, int | float) and 0 < value < 1):
            errors.append(
                f"{setting} must be a fraction strictly between 0 and 1 ({example}), not {value!r}"
            )

    fraction("GAP_FORECAST_INTERVAL", t.interval_level, "0.8 for an 80 % interval")
    fraction("GAP_FORECAST_MISS_BELOW", t.forecast_miss_below, "0.5: a miss is likelier")
    fraction("GAP_FORECAST_SPREAD_FLOOR", t.forecast_spread_floor, "0.005 for 0.5 % a step")
    for setting, value, least in (
        ("GAP_FORECAST_WINDOW", t.forecast_window, 2),
        ("GAP_FORECAST_WINDOW_DAYS", t.forecast_window_days, 1),
        ("GAP_FORECAST_MIN_POINTS", t.forecast_min_points, 3),
        ("GAP_FORECAST_MAX_POINTS", t.forecast_max_points, 3),
    ):
        if not isinstance(value, int) or isinstance(value, bool) or value < least:
            errors.append(f"{setting} must be a whole number of at least {least}, not {value!r}")
    if not errors and t.forecast_max_points < t.forecast_min_points:
        errors.append(
            f"GAP_FORECAST_MAX_POINTS ({t.forecast_max_points}) must be at least "
            f"GAP_FORECAST_MIN_POINTS ({t.forecast_min_points})"
        )
    return errors


@dataclass
class Result:
    """One computed score; field names match ``GapScore``."""

    status: str
    reason: str
    score: float | None = None
    progress: float | None = None
    achievement: float | None = None
    expected_progress: float | None = None
    attainment: float | None = None
    gap: float | None = None
    forecast: dict | None = None
    data_quality: dict = field(default_factory=dict)
    components: dict = field(default_factory=dict)
    contributors: list = field(default_factory=list)
    # The reason as ``strategy.parts`` parts, when it mentions other objects; ``reason`` is
    # then its neutral form (naming none of them). None: ``reason`` is the whole text.
    reason_parts: Any = None

    @property
    def explained(self) -> Any:
        """The reason as parts (plain text is its own parts)."""
        return self.reason if self.reason_parts is None else self.reason_parts

    def reason_prefix(self, text: str) -> None:
        """Put ``text`` before the reason, in both forms."""
        if self.reason_parts is None:
            self.reason = text + self.reason
        else:
            self.reason_parts = prefixed(text, self.reason_parts)
            self.reason = derived_neutral(self.reason_parts)


def clamp(value: float, low: float = 0.0, high: float = 1.0) -> float:
    """The value bounded to [low, high] (by default 0-1)."""
    return min(high, max(low, value))


def status_for_attainment(attainment: float, thresholds: Thresholds) -> str:
    """The status of an attainment (0-1): on track from ``thresholds.on_track``, at risk from
    ``thresholds.off_track``, else off track."""
    if attainment >= thresholds.on_track:
        return ON_TRACK
    if attainment >= thresholds.off_track:
        return AT_RISK
    return OFF_TRACK


def status_for_score(score: float | None, thresholds: Thresholds) -> str:
    """Status of a 0-100 health score, with the same thresholds as a KPI's attainment."""
    if score is None or math.isnan(score):
        return NO_DATA
    return status_for_attainment(score / 100.0, thresholds)


def pct(value: float | None) -> str:
    """0.4234 -> '42 %' (fractions are shown as whole percentages in sentences); beyond
    ±1,000 % or not a number: a phrase, never "inf %" (``strategy.quantities.percent_text``)."""
    return percent_text(value)


def num(value: float) -> str:
    """A value for a sentence: no needless decimals (``strategy.quantities.number_text``)."""
    return number_text(value)
