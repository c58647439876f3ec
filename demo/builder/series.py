"""Measurement series for the demo, generated with numpy: no ORM, no clock.

A series is the plan (baseline to target, linear or along trajectory points) scaled by a
scenario's pace, plus a slow wobble (smoothed noise), white noise and, for daily counts, a
weekend dip. Scenarios then add their defect: a wrong-way drift, a frozen tail, one
implausible jump, or a gap at the end.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import numpy as np

# Pace: the share of the planned path a scenario actually covers.
PACE = {
    "on_track": (0.97, 1.1),
    "ahead": (1.25, 1.4),
    "at_risk": (0.68, 0.8),
    "off_track": (0.15, 0.35),
    "early_warning": (0.95, 1.05),
    "stale": (0.8, 0.95),
    "frozen": (0.45, 0.55),
    "jump": (0.97, 1.08),
    "achieved": (1.1, 1.2),
    "no_data": (1.0, 1.0),
}
JUMP_FACTOR = 9.0  # the double-counted import: nine times the normal value
WRONG_WAY_DAYS = 75  # the early warning and the range breach build up over this many days


@dataclass(frozen=True)
class SeriesPlan:
    """How a demo KPI's measurements move: its plan (baseline and target, their dates), the
    ``scenario`` and its noise, decimals, range and hard bounds, weekend dip, trajectory and whether
    it is a running total."""

    direction: str  # increase / decrease / range
    baseline: float
    target: float
    baseline_date: dt.date
    target_date: dt.date
    scenario: str
    noise: float
    decimals: int
    range_low: float | None = None
    range_high: float | None = None
    lower: float | None = None
    upper: float | None = None
    weekly: float = 0.0
    trajectory: tuple[float, ...] = ()
    cumulative: bool = False


def series_dates(*, cadence: int, first: dt.date, last: dt.date) -> np.ndarray:
    """As-of dates from ``first`` to ``last``: every day, every Sunday, or every month-end."""
    start, end = np.datetime64(first, "D"), np.datetime64(last, "D")
    if end < start:
        return np.array([], dtype="datetime64[D]")
    if cadence == 1:
        return np.arange(start, end + 1, dtype="datetime64[D]")
    if cadence == 7:
        # 1970-01-01 was a Thursday: day 3 of the epoch is the first Sunday.
        offset = (3 - start.astype(np.int64)) % 7
        return np.arange(start + offset, end + 1, 7, dtype="datetime64[D]")
    months = np.arange(start.astype("datetime64[M]"), end.astype("datetime64[M]") + 1)
    month_ends = (months + 1).astype("datetime64[D]") - 1
    return month_ends[(month_ends >= start) & (month_ends <= end)]


def _smooth(rng: np.random.Generator, n: int, window: int) -> np.ndarray:
    """Zero-mean noise with slow swings: white noise through a moving average."""
    if n == 0:
        return np.zeros(0)
    window = max(1, min(window, n))
    white = rng.standard_normal(n + window - 1)
    smooth = np.convolve(white, np.ones(window) / np.sqrt(window), mode="valid")
    return smooth


def series_values(*, rng: np.random.Generator, dates: np.ndarray, plan: SeriesPlan) -> np.ndarray:
    """The values of a KPI on ``dates`` (datetime64[D], ascending) for its scenario."""
    n = len(dates)
    if n == 0:
        return np.zeros(0)
    b_day = np.datetime64(plan.baseline_date, "D")
    plan_days = (np.datetime64(plan.target_date, "D") - b_day).astype(np.int64)
    x = (dates - b_day).astype(np.int64) / plan_days  # share of the plan period elapsed
    breach = plan.direction == "range" and plan.scenario == "off_track"
    # A range KPI gets into its range within the first half of the plan and then holds it;
    # one that goes off track does so by drifting out again (below).
    lo, hi = PACE["on_track" if breach else plan.scenario]
    pace = rng.uniform(lo, hi) * (2 if plan.direction == "range" else 1)

    if plan.trajectory:
        marks = np.linspace(0, 1, len(plan.trajectory) + 2)
        shares = np.array([0.0, *plan.trajectory, 1.0])
        planned = np.interp(np.clip(x, 0, None), marks, shares) + np.clip(x - 1, 0, None)
    else:
        planned = np.clip(x, 0, None)
    share = pace * planned
    # Before the baseline the KPI drifted slowly towards it from slightly worse.
    share = np.where(x < 0, 0.12 * x, share)
    cap = 1.0 if plan.direction == "range" or plan.scenario == "achieved" else 1.3
    share = np.minimum(share, cap)

    span = plan.target - plan.baseline
    if plan.direction == "range":
        # A range KPI has both bounds.
        assert plan.range_low is not None
        assert plan.range_high is not None
        scale = (plan.range_high - plan.range_low) / 2
    else:
        scale = abs(span)
    values = plan.baseline + span * share
    cadence_days = int(np.median(np.diff(dates).astype(np.int64))) if n > 1 else 30
    window = max(1, 30 // max(cadence_days, 1))
    if plan.cumulative:
        # A running total: noisy but never negative steps along the planned path.
        steps = np.diff(values, prepend=values[0]) * rng.lognormal(0, 0.4, n)
        values = values[0] + np.cumsum(np.clip(steps, 0, None))
    else:
        wobble = 1.5 * _smooth(rng, n, window) + rng.standard_normal(n)
        values = values + scale * plan.noise * wobble

    # The last WRONG_WAY_DAYS before the latest value: a drift the wrong way.
    days_left = (dates[-1] - dates).astype(np.int64)
    ramp = np.clip(1 - days_left / WRONG_WAY_DAYS, 0, 1)
    if plan.scenario == "early_warning":
        values = values - np.sign(span) * abs(span) * 0.9 * ramp
    if breach:
        assert plan.range_high is not None  # only a range KPI breaches its range
        values = values + (plan.range_high - plan.target) * 1.8 * ramp

    if plan.weekly and cadence_days == 1:
        weekday = (dates.astype(np.int64) + 3) % 7  # 0 = Monday
        values = values * np.where(weekday >= 5, 1 - plan.weekly, 1.0)

    values = np.clip(
        values,
        -np.inf if plan.lower is None else plan.lower,
        np.inf if plan.upper is None else plan.upper,
    )
    values = np.round(values, plan.decimals)

    if plan.scenario == "frozen" and n > 3:
        tail = max(3, n // 6)
        values[-tail:] = values[-tail - 1]
    if plan.scenario == "jump" and n > 12:
        # Ten days (or points) back: old enough to be out of the newest value, recent enough to
        # skew any trend fitted over the last weeks.
        idx = n - 1 - min(10, n // 4)
        values[idx] = np.round(values[idx] * JUMP_FACTOR, plan.decimals)
    return values
