"""Data quality of a KPI series, kept apart from its performance.

* stale: no new value within ``cadence_days * stale_grace`` days. After the target date the
  clock stops at the target date: a final value measured on time is not stale later.
* frozen: the latest value repeated at least ``frozen_min_repeats`` times in a row and for
  ``frozen_factor`` times longer than the usual run of equal values in the same series — a
  feed copying the last number forward, not a KPI that is simply stable.
* outliers: implausible jumps. The jumps (differences between consecutive values) are tested
  with the modified z-score of Iglewicz & Hoaglin, 0.6745 (d - median) / MAD, against
  ``outlier_z`` (3.5); when the MAD is zero the mean absolute deviation (* 1.2533) is used.
  The as-of date of the value the jump leads to is reported (a spike and the jump back from it
  are one outlier: the spike's date).
* few values: fewer than ``GOOD_MIN_POINTS`` (3) grade the data "fair" at best, and the
  issues say so ("Few measurements: 2 of the 3 needed for a good grade."): no grade is given
  without its reason.
* a value about to be recorded (``kpi_value_implausible``) is tested with the same rule, over
  the window of recent values that ends with it: what the data quality of the KPI would report
  once it is saved. The measurement form asks for a confirmation, the API and the ingest
  accept it and flag it, and the KPI's reason says so while it is the latest value.

A window holds at most ``quality_window`` (60) values: they are checked in plain Python
(``metrics.scoring.short``, the same results as numpy bit for bit), which costs a few µs where
numpy's per-call overhead cost tens (issue #19). Only a batch of many values
(``series_implausible``, at least ``ROWS_NUMPY`` windows of one length) goes through numpy,
in one vectorised pass over all its windows.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from itertools import pairwise
from typing import Any

import numpy as np

from metrics.scoring.common import Thresholds
from metrics.scoring.short import mean, median
from strategy.parts import derived_neutral, part
from strategy.quantities import count_text, every_days_text, number_text, quantity


def _runs(values: list[float]) -> list[int]:
    runs: list[int] = []
    for i, v in enumerate(values):
        if i and v == values[i - 1]:
            runs[-1] += 1
        else:
            runs.append(1)
    return runs


OUTLIER_MIN_POINTS = 6  # fewer values: no jump is called implausible
GOOD_MIN_POINTS = 3  # fewer values: the data quality is at best "fair", and says so


ROWS_NUMPY = 8  # windows of one length in a batch from which numpy is faster (bench: even at 8)


def _diff(values: list[float]) -> list[float]:
    return [b - a for a, b in pairwise(values)]


def _jump_z(jumps: list[float]) -> list[float]:
    """Modified z-score of each jump of a non-empty series (module docstring):
    ``|d - median| / (MAD / 0.6745)``, or over ``1.253314 x`` the mean absolute deviation when
    the MAD is zero or float noise (below 1e-9 of the largest jump). Jumps that do not vary at
    all score 0. Plain Python (``metrics.scoring.short``); ``_jump_z_rows`` is the same rule
    over the rows of a 2-d array."""
    middle = median(jumps)
    deviation = [abs(d - middle) for d in jumps]
    mad = median(deviation)
    if mad > 1e-9 * max(max(abs(d) for d in jumps), 1e-12):
        scale = mad / 0.6745
    else:
        scale = 1.253314 * mean(deviation)
    if scale > 0:
        return [d / scale for d in deviation]
    return [0.0] * len(jumps)


def _jump_z_rows(jumps: np.ndarray) -> np.ndarray:
    """``_jump_z`` of each row of a 2-d array of jumps, in one numpy pass (Iglewicz &
    Hoaglin, module docstring)."""
    middle = np.median(jumps, axis=-1, keepdims=True)
    deviation = np.abs(jumps - middle)
    mad = np.median(deviation, axis=-1, keepdims=True)
    mean_ad = np.mean(deviation, axis=-1, keepdims=True)
    # Float noise (1.2 - 1.1999999999999997) is not spread: treat a MAD that tiny as zero.
    use_mad = mad > 1e-9 * np.maximum(np.max(np.abs(jumps), axis=-1, keepdims=True), 1e-12)
    scale = np.where(use_mad, mad / 0.6745, 1.253314 * mean_ad)
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(scale > 0, deviation / np.where(scale > 0, scale, 1.0), 0.0)


def kpi_outliers(*, measurements: list[tuple[date, float]], z_limit: float = 3.5) -> list[str]:
    """As-of dates (ISO) of the implausible jumps of a series in as-of order (module
    docstring); none with fewer than ``OUTLIER_MIN_POINTS`` values."""
    if len(measurements) < OUTLIER_MIN_POINTS:
        return []
    jumps = _diff([v for _, v in measurements])
    z = _jump_z(jumps)
    flagged = {i for i, score in enumerate(z) if score > z_limit}
    dates = []
    for i in sorted(flagged):
        if i - 1 in flagged and jumps[i - 1] * jumps[i] < 0:
            continue  # the jump back from a spike already reported
        dates.append(measurements[i + 1][0].isoformat())
    return dates


@dataclass(frozen=True)
class ImplausibleValue:
    """A value far outside its KPI's recent robust range, by the data-quality outlier test.

    ``low``/``high``: the range of the ``compared`` values before it (in the test's window);
    ``previous``: the value before it; ``z``: the robust z-score of the jump to it, above
    ``z_limit``."""

    as_of: date
    value: float
    previous: float
    low: float
    high: float
    compared: int
    z: float
    z_limit: float

    def reason(self, unit: str = "") -> str:
        """Why, in one sentence, with the KPI's unit: "812 meetings on 2026-07-02 is far
        outside ..."."""
        return derived_neutral(
            part(
                "{value} on {day} is far outside the recent values of this KPI ({low} to "
                "{high} over the last {compared}): the jump from {previous} has a robust "
                "z-score of {z}, above the data-quality limit of {limit}. Check it for a typo "
                "or a different unit.",
                value=quantity(self.value, unit=unit),
                day=self.as_of.isoformat(),
                low=quantity(self.low),
                high=quantity(self.high, unit=unit),
                compared=quantity(self.compared, "count", one="measurement"),
                previous=quantity(self.previous, unit=unit),
                z=quantity(round(self.z) if self.z >= 10 else round(self.z, 1)),
                limit=quantity(self.z_limit),
            )
        )

    def as_dict(self, unit: str = "") -> dict:
        """The JSON shape of the API's flag (``implausible`` of a recorded measurement)."""
        return {
            "as_of": self.as_of.isoformat(),
            "value": self.value,
            "recent_low": self.low,
            "recent_high": self.high,
            "compared": self.compared,
            "z_score": round(self.z, 2),
            "reason": self.reason(unit),
        }


def kpi_value_implausible(
    *,
    measurements: list[tuple[date, float]],
    as_of: date,
    value: float,
    thresholds: Thresholds | None = None,
) -> ImplausibleValue | None:
    """Would ``value`` on ``as_of`` be an implausible jump? The data-quality outlier test
    (``kpi_outliers``, the same window of ``quality_window`` values and ``outlier_z``) over
    the KPI's series with this value in place of any value of that date, ending with it (a
    value dated before others is compared with those before it). None when plausible, or when
    there are too few values to judge. ``measurements``: (as-of, value) in any order."""
    t = thresholds or Thresholds()
    before = sorted((d, v) for d, v in measurements if d < as_of)
    window = [*before[-(t.quality_window - 1) :], (as_of, value)]
    if as_of.isoformat() not in kpi_outliers(measurements=window, z_limit=t.outlier_z):
        return None
    z = _jump_z(_diff([v for _, v in window]))
    recent = [v for _, v in window[:-1]]
    return ImplausibleValue(
        as_of=as_of,
        value=value,
        previous=recent[-1],
        low=min(recent),
        high=max(recent),
        compared=len(recent),
        z=float(z[-1]),
        z_limit=t.outlier_z,
    )


def kpi_values_implausible(
    *,
    measurements: list[tuple[date, float]],
    candidates: list[date],
    thresholds: Thresholds | None = None,
) -> dict[date, ImplausibleValue]:
    """``kpi_value_implausible`` for many values of one KPI at once: ``measurements`` is the
    KPI's series with them, in as-of order; the result maps each implausible candidate date to
    its ``ImplausibleValue``. See ``series_implausible``."""
    found = series_implausible(
        series={0: measurements}, candidates={0: candidates}, thresholds=thresholds
    )
    return {day: check for (_key, day), check in found.items()}


def series_implausible(
    *,
    series: dict[Any, list[tuple[date, float]]],
    candidates: dict[Any, list[date]],
    thresholds: Thresholds | None = None,
) -> dict[tuple[Any, date], ImplausibleValue]:
    """``kpi_value_implausible`` for the values of a batch, over many KPIs at once:
    ``series`` maps a key (a KPI) to its series with the new values, in as-of order;
    ``candidates`` to the dates of its new values. The z-scores of every candidate's window
    are computed in one numpy pass per window length when there are at least ``ROWS_NUMPY``
    such windows (every series' values in one array, their jumps by one ``np.diff``, the
    windows gathered by one index array, ``_jump_z_rows``), else window by window in plain
    Python (``_jump_z``, the same figures); only the candidates over the limit are confirmed
    by ``kpi_value_implausible`` itself (which clears the jump back from a spike), so the
    result is that rule's."""
    t = thresholds or Thresholds()
    width = t.quality_window - 1  # jumps in a full window
    values: list[float] = []  # every series' values one after the other
    offset_of: dict[Any, int] = {}  # where a series starts in ``values``
    groups: dict[int, list[tuple[Any, int]]] = {}  # jumps in the window -> (key, index)
    for key, days in candidates.items():
        points = series.get(key) or []
        if len(points) < OUTLIER_MIN_POINTS or not days:
            continue
        offset_of[key] = len(values)
        values.extend(v for _, v in points)
        index = {d: i for i, (d, _v) in enumerate(points)}
        for day in days:
            i = index.get(day)
            if i is not None and i + 1 >= OUTLIER_MIN_POINTS:
                groups.setdefault(min(i, width), []).append((key, i))
    found: dict[tuple[Any, date], ImplausibleValue] = {}
    jumps: np.ndarray | None = None
    for length, members in groups.items():
        # The window of value i: the ``length`` jumps before it, from value i - length on.
        if len(members) >= ROWS_NUMPY:
            if jumps is None:  # jumps[k] = values[k + 1] - values[k] (across series: unused)
                jumps = np.diff(np.array(values, dtype=float))
            starts = np.fromiter((offset_of[key] + i - length for key, i in members), dtype=np.intp)
            rows = jumps[starts[:, None] + np.arange(length)]
            last_z = _jump_z_rows(rows)[:, -1].tolist()
        else:
            last_z = [
                _jump_z(_diff(values[offset_of[key] + i - length : offset_of[key] + i + 1]))[-1]
                for key, i in members
            ]
        for (key, i), z in zip(members, last_z, strict=True):
            if z <= t.outlier_z:
                continue
            points = series[key]
            check = kpi_value_implausible(
                measurements=points[max(0, i - width) : i],
                as_of=points[i][0],
                value=points[i][1],
                thresholds=t,
            )
            if check is not None:
                found[(key, points[i][0])] = check
    return found


def kpi_is_stale(
    *,
    last_day: date | None,
    cadence_days: int,
    today: date,
    target_date: date | None,
    grace: float,
    created_on: date | None = None,
) -> bool:
    """No value yet, or none within ``cadence_days * grace`` days. After the target date the
    clock stops there: a final value measured on time is not stale later.

    ``created_on``: the day the KPI was created. For one cadence from then it is never stale
    (a new KPI whose baseline lies in the past gets the time to record its first value); a
    day before it (a history run over the past) gets no grace."""
    if created_on is not None and 0 <= (today - created_on).days <= cadence_days:
        return False
    if last_day is None:
        return True
    clock = min(today, target_date) if target_date else today
    return (clock - last_day).days > cadence_days * grace


def kpi_data_quality(
    *,
    measurements: list[tuple[date, float]],
    cadence_days: int,
    today: date,
    target_date: date | None = None,
    thresholds: Thresholds | None = None,
    created_on: date | None = None,
) -> dict:
    """The ``DataQuality`` contract (metrics/contracts.py). ``created_on``: see
    ``kpi_is_stale``."""
    t = thresholds or Thresholds()
    if not measurements:
        return {
            "confidence": "none",
            "stale": kpi_is_stale(
                last_day=None,
                cadence_days=cadence_days,
                today=today,
                target_date=target_date,
                grace=t.stale_grace,
                created_on=created_on,
            ),
            "days_since_last": None,
            "frozen": False,
            "outliers": [],
            "latest_implausible": False,
            "issues": ["No measurement yet."],
        }
    window = measurements[-t.quality_window :]
    last_day = window[-1][0]
    days_since = (today - last_day).days
    stale = kpi_is_stale(
        last_day=last_day,
        cadence_days=cadence_days,
        today=today,
        target_date=target_date,
        grace=t.stale_grace,
        created_on=created_on,
    )
    issues: list[str] = []
    if stale:
        issues.append(
            f"No new value for {count_text(days_since, 'day')}; one is expected "
            f"{every_days_text(cadence_days)}."
        )
    runs = _runs([v for _, v in window])
    frozen = False
    if runs[-1] >= t.frozen_min_repeats:
        usual = median(runs[:-1]) if len(runs) > 1 else 1.0
        if runs[-1] >= t.frozen_factor * usual:
            frozen = True
            first_of_run = window[-runs[-1]][0]
            usually = "with each report" if usual == 1 else f"every {number_text(usual)} reports"
            issues.append(
                f"The same value was reported {runs[-1]} times in a row since "
                f"{first_of_run.isoformat()}; usually it changes {usually}."
            )
    outliers = kpi_outliers(measurements=window, z_limit=t.outlier_z)
    if outliers:
        issues.append(
            f"Implausible jump{'s' if len(outliers) > 1 else ''} on {', '.join(outliers)}: "
            f"check {'these values' if len(outliers) > 1 else 'this value'}."
        )
    if len(measurements) < GOOD_MIN_POINTS:
        # The grade says why it cannot be good (it would otherwise read "fair" with no issue).
        issues.append(
            f"Few measurements: {len(measurements)} of the {GOOD_MIN_POINTS} needed for a good grade."
        )
    if stale or frozen:
        confidence = "poor"
    elif outliers or len(measurements) < GOOD_MIN_POINTS:
        confidence = "fair"
    else:
        confidence = "good"
    return {
        "confidence": confidence,
        "stale": stale,
        "days_since_last": days_since,
        "frozen": frozen,
        "outliers": outliers,
        "latest_implausible": bool(outliers) and outliers[-1] == last_day.isoformat(),
        "issues": issues,
    }
