"""Calibration of probabilities against what happened: Brier score, log loss, reliability table.

One place for these measures: the forecast back-test (``bench/backtest_forecast.py``) scores the
KPI forecast's P(hit) with them, and any other probability the product quotes (e.g. a
confidence) is to be checked the same way.

Inputs are plain sequences: ``probabilities`` in [0, 1] and ``outcomes`` that are true (1) or
false (0), of the same non-zero length. A probability outside [0, 1], NaN or infinite raises
``ValueError``, as does a length mismatch or an empty input.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Sequence
from statistics import NormalDist


def _checked(probabilities: Sequence[float], outcomes: Sequence[bool | int]) -> list[float]:
    if len(probabilities) != len(outcomes):
        raise ValueError(
            f"{len(probabilities)} probabilities but {len(outcomes)} outcomes: "
            "they must pair up one to one"
        )
    if not probabilities:
        raise ValueError("no probabilities to score")
    checked = []
    for p in probabilities:
        p = float(p)
        if not (0.0 <= p <= 1.0):  # also refuses NaN
            raise ValueError(f"probability {p!r} is not in [0, 1]")
        checked.append(p)
    return checked


def brier_score(*, probabilities: Sequence[float], outcomes: Sequence[bool | int]) -> float:
    """Mean squared difference between the probability and the outcome (0 best, 1 worst;
    always quoting 0.5 scores 0.25)."""
    ps = _checked(probabilities, outcomes)
    return sum((p - (1.0 if o else 0.0)) ** 2 for p, o in zip(ps, outcomes, strict=True)) / len(ps)


def log_loss(
    *, probabilities: Sequence[float], outcomes: Sequence[bool | int], eps: float = 1e-15
) -> float:
    """Mean negative natural log of the probability given to what happened (0 best).

    ``eps``: probabilities are clipped to [eps, 1 - eps] first, so a confident miss costs
    ``-ln(eps)`` instead of infinity; say which ``eps`` a reported figure used.
    """
    if not (0.0 < eps < 0.5):
        raise ValueError(f"eps {eps!r} must be in (0, 0.5)")
    ps = _checked(probabilities, outcomes)
    total = 0.0
    for p, o in zip(ps, outcomes, strict=True):
        p = min(1.0 - eps, max(eps, p))
        total -= math.log(p if o else 1.0 - p)
    return total / len(ps)


def reliability_table(
    *,
    probabilities: Sequence[float],
    outcomes: Sequence[bool | int],
    edges: Sequence[float] = (0.0, 0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9, 1.0),
) -> list[dict]:
    """How often the event happened among the cases given a probability in each bin.

    ``edges``: increasing bin edges from 0 to 1; a bin is [low, high), the last one [low, 1].
    Returns one row per bin, empty bins included:
    ``{"low", "high", "count", "mean_probability", "observed_rate"}`` (the last two None for
    an empty bin). A calibrated forecaster has ``observed_rate`` close to ``mean_probability``
    in every bin with enough cases.
    """
    edges = [float(e) for e in edges]
    if len(edges) < 2 or edges[0] != 0.0 or edges[-1] != 1.0:
        raise ValueError("edges must run from 0 to 1")
    if any(b <= a for a, b in itertools.pairwise(edges)):
        raise ValueError("edges must increase")
    ps = _checked(probabilities, outcomes)
    counts = [0] * (len(edges) - 1)
    sums = [0.0] * (len(edges) - 1)
    hits = [0] * (len(edges) - 1)
    for p, o in zip(ps, outcomes, strict=True):
        i = len(edges) - 2
        for j in range(len(edges) - 1):
            if p < edges[j + 1]:
                i = j
                break
        counts[i] += 1
        sums[i] += p
        hits[i] += 1 if o else 0
    return [
        {
            "low": edges[i],
            "high": edges[i + 1],
            "count": counts[i],
            "mean_probability": sums[i] / counts[i] if counts[i] else None,
            "observed_rate": hits[i] / counts[i] if counts[i] else None,
        }
        for i in range(len(counts))
    ]


def binomial_interval(*, successes: int, trials: int, level: float = 0.95) -> tuple[float, float]:
    """Wilson score interval of a proportion (e.g. the coverage of a forecast interval).

    Assumes independent trials; with overlapping back-test origins the real uncertainty is
    larger. Raises ``ValueError`` on ``trials`` < 1 or ``successes`` outside 0..trials.
    """
    if trials < 1 or not (0 <= successes <= trials):
        raise ValueError(f"{successes} successes out of {trials} trials is not a proportion")
    z = NormalDist().inv_cdf(0.5 + level / 2)
    p = successes / trials
    denominator = 1 + z * z / trials
    centre = (p + z * z / (2 * trials)) / denominator
    half = z * math.sqrt(p * (1 - p) / trials + z * z / (4 * trials * trials)) / denominator
    return max(0.0, centre - half), min(1.0, centre + half)
