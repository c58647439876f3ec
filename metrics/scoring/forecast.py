"""Forecast of a KPI: where it stands on its target date, and how likely it meets the target.

Why this module is long: it is one forecasting method. The window, the anchor, the drift, the
spread, the noise-or-walk blend and the t distribution work on the same series and only make
sense together; the texts at the end say what its fields mean. The reference implementation
(tests/metrics/scoring_reference.py) pins its private steps by their names here, and
tests/metrics/test_scoring_unchanged.py replaces this module's ``np`` to prove the short
windows need no numpy: split, the method would be scattered over modules that each mean
nothing alone.

What P means: ``probability_on_target`` is the chance that **the value on the target date meets
the target** (at or past it in the KPI's direction; inside the range for a keep-within-range
KPI), because that value is the KPI's final result (``metrics.scoring.kpi``). It is not the
chance of touching the target at some moment before the date.

Method: a **robust random walk with drift**, chosen over exponential smoothing from a library
(statsmodels brings scipy and pandas, tens of MB, and a model fit per KPI, against a few
dozen numpy operations here) and over the Theil-Sen line it replaces (its residuals around a
straight line ignore how a real series wanders: its "80 %" interval covered 21-52 % of
outcomes in the back-test, and a quarter of its P were below 1e-6 or above 1 - 1e-6):

* window in time, not in points: the measurements of the last
  ``max(forecast_window x cadence_days, forecast_window_days)`` days (12 cadence steps, at least
  90 days), so a daily KPI is projected from a quarter of data, not from 12 days of noise;
* anchor: the latest value (blended with the trend line, see the end), unless it is a spike
  (more than ``SPIKE_Z`` robust sigmas from the median of the last ``ANCHOR_POINTS`` values
  carried along the median rate), when that median replaces it; the same for the first value;
* drift: the mean of the one-step changes per day, each weighted by its length and by
  ``0.5 ** age`` with the age in quarters of the window (``DRIFT_HALF_LIVES``), so a trend
  that bends (the 2008 fall in construction employment) is followed within a few steps;
* spread: the root mean square of the one-step changes around the drift, per cadence step (a
  change over a longer gap counts for that many steps), grown with the horizon like a random
  walk with an uncertain drift and persistent changes,
  ``sigma * sqrt(h * (1 + h / n)) * h ** MOMENTUM`` for h cadence steps ahead and n steps of
  window, and floored at ``forecast_spread_floor`` of the plan's distance (target - baseline,
  or the range's width) per step, so equal values or an exact counter are never "certain";
* a Student t distribution with (changes - 1) degrees of freedom gives the interval and P, so
  few points give wide intervals; P is kept within [``P_MIN``, 1 - ``P_MIN``] before the target
  date: nothing a dozen points show is certain.

``DRIFT_HALF_LIVES``, ``MOMENTUM`` and the window were chosen on the tune half of the back-test
(window 8/12/16/24 steps, momentum 0-0.35, Theil-Sen / mean / recency-weighted drift); 0.3
is also the least momentum whose interval holds the construction-employment outcome.

Honest edges: a measurement dated on or after the target date decides (P is 1 or 0, the
interval is that value); fewer than ``forecast_min_points`` measurements in the window give no
forecast ("not enough data to forecast"); NaN or infinite inputs raise ``ValueError``.

Back-test (``bench/backtest_forecast.py``, 39 held-out real series, horizons in cadence steps;
the method's constants were tuned on the other 40); coverage of the 80 % interval (Wilson 95 %),
Brier score of P against a random walk with drift on the last 12 points (before: Theil-Sen):

  h   coverage (95 % CI)      Brier   random walk   Theil-Sen before (coverage, Brier)
  1   80.4 % (77.5-83.0 %)    0.1631  0.1653        52.4 %, 0.2568
  3   80.9 % (77.9-83.5 %)    0.1641  0.1703        36.8 %, 0.2373
  6   83.1 % (80.2-85.7 %)    0.1615  0.1715        30.3 %, 0.2229
  12  83.3 % (80.2-86.0 %)    0.1812  0.2038        20.5 %, 0.2616

Reliability (held-out, all horizons): P in [0.3, 0.4) hit 34.9 %, [0.9, 1) hit 91.6 %; P below
0.1 hit 5.4 % (before: P below 1e-6 hit 8.8 %, P in [1e-6, 0.1) 27.2 %). Log loss 0.497 at h = 1 (random walk 0.493), 0.548 at h = 12
(random walk 0.813).

The window also decides between a random walk and noise around a trend (``_noise_share``):
a daily KPI with a weekday rhythm or survey-like noise is projected along its Theil-Sen line
over the window (its spread: the regression's prediction spread around the line), a
wandering series from its latest value; in between, a blend of both.

Arithmetic: a window holds 6-200 points (13 for a weekly or monthly KPI, 91 for a daily one),
so the forecast runs in plain Python (``metrics.scoring.short``: sums in numpy's pairwise
order, the same medians), where numpy's per-call overhead cost more than the work (issue #19);
only the Theil-Sen slopes of more than ``THEIL_SEN_NUMPY`` points (n (n - 1) / 2 pairs, or
n² / 8 beyond ``PAIRS_ALL``) go through numpy. The figures are those of the numpy code before
(tests/metrics/test_scoring_unchanged.py), within one unit in the last place of the drift's
weights ``0.5 ** age`` (numpy's SIMD power against the C library's).
"""

from __future__ import annotations

import bisect
import math
import statistics
from collections.abc import Sequence
from datetime import date, timedelta
from functools import lru_cache
from itertools import accumulate
from typing import TYPE_CHECKING

import numpy as np

from metrics.scoring.common import Thresholds, num
from metrics.scoring.plan import kpi_achievement
from metrics.scoring.short import mean, median, total

if TYPE_CHECKING:
    from metrics.scoring.plan import KpiPlan

METHOD = "robust-rw-drift"
MEASURED = "measured"  # the method of a forecast decided by a measurement on/after the date
ANCHOR_POINTS = 3
MOMENTUM = 0.3
DRIFT_HALF_LIVES = 4.0  # the drift's weights halve this many times over the window
SPIKE_Z = 4.0  # an end value this many robust sigmas off its neighbours is a spike
P_MIN = 0.001
BAND_POINTS = 6
PAIRS_ALL = 40  # Theil-Sen uses every pair of points up to this many
THEIL_SEN_NUMPY = 15  # Theil-Sen of more points (105 pairs): numpy (bench: equal cost at 15-16)

# How the target is reached, stored as ``target_reach`` next to ``projected_target_date``.
ALREADY_REACHED = "already_reached"  # the latest value meets the target
ON_DATE = "on_date"  # the trend reaches it on ``projected_target_date``
NEVER = "never"  # the trend stays flat or moves away (or the deciding measurement missed)


def _median_array(a: np.ndarray) -> float:
    """The median of a non-empty 1-d array by ``np.partition`` (``np.median`` without its
    generic wrapping): for the hundreds of Theil-Sen slopes of a long window."""
    n = len(a)
    k = n // 2
    if n % 2:
        return float(np.partition(a, k)[k])
    part = np.partition(a, (k - 1, k))
    return float(part[k - 1] + part[k]) / 2


@lru_cache(maxsize=512)
def _pairs(n: int) -> tuple[np.ndarray, np.ndarray]:
    """Index pairs of the Theil-Sen slopes: all of them up to ``PAIRS_ALL`` points; beyond, the
    pairs at least half the window apart (a quarter as many, n² / 8: the cost of a daily
    KPI's 91 points stays near that of 46, and a weekday rhythm weighs less in the slopes)."""
    i, j = np.triu_indices(n, k=1)
    if n > PAIRS_ALL:
        far = (j - i) >= n // 2
        i, j = i[far], j[far]
    i.flags.writeable = j.flags.writeable = False
    return i, j


def theil_sen(x: Sequence[float], y: Sequence[float]) -> tuple[float, float]:
    """(intercept, slope) of the Theil-Sen line through the points (x, y): the median of the
    slopes ``(y_j - y_i) / (x_j - x_i)`` over the pairs ``_pairs`` gives (pairs with equal x
    left out), the intercept the median of ``y - slope x`` (Sen 1968). No distinct x: the
    median of y and slope 0. ``x``, ``y``: equal-length sequences or 1-d arrays of floats,
    at least one point. Up to ``THEIL_SEN_NUMPY`` points in plain Python, beyond in numpy;
    the same figures either way (the same pairs and medians)."""
    n = len(x)
    if n > THEIL_SEN_NUMPY:
        xa, ya = np.asarray(x, dtype=float), np.asarray(y, dtype=float)
        i, j = _pairs(n)
        dx = xa[j] - xa[i]
        keep = dx != 0
        if not keep.any():
            return _median_array(ya), 0.0
        slope = _median_array((ya[j] - ya[i])[keep] / dx[keep])
        return _median_array(ya - slope * xa), slope
    x, y = [float(v) for v in x], [float(v) for v in y]
    apart = 1 if n <= PAIRS_ALL else n // 2  # the pairs of ``_pairs``
    slopes = [
        (y[j] - y[i]) / (x[j] - x[i]) for i in range(n) for j in range(i + apart, n) if x[j] != x[i]
    ]
    if not slopes:
        return median(y), 0.0
    slope = median(slopes)
    return median([b - slope * a for a, b in zip(x, y, strict=True)]), slope


def forecast_window_days(*, cadence_days: int, thresholds: Thresholds) -> int:
    """Length in days of the window the forecast of a KPI with this cadence looks at."""
    return max(thresholds.forecast_window * cadence_days, thresholds.forecast_window_days)


def forecast_read_points(*, cadence_days: int, thresholds: Thresholds) -> int:
    """How many of a KPI's latest measurements the engine reads so that the forecast window
    (and the data-quality checks) have all they look at, when measured at its cadence."""
    days = forecast_window_days(cadence_days=cadence_days, thresholds=thresholds)
    return max(thresholds.quality_window, math.ceil(days / max(1, cadence_days)) + 1)


def t_cdf(x: float, df: int) -> float:
    """P(T <= x) of Student's t with ``df`` (integer >= 1) degrees of freedom.

    Exact finite sums (Abramowitz & Stegun 26.7.3-4); beyond 300 degrees of freedom the
    normal distribution (difference below 1e-3 in the tails we clip to anyway)."""
    if df > 300:
        return 0.5 * math.erfc(-x / math.sqrt(2))
    theta = math.atan(abs(x) / math.sqrt(df))
    s, c = math.sin(theta), math.cos(theta)
    if df % 2:
        total, term = 0.0, c
        for k in range(1, (df - 1) // 2 + 1):
            if k > 1:
                term *= c * c * (2 * k - 2) / (2 * k - 1)
            total += term
        share = 2 / math.pi * (theta + s * total) if df > 1 else 2 * theta / math.pi
    else:
        total, term = 1.0, 1.0
        for k in range(1, df // 2):
            term *= c * c * (2 * k - 1) / (2 * k)
            total += term
        share = s * total
    return 0.5 + share / 2 if x >= 0 else 0.5 - share / 2


@lru_cache(maxsize=1024)
def t_quantile(p: float, df: int) -> float:
    """The x with ``t_cdf(x, df) == p`` (0 < p < 1), by bisection to 1e-10."""
    if not 0 < p < 1:
        raise ValueError(f"quantile of {p!r} is not defined")
    if p < 0.5:
        return -t_quantile(1 - p, df)
    low, high = 0.0, 1.0
    while t_cdf(high, df) < p:
        high *= 2
    while high - low > 1e-10:
        mid = (low + high) / 2
        if t_cdf(mid, df) < p:
            low = mid
        else:
            high = mid
    return (low + high) / 2


def _day(measurement: tuple[date, float]) -> date:
    return measurement[0]


def _finite(name: str, value: float) -> float:
    value = float(value)
    if not math.isfinite(value):
        raise ValueError(f"{name} is {value!r}: a forecast needs finite numbers")
    return value


def _meets(plan: KpiPlan, value: float) -> bool:
    if plan.is_range:
        low, high = plan.bounds
        return low <= value <= high
    if plan.target_value >= plan.baseline_value:
        return value >= plan.target_value
    return value <= plan.target_value


def kpi_forecast_misses(*, forecast: dict | None, thresholds: Thresholds | None = None) -> bool:
    """Whether a KPI's forecast says it misses its target: P(the value on the target date meets
    it) below ``forecast_miss_below``. The one rule behind ``misses_target``, the KPI page's
    badge and the "forecast to miss" alert; False without a forecast."""
    if not forecast:
        return False
    t = thresholds or Thresholds()
    return forecast["probability_on_target"] < t.forecast_miss_below


def kpi_forecast(
    *,
    plan: KpiPlan,
    measurements: list[tuple[date, float]],
    today: date,
    thresholds: Thresholds | None = None,
) -> dict | None:
    """The ``Forecast`` contract (metrics/contracts.py) of a KPI on ``today``.

    ``measurements``: (as-of date, value), oldest first; those dated after ``today`` are
    ignored. Returns None when there is not enough data to forecast (fewer than
    ``forecast_min_points`` measurements in the window, or all on one day) or when the target
    date has passed without a measurement on or after it. Raises ``ValueError`` on a NaN or
    infinite value in the measurements or the plan.
    """
    t = thresholds or Thresholds()
    for name, value in (
        ("the baseline", plan.baseline_value),
        ("the target", plan.target_value),
        *((("the range's low end", plan.range_low), ("the range's high end", plan.range_high))
          if plan.is_range else ()),
    ):  # fmt: skip
        _finite(name, value)
    for day, value in measurements:
        if not math.isfinite(value):
            _finite(f"the value measured on {day.isoformat()}", value)
    # Measurements come oldest first: positions by bisection, not by scanning them.
    end = bisect.bisect_right(measurements, today, key=_day)
    after = bisect.bisect_left(measurements, plan.target_date, 0, end, key=_day)
    if after < end:  # measured on or after the target date: that value decides
        day, value = measurements[after]
        return _decided(plan=plan, day=day, value=value, thresholds=t)
    if not end or today > plan.target_date:
        return None
    cadence = max(1, plan.cadence_days)
    last_day, last_value = measurements[end - 1]
    start = last_day - timedelta(days=forecast_window_days(cadence_days=cadence, thresholds=t))
    begin = max(
        bisect.bisect_left(measurements, start, 0, end, key=_day), end - t.forecast_max_points
    )
    if end - begin < t.forecast_min_points:
        return None
    window = measurements[begin:end]
    origin = window[0][0]
    x = [float((d - origin).days) for d, _ in window]
    y = [float(v) for _, v in window]
    if x[-1] == x[0]:
        return None
    x_last = x[-1]
    window_days = float(forecast_window_days(cadence_days=cadence, thresholds=t))
    # The one-step changes that span time (two values on one day: their change spans none).
    dx, dy = [], []
    for x0, x1, y0, y1 in zip(x, x[1:], y, y[1:], strict=False):
        if x1 > x0:
            dx.append(x1 - x0)
            dy.append(y1 - y0)
    level, _, slope = _ends(x, y, dx, dy, window_days / DRIFT_HALF_LIVES)
    raw = dy
    # Noise around a trend (a daily KPI with its weekday rhythm, a survey score) rather than a
    # wandering walk: its spread around a straight line is no larger than its one-step changes
    # (variance ratio 2 x line variance / change variance near 1; a walk's is far above). Then
    # the walk's last value and recent drift would follow noise: blend in the Theil-Sen line.
    intercept, trend_slope = theil_sen(x, y)
    residuals = [b - (intercept + trend_slope * a) for a, b in zip(x, y, strict=True)]
    noise = math.sqrt(total([r * r for r in residuals]) / max(1, len(x) - 2))
    raw_mean = mean(raw)
    share = _noise_share([r - raw_mean for r in raw], noise)
    if share > 0:
        level = share * (intercept + trend_slope * x_last) + (1 - share) * level
        slope = share * trend_slope + (1 - share) * slope
    # Each change over its length in cadence steps: (dy - slope dx) / sqrt(dx / cadence).
    shocks = [(b - slope * a) / math.sqrt(a / cadence) for a, b in zip(dx, raw, strict=True)]
    changes = len(shocks)
    df = max(1, changes - 1)
    sigma = math.sqrt(total([e * e for e in shocks]) / df) if changes else 0.0
    scale = (
        (plan.bounds[1] - plan.bounds[0])
        if plan.is_range
        else abs(plan.target_value - plan.baseline_value)
    ) or abs(level)
    floor = t.forecast_spread_floor * scale
    sigma = max(sigma, floor, 1e-12)
    window_steps = max(1.0, (x_last - x[0]) / cadence)
    quantile = t_quantile(0.5 + t.interval_level / 2, df)
    x_mean = mean(x)
    sxx = total([(a - x_mean) * (a - x_mean) for a in x]) or 1.0

    def spread_at(days: float) -> float:
        h = max(0.0, days) / cadence
        walk = sigma * math.sqrt(h * (1 + h / window_steps)) * (max(h, 1.0) ** MOMENTUM)
        if share == 0 or days <= 0:
            return walk
        # The regression's prediction spread around the trend line, at least the floor.
        x0 = x_last + days
        line = max(noise, floor) * math.sqrt(1 + 1 / len(x) + (x0 - x_mean) ** 2 / sxx)
        return share * line + (1 - share) * walk

    horizon_days = float((plan.target_date - last_day).days)
    centre = level + slope * horizon_days
    spread = spread_at(horizon_days)
    if spread > 0:
        if plan.is_range:
            low, high = plan.bounds
            probability = t_cdf((high - centre) / spread, df) - t_cdf((low - centre) / spread, df)
        elif plan.target_value >= plan.baseline_value:
            probability = 1 - t_cdf((plan.target_value - centre) / spread, df)
        else:
            probability = t_cdf((plan.target_value - centre) / spread, df)
    else:  # the target date is the latest measurement's day: handled as decided above
        probability = float(_meets(plan, centre))
    probability = min(1 - P_MIN, max(P_MIN, probability))
    reach, projected = _projected(plan, last_day, last_value, level, slope)

    line_days = sorted({origin, last_day, plan.target_date})
    line = [[d.isoformat(), level + slope * (d - last_day).days] for d in line_days]
    days_left = (plan.target_date - last_day).days
    band_days = sorted(
        {
            last_day + timedelta(days=round(days_left * i / BAND_POINTS))
            for i in range(BAND_POINTS + 1)
        }
    )
    band = []
    for d in band_days:
        days = (d - last_day).days
        c, s = level + slope * days, quantile * spread_at(days)
        band.append([d.isoformat(), c - s, c + s])
    forecast = {
        "method": METHOD,
        "points_used": len(window),
        "window_start": origin.isoformat(),
        "slope_per_day": slope,
        "value_at_target": centre,
        "interval_low": centre - quantile * spread,
        "interval_high": centre + quantile * spread,
        "interval_level": t.interval_level,
        "progress_at_target": _progress(plan, centre),
        "probability_on_target": probability,
        "projected_target_date": projected.isoformat() if projected else None,
        "target_reach": reach,
        "misses_target": False,
        "line": line,
        "band": band,
        "residual_sigma": sigma,
        "level": level,
    }
    forecast["misses_target"] = kpi_forecast_misses(forecast=forecast, thresholds=t)
    return forecast


def _noise_share(changes: list[float], noise: float) -> float:
    """How much the window looks like noise around a trend rather than a random walk, 0-1.

    The variance ratio ``2 noise² / mean(change²)`` (noise: the spread around the Theil-Sen
    line) is about 1 for noise around a trend and about ``2 n / 15`` for a random walk of n
    changes (a detrended walk's variance grows with its length). The share is 1 at or below
    half the walk's ratio, 0 at or above it, linear between; 0 with fewer than 5 changes, whose
    ratio tells nothing."""
    n = len(changes)
    if n < 5:
        return 0.0
    per_change = mean([c * c for c in changes])
    if per_change == 0:
        return 0.0
    ratio = 2 * noise * noise / per_change
    walk = max(1.0, 2 * n / 15)
    return min(1.0, max(0.0, (walk - ratio) / (walk / 2)))


def _ends(
    x: list[float], y: list[float], dx: list[float], dy: list[float], half_life: float
) -> tuple[float, float, float]:
    """(level at the last date, level at the first date, drift per day) of the window.

    Each end is its measured value unless that value is a spike: more than ``SPIKE_Z`` robust
    sigmas (1.4826 x MAD of the one-step changes) from the median of the ``ANCHOR_POINTS``
    values at that end carried along the median rate of change, in which case that median
    replaces it. The drift is then the recency-weighted mean rate of the changes,
    ``sum(w r) / sum(w)`` with ``w = dx * 0.5 ** (age / half_life)``: weights halve every
    ``half_life`` days of age (days from a change's end to the latest date).
    ``x``, ``y``: the window's days (from its first) and values; ``dx``, ``dy``: its one-step
    changes that span time (at least one)."""
    # Spikes are judged against the median rate of change, which a spike does not move.
    rates = [b / a for a, b in zip(dx, dy, strict=True)]
    drift = median(rates)
    shocks = [b - drift * a for a, b in zip(dx, dy, strict=True)]
    middle = median(shocks)
    deviations = [abs(e - middle) for e in shocks]
    # The MAD is 0 when most changes are equal; the mean absolute deviation then still sees
    # the one that is not.
    robust = 1.4826 * median(deviations) or 1.2533 * mean(deviations)
    k = min(ANCHOR_POINTS, len(x))
    last, first = y[-1], y[0]
    if robust > 0:
        tail = statistics.median(
            [b + drift * (x[-1] - a) for a, b in zip(x[-k:], y[-k:], strict=True)]
        )
        head = statistics.median(
            [b - drift * (a - x[0]) for a, b in zip(x[:k], y[:k], strict=True)]
        )
        if abs(last - tail) > SPIKE_Z * robust:
            last = tail
        if abs(first - head) > SPIKE_Z * robust:
            first = head
    # Recency-weighted mean rate, with the (spike-robust) ends in place of the measured ones.
    if last != y[-1]:
        rates[-1] = (last - y[-2]) / dx[-1]
    if first != y[0]:
        rates[0] = (y[1] - first) / dx[0]
    span = x[-1] - x[0]
    weights = [
        a * 0.5 ** ((span - end) / half_life) for a, end in zip(dx, accumulate(dx), strict=True)
    ]
    return last, first, total([w * r for w, r in zip(weights, rates, strict=True)]) / total(weights)


def _progress(plan: KpiPlan, value: float) -> float:
    return kpi_achievement(plan=plan, value=value)


def _decided(*, plan: KpiPlan, day: date, value: float, thresholds: Thresholds) -> dict:
    """A measurement on or after the target date is the result: nothing left to forecast."""
    hit = _meets(plan, value)
    forecast = {
        "method": MEASURED,
        "points_used": 1,
        "window_start": day.isoformat(),
        "slope_per_day": 0.0,
        "value_at_target": value,
        "interval_low": value,
        "interval_high": value,
        "interval_level": thresholds.interval_level,
        "progress_at_target": _progress(plan, value),
        "probability_on_target": 1.0 if hit else 0.0,
        "projected_target_date": None,
        "target_reach": ALREADY_REACHED if hit else NEVER,
        "misses_target": not hit,
        "line": [],
        "band": [],
        "residual_sigma": 0.0,
        "level": value,
        "measured_on": day.isoformat(),
    }
    return forecast


def _projected(
    plan: KpiPlan, last_day: date, last_value: float, level: float, slope: float
) -> tuple[str, date | None]:
    """(``target_reach``, date): already reached when the latest value meets the target; the
    day the trend line from the level reaches it (enters the range); never when the trend is
    flat or moves away, or would take more than a century."""
    if _meets(plan, last_value):
        return ALREADY_REACHED, None
    if _meets(plan, level):
        return ON_DATE, last_day  # the latest value is short of it, the trend's level is not
    if plan.is_range:
        low, high = plan.bounds
        goal = low if level < low else high
    else:
        goal = plan.target_value
    distance = goal - level
    if slope == 0 or (slope > 0) != (distance > 0):
        return NEVER, None
    days = distance / slope
    if days > 365 * 100:
        return NEVER, None
    return ON_DATE, last_day + timedelta(days=math.ceil(days))


PROBABILITY_LABEL = "chance that the value on the target date meets the target"


def forecast_probability_text(probability: float) -> str:
    """P for a reader: whole percents, clipped to "< 1 %" / "> 99 %" unless decided (0 or 1,
    after a measurement on the target date)."""
    if probability in (0.0, 1.0):
        return f"{probability * 100:.0f} %"
    if probability < 0.01:
        return "< 1 %"
    if probability > 0.99:
        return "> 99 %"
    return f"{probability * 100:.0f} %"


def forecast_target_reach(forecast: dict) -> str:
    """``target_reach`` of a forecast, also for one stored before that field existed (a date
    then meant "reached on that date", None "never")."""
    if "target_reach" in forecast:
        return forecast["target_reach"]
    return ON_DATE if forecast.get("projected_target_date") else NEVER


def forecast_reach_text(forecast: dict) -> str:
    """When the target is reached, in words: "already reached", "never on this trend" or
    "on this trend on 2027-02-05"; a measured result says so."""
    reach = forecast_target_reach(forecast)
    if forecast.get("method") == MEASURED:
        verdict = "met" if reach == ALREADY_REACHED else "missed"
        return f"measured on {forecast.get('measured_on')}: target {verdict}"
    if reach == ALREADY_REACHED:
        return "target already reached (the latest value meets it)"
    if reach == NEVER:
        return "never reached on this trend"
    return f"reached on {forecast['projected_target_date']} on this trend"


def forecast_sentence(*, forecast: dict) -> str:
    """The forecast in one sentence, as the alert and the KPI page say it."""
    reach = forecast_reach_text(forecast)
    p = forecast_probability_text(forecast["probability_on_target"])
    if forecast.get("method") == MEASURED:
        return f"{reach.capitalize()} ({num(forecast['value_at_target'])})."
    return (
        f"projected {num(forecast['value_at_target'])} on its target date "
        f"({forecast['interval_level'] * 100:.0f} % interval {num(forecast['interval_low'])} "
        f"to {num(forecast['interval_high'])}); {p} {PROBABILITY_LABEL}; {reach}."
    )


METHOD_LABELS = {
    METHOD: "robust random walk with drift",
    MEASURED: "measured on the target date",
    "theil-sen": "Theil\u2013Sen trend (the method before 2026-11-30)",  # an en dash
}


def forecast_display(forecast: dict | None) -> dict | None:
    """What the KPI page shows of a stored forecast (also one stored by an older method)."""
    if not forecast:
        return None
    return {
        "probability_text": forecast_probability_text(forecast["probability_on_target"]),
        "probability_label": PROBABILITY_LABEL,
        "reach_text": forecast_reach_text(forecast),
        "method_label": METHOD_LABELS.get(forecast.get("method") or "", forecast.get("method", "")),
        "measured": forecast.get("method") == MEASURED,
    }
