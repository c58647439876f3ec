"""Issue #19: scoring short series in plain Python changed no result.

The current data-quality and forecast functions are compared with a frozen copy of the numpy
code they replaced (``tests/metrics/scoring_reference.py``) on hypothesis-generated series
(0-80 points, ties, negatives, constant runs, spikes, large magnitudes, irregular dates):
figures within 1e-12 relative, everything discrete (statuses, flags, dates, reasons) exactly
equal. ``test_golden_full_recompute`` checks the engine's full recompute of a seeded plan
against the scores and alerts it stored before the change (tests/metrics/data/).
"""

from __future__ import annotations

import datetime as dt
import math

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from metrics.scoring import forecast as forecast_module
from metrics.scoring import quality as quality_module
from metrics.scoring.common import Thresholds
from metrics.scoring.forecast import kpi_forecast, theil_sen
from metrics.scoring.kpi import KpiPlan, kpi_score
from metrics.scoring.quality import (
    kpi_data_quality,
    kpi_outliers,
    kpi_value_implausible,
    series_implausible,
)
from tests.metrics import scoring_reference as reference

REL = 1e-12
START = dt.date(2026, 1, 5)


def assert_same(new, old, path: str = "") -> None:
    """``new`` equals ``old``: floats within ``REL`` relative, all else exactly (recursively
    through dicts, lists and tuples; a bool is not a float)."""
    if isinstance(old, float) and not isinstance(new, bool) and isinstance(new, int | float):
        if new == old or (math.isnan(new) and math.isnan(old)):
            return
        assert abs(new - old) <= REL * max(abs(new), abs(old)), f"{path}: {new!r} != {old!r}"
        return
    if isinstance(old, dict):
        assert isinstance(new, dict), f"{path}: {new!r} is not a dict"
        assert new.keys() == old.keys(), f"{path}: keys differ"
        for key in old:
            assert_same(new[key], old[key], f"{path}.{key}")
        return
    if isinstance(old, list | tuple):
        assert type(new) is type(old), f"{path}: {new!r} != {old!r}"
        assert len(new) == len(old), f"{path}: {new!r} != {old!r}"
        for i, (a, b) in enumerate(zip(new, old, strict=True)):
            assert_same(a, b, f"{path}[{i}]")
        return
    assert type(new) is type(old), f"{path}: {new!r} != {old!r}"
    assert new == old, f"{path}: {new!r} != {old!r}"


def _implausible(check) -> dict | None:
    if check is None:
        return None
    return {name: getattr(check, name) for name in check.__dataclass_fields__}


# Values: ties (a few small integers), negatives, fractions, large magnitudes, and runs of one
# repeated value (frozen feeds, constant series).
_value = st.one_of(
    st.integers(-3, 3).map(float),
    st.floats(-1e3, 1e3, allow_nan=False, allow_infinity=False),
    st.floats(-1e12, 1e12, allow_nan=False, allow_infinity=False),
    st.sampled_from([0.0, 1.1999999999999997, 1.2, 99.91, 1e-9, -9e14, 9e14]),
)
_gap = st.sampled_from([1, 1, 1, 7, 7, 30, 31, 2, 3, 90])


@st.composite
def series(draw, max_size: int = 80, gaps=_gap) -> list[tuple[dt.date, float]]:
    """(as-of, value) oldest first, 0-``max_size`` points on strictly increasing dates."""
    size = draw(st.integers(0, max_size))
    base = draw(st.sampled_from(["free", "constant", "runs", "trend"]))
    if base == "constant":
        values = [draw(_value)] * size
    elif base == "runs":
        values = []
        while len(values) < size:
            values += [draw(_value)] * draw(st.integers(1, 8))
        values = values[:size]
    elif base == "trend":
        level, step, scale = draw(_value), draw(_value), draw(st.sampled_from([0.0, 0.1, 10.0]))
        noise = draw(st.lists(st.floats(-1, 1), min_size=size, max_size=size))
        values = [level + step * i + scale * e for i, e in enumerate(noise)]
        for i in draw(st.lists(st.integers(0, max(0, size - 1)), max_size=3)) if size else []:
            values[i] = draw(_value)  # spikes
    else:
        values = draw(st.lists(_value, min_size=size, max_size=size))
    day, points = START, []
    for value in values:
        points.append((day, value))
        day += dt.timedelta(days=draw(gaps))
    return points


@st.composite
def plans(draw, points: list[tuple[dt.date, float]]) -> KpiPlan:
    direction = draw(st.sampled_from(["increase", "decrease", "range"]))
    baseline = draw(st.sampled_from([0.0, 20.0, -5.0, 1e6]))
    distance = draw(st.sampled_from([10.0, 0.5, 1e3, 1e9]))
    first = points[0][0] if points else START
    last = points[-1][0] if points else START
    target_date = last + dt.timedelta(days=draw(st.integers(-40, 400)))
    return KpiPlan(
        name="KPI",
        direction=direction,
        baseline_value=baseline,
        baseline_date=first - dt.timedelta(days=draw(st.integers(0, 60))),
        target_value=baseline - distance if direction == "decrease" else baseline + distance,
        target_date=max(target_date, first + dt.timedelta(days=1)),
        cadence_days=draw(st.sampled_from([1, 7, 14, 30, 91])),
        range_low=baseline if direction == "range" else None,
        range_high=baseline + distance if direction == "range" else None,
    )


_THRESHOLDS = [Thresholds(), Thresholds(quality_window=12, forecast_max_points=30)]
_settings = settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@_settings
@given(points=series(), t=st.sampled_from(_THRESHOLDS), z=st.sampled_from([3.5, 2.0, 6.0]))
def test_outliers_and_data_quality_are_unchanged(points, t, z):
    assert kpi_outliers(measurements=points, z_limit=z) == reference.kpi_outliers(
        measurements=points, z_limit=z
    )
    last = points[-1][0] if points else START
    for today, cadence, target, created in (
        (last, 30, None, None),
        (last + dt.timedelta(days=50), 30, last, None),
        (last + dt.timedelta(days=3), 1, None, last - dt.timedelta(days=1)),
    ):
        kwargs = {
            "measurements": points,
            "cadence_days": cadence,
            "today": today,
            "target_date": target,
            "thresholds": t,
            "created_on": created,
        }
        assert kpi_data_quality(**kwargs) == reference.kpi_data_quality(**kwargs)


@_settings
@given(data=st.data(), points=series(), t=st.sampled_from(_THRESHOLDS))
def test_implausible_values_are_unchanged(data, points, t):
    if points:  # the latest value, and a value between two others (any order is accepted)
        day, value = points[-1]
        new = kpi_value_implausible(measurements=points[:-1], as_of=day, value=value, thresholds=t)
        old = reference.kpi_value_implausible(
            measurements=points[:-1], as_of=day, value=value, thresholds=t
        )
        assert_same(_implausible(new), _implausible(old))
        i = data.draw(st.integers(0, len(points) - 1))
        extra = data.draw(_value)
        others = points[:i] + points[i + 1 :]
        new = kpi_value_implausible(
            measurements=others[::-1], as_of=points[i][0], value=extra, thresholds=t
        )
        old = reference.kpi_value_implausible(
            measurements=others[::-1], as_of=points[i][0], value=extra, thresholds=t
        )
        assert_same(_implausible(new), _implausible(old))
    more = data.draw(st.lists(series(), max_size=3))
    batch = {0: points, **{k + 1: s for k, s in enumerate(more)}}
    candidates = {
        key: data.draw(st.lists(st.sampled_from([d for d, _ in s]), unique=True)) if s else []
        for key, s in batch.items()
    }
    new = series_implausible(series=batch, candidates=candidates, thresholds=t)
    old = reference.series_implausible(series=batch, candidates=candidates, thresholds=t)
    assert_same(
        {k: _implausible(v) for k, v in new.items()}, {k: _implausible(v) for k, v in old.items()}
    )


@_settings
@given(points=series(max_size=120).filter(lambda s: len(s) >= 2))
def test_theil_sen_is_unchanged(points):
    x = [float((d - START).days) for d, _ in points]
    y = [v for _, v in points]
    import numpy as np

    old = reference.theil_sen(np.array(x), np.array(y))
    assert_same(theil_sen(np.array(x), np.array(y)), old)
    assert_same(theil_sen(x, y), old)


@_settings
@given(data=st.data(), points=series(max_size=80, gaps=st.sampled_from([0, 1, 1, 7, 30, 3])))
def test_forecasts_are_unchanged(data, points):
    plan = data.draw(plans(points))
    t = data.draw(st.sampled_from(_THRESHOLDS))
    last = points[-1][0] if points else START
    today = last + dt.timedelta(days=data.draw(st.sampled_from([0, 0, 1, 10, -20])))
    kwargs = {"plan": plan, "measurements": points, "today": today, "thresholds": t}
    assert_same(kpi_forecast(**kwargs), reference.kpi_forecast(**kwargs))


def test_a_non_finite_value_is_refused_as_before():
    points = [(START + dt.timedelta(days=7 * i), float(i)) for i in range(8)]
    points[3] = (points[3][0], math.nan)
    plan = KpiPlan(
        name="KPI",
        direction="increase",
        baseline_value=0.0,
        baseline_date=START,
        target_value=10.0,
        target_date=START + dt.timedelta(days=365),
        cadence_days=7,
    )
    for forecast in (kpi_forecast, reference.kpi_forecast):
        with pytest.raises(ValueError, match="the value measured on 2026-01-26 is nan"):
            forecast(plan=plan, measurements=points, today=points[-1][0])


class _NoNumpy:
    def __getattr__(self, name):
        raise AssertionError(f"numpy.{name} used on a short series")


def test_a_short_series_is_scored_without_numpy(monkeypatch):
    """The reason for the change: a KPI of a few dozen points (here 40 weekly values, a
    forecast window of 13) is scored and checked without one numpy call."""
    monkeypatch.setattr(quality_module, "np", _NoNumpy())
    monkeypatch.setattr(forecast_module, "np", _NoNumpy())
    points = [
        (START + dt.timedelta(days=7 * i), 20 + 0.3 * i + (5.0 if i == 20 else (-1) ** i * 0.2))
        for i in range(40)
    ]
    plan = KpiPlan(
        name="KPI",
        direction="increase",
        baseline_value=20.0,
        baseline_date=START,
        target_value=40.0,
        target_date=START + dt.timedelta(days=400),
        cadence_days=7,
    )
    today = points[-1][0]
    result = kpi_score(plan=plan, measurements=points, today=today)
    assert result.forecast["method"] == "robust-rw-drift"
    assert result.data_quality["outliers"] == [points[20][0].isoformat()]
    assert kpi_value_implausible(measurements=points, as_of=today, value=400.0) is not None
    found = series_implausible(series={1: points}, candidates={1: [points[20][0]]})
    assert list(found) == [(1, points[20][0])]
