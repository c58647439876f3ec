"""The forecast method before issue #13 (Theil-Sen on the last 12 points), frozen here only so
that ``bench/bench_engine.py --forecast`` can time it against the current method in one run.
Not used by the application. Its original docstring follows.

Forecast of a KPI: where its trend lands on the target date, and how sure we are.

Method: **Theil-Sen** on the most recent ``forecast_window`` measurements. The slope is the
median of the slopes between every pair of points and the intercept the median of
``y - slope * x``. It is chosen over least squares because KPI series carry the very errors the
data-quality checks look for (a mistyped value, a one-off spike): Theil-Sen ignores up to ~29 %
of such points while least squares is dragged by a single one, and with at most a few dozen
points its O(n²) cost is negligible.

Uncertainty: the residual spread is estimated robustly (1.4826 * median absolute residual, the
normal-consistent MAD; the sample standard deviation when the MAD is zero but residuals are
not), and widened for extrapolation like an ordinary regression prediction interval:
``s * sqrt(1 + 1/n + (x0 - x̄)² / Sxx)``. Assuming normal errors, the probability of reaching the
target is the share of that predictive distribution on the right side of the target (inside
the range for keep-within-range KPIs).
"""

from __future__ import annotations

import math
from datetime import date, timedelta
from statistics import NormalDist
from typing import TYPE_CHECKING

import numpy as np

from metrics.scoring.common import Thresholds

if TYPE_CHECKING:
    from metrics.scoring.kpi import KpiPlan

METHOD = "theil-sen"


def theil_sen(x: np.ndarray, y: np.ndarray) -> tuple[float, float]:
    """(intercept, slope) of the Theil-Sen line through the points."""
    i, j = np.triu_indices(len(x), k=1)
    dx = x[j] - x[i]
    keep = dx != 0
    if not keep.any():
        return float(np.median(y)), 0.0
    slope = float(np.median((y[j] - y[i])[keep] / dx[keep]))
    intercept = float(np.median(y - slope * x))
    return intercept, slope


def _robust_sigma(residuals: np.ndarray) -> float:
    mad = float(np.median(np.abs(residuals - np.median(residuals))))
    if mad > 0:
        return 1.4826 * mad
    if len(residuals) > 2 and np.any(residuals != 0):
        return float(np.sqrt(np.sum(residuals**2) / (len(residuals) - 2)))
    return 0.0


def kpi_forecast(
    *,
    plan: KpiPlan,
    measurements: list[tuple[date, float]],
    today: date,
    thresholds: Thresholds | None = None,
) -> dict | None:
    """The ``Forecast`` contract (metrics/contracts.py), or None with too few points."""
    from metrics.scoring.kpi import kpi_achievement

    t = thresholds or Thresholds()
    window = measurements[-t.forecast_window :]
    if len(window) < t.forecast_min_points:
        return None
    origin = window[0][0]
    x = np.array([(d - origin).days for d, _ in window], dtype=float)
    y = np.array([v for _, v in window], dtype=float)
    if x[-1] == x[0]:
        return None
    intercept, slope = theil_sen(x, y)
    residuals = y - (intercept + slope * x)
    sigma = _robust_sigma(residuals)
    n = len(x)
    x_target = float((plan.target_date - origin).days)
    value_at_target = intercept + slope * x_target
    sxx = float(np.sum((x - x.mean()) ** 2))
    spread = sigma * math.sqrt(1 + 1 / n + (x_target - x.mean()) ** 2 / sxx) if sxx else sigma
    z = NormalDist().inv_cdf(0.5 + t.interval_level / 2)
    low, high = value_at_target - z * spread, value_at_target + z * spread

    if plan.is_range:
        if spread > 0:
            dist = NormalDist(value_at_target, spread)
            probability = dist.cdf(plan.range_high) - dist.cdf(plan.range_low)
        else:
            probability = float(plan.range_low <= value_at_target <= plan.range_high)
        misses = not (plan.range_low <= value_at_target <= plan.range_high)
    else:
        up = plan.target_value > plan.baseline_value
        if spread > 0:
            below = NormalDist(value_at_target, spread).cdf(plan.target_value)
            probability = 1 - below if up else below
        else:
            reached = (
                value_at_target >= plan.target_value if up else value_at_target <= plan.target_value
            )
            probability = float(reached)
        misses = value_at_target < plan.target_value if up else value_at_target > plan.target_value
    projected = _projected_date(plan, origin, intercept, slope, x[-1])
    last_day = window[-1][0]
    line_days = sorted({origin, last_day, max(today, last_day), plan.target_date})
    line = [[d.isoformat(), round(intercept + slope * (d - origin).days, 10)] for d in line_days]
    band = []
    for d in line_days:
        if d < last_day:
            continue
        xd = float((d - origin).days)
        s = sigma * math.sqrt(1 + 1 / n + (xd - x.mean()) ** 2 / sxx) if sxx else sigma
        centre = intercept + slope * xd
        band.append([d.isoformat(), centre - z * s, centre + z * s])
    return {
        "method": METHOD,
        "points_used": n,
        "window_start": origin.isoformat(),
        "slope_per_day": slope,
        "value_at_target": value_at_target,
        "interval_low": low,
        "interval_high": high,
        "interval_level": t.interval_level,
        "progress_at_target": kpi_achievement(plan=plan, value=value_at_target),
        "probability_on_target": min(1.0, max(0.0, probability)),
        "projected_target_date": projected.isoformat() if projected else None,
        "misses_target": bool(misses),
        "line": line,
        "band": band,
        "residual_sigma": sigma,
    }


def _projected_date(plan, origin: date, intercept: float, slope: float, x_last: float):
    """When the trend line reaches the target (enters the range); None if it never does."""
    if plan.is_range:
        fitted_last = intercept + slope * x_last
        if plan.range_low <= fitted_last <= plan.range_high:
            return origin + timedelta(days=int(x_last))
        goal = plan.range_low if fitted_last < plan.range_low else plan.range_high
    else:
        goal = plan.target_value
    if slope == 0:
        return None
    x_goal = (goal - intercept) / slope
    up = (
        goal > intercept + slope * x_last
        if plan.is_range
        else plan.target_value > plan.baseline_value
    )
    if (slope > 0) != up:
        # The trend moves away from the target: it is reached only if already passed.
        fitted_last = intercept + slope * x_last
        passed = fitted_last >= goal if up else fitted_last <= goal
        if not passed:
            return None
    if abs(x_goal) > 365 * 100:
        return None
    return origin + timedelta(days=math.ceil(x_goal))
