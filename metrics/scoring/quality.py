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
"""

from __future__ import annotations

from datetime import date

import numpy as np

from metrics.scoring.common import Thresholds
from strategy.quantities import count_text, every_days_text, number_text


def _runs(values: list[float]) -> list[int]:
    runs: list[int] = []
    for i, v in enumerate(values):
        if i and v == values[i - 1]:
            runs[-1] += 1
        else:
            runs.append(1)
    return runs


def kpi_outliers(*, measurements: list[tuple[date, float]], z_limit: float = 3.5) -> list[str]:
    if len(measurements) < 6:
        return []
    values = np.array([v for _, v in measurements], dtype=float)
    jumps = np.diff(values)
    median = float(np.median(jumps))
    deviation = np.abs(jumps - median)
    mad = float(np.median(deviation))
    # Float noise (1.2 - 1.1999999999999997) is not spread: treat a MAD that tiny as zero.
    if mad > 1e-9 * max(float(np.max(np.abs(jumps))), 1e-12):
        z = 0.6745 * deviation / mad
    else:
        mean_ad = float(np.mean(deviation))
        if mean_ad == 0:
            return []
        z = deviation / (1.253314 * mean_ad)
    flagged = set(np.flatnonzero(z > z_limit).tolist())
    dates = []
    for i in sorted(flagged):
        if i - 1 in flagged and jumps[i - 1] * jumps[i] < 0:
            continue  # the jump back from a spike already reported
        dates.append(measurements[i + 1][0].isoformat())
    return dates


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
        usual = float(np.median(runs[:-1])) if len(runs) > 1 else 1.0
        if runs[-1] >= t.frozen_factor * usual:
            frozen = True
            first_of_run = window[-runs[-1]][0]
            usually = (
                "with each report" if usual == 1 else f"every {number_text(usual)} reports"
            )
            issues.append(
                f"The same value was reported {runs[-1]} times in a row since "
                f"{first_of_run.isoformat()}; usually it changes {usually}."
            )
    outliers = kpi_outliers(measurements=window, z_limit=t.outlier_z)
    if outliers:
        issues.append(
            f"Implausible jump{'s' if len(outliers) > 1 else ''} on {', '.join(outliers)}: "
            "check these values."
        )
    if stale or frozen:
        confidence = "poor"
    elif outliers or len(measurements) < 3:
        confidence = "fair"
    else:
        confidence = "good"
    return {
        "confidence": confidence,
        "stale": stale,
        "days_since_last": days_since,
        "frozen": frozen,
        "outliers": outliers,
        "issues": issues,
    }
