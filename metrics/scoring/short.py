"""numpy's reductions in plain Python, for the short series a KPI's scoring looks at.

A KPI window holds a few dozen values (at most ``quality_window`` = 60 for the data-quality
tests, 13-91 for the forecast). On arrays that small a numpy call costs more in its generic
wrapping (1-5 µs: array creation, dtype and axis handling) than the work, and the engine made
tens of thousands of them per full recompute (issue #19). These functions give the same
results as numpy, bit for bit, so the scores did not change:

* ``total``: ``ndarray.sum()`` of float64, which is **pairwise summation**, not a left-to-right
  loop: below 8 values a loop from 0.0; up to 128 values eight running sums (values i, i + 8,
  ...) combined as ((r0 + r1) + (r2 + r3)) + ((r4 + r5) + (r6 + r7)), then the remainder
  added in order; beyond 128 the two halves (the first a multiple of 8 long) summed apart and
  added (numpy ``_core/src/umath/loops_utils.h.src``, ``pairwise_sum``). Python's ``sum``
  (left to right before 3.12, compensated after) and ``math.fsum`` (exact) round differently.
* ``mean``: ``total / n``, as ``np.mean`` (the float64 sum divided by the count).
* ``median``: the middle value, or the mean of the two middle values ``(a + b) / 2``, as
  ``np.median`` and ``statistics.median`` (order statistics: no rounding but that one add).

Elementwise ``+ - * / abs`` and ``math.sqrt`` are IEEE-754 correctly rounded in both. One
difference remains: ``0.5 ** x`` on an array uses numpy's SIMD power (SVML on AVX-512), which
can differ from the C library's ``pow`` by one unit in the last place.
"""

from __future__ import annotations

from collections.abc import Sequence

PAIRWISE_BLOCK = 128  # numpy's PW_BLOCKSIZE


def _pairwise(a: Sequence[float], lo: int, n: int) -> float:
    if n < 8:
        result = 0.0
        for i in range(lo, lo + n):
            result += a[i]
        return result
    if n <= PAIRWISE_BLOCK:
        r0, r1, r2, r3, r4, r5, r6, r7 = a[lo : lo + 8]
        whole = lo + n - n % 8
        for i in range(lo + 8, whole, 8):
            r0 += a[i]
            r1 += a[i + 1]
            r2 += a[i + 2]
            r3 += a[i + 3]
            r4 += a[i + 4]
            r5 += a[i + 5]
            r6 += a[i + 6]
            r7 += a[i + 7]
        result = ((r0 + r1) + (r2 + r3)) + ((r4 + r5) + (r6 + r7))
        for i in range(whole, lo + n):
            result += a[i]
        return result
    half = n // 2
    half -= half % 8
    return _pairwise(a, lo, half) + _pairwise(a, lo + half, n - half)


def total(values: Sequence[float]) -> float:
    """The sum of float ``values`` in numpy's pairwise order (module docstring); 0.0 when
    empty. ``values``: a list or tuple (indexed, not iterated once)."""
    return _pairwise(values, 0, len(values))


def mean(values: Sequence[float]) -> float:
    """``np.mean`` of a non-empty sequence of floats: ``total(values) / len(values)``. Raises
    ``ZeroDivisionError`` when empty (numpy returns nan with a warning)."""
    return _pairwise(values, 0, len(values)) / len(values)


def median(values: Sequence[float]) -> float:
    """``np.median`` of a non-empty sequence of numbers, as a float: the middle of the sorted
    values, or ``(a + b) / 2`` of the two middle ones. Raises ``IndexError`` when empty."""
    ordered = sorted(values)
    n = len(ordered)
    k = n // 2
    if n % 2:
        return float(ordered[k])
    return (ordered[k - 1] + ordered[k]) / 2
