"""The demo's measurement series: pure numpy, no database."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pytest

from demo.builder.series import JUMP_FACTOR, SeriesPlan, series_dates, series_values

FIRST, LAST = dt.date(2025, 6, 10), dt.date(2026, 11, 26)


def plan(**overrides) -> SeriesPlan:
    values = {
        "direction": "increase",
        "baseline": 40.0,
        "target": 60.0,
        "baseline_date": dt.date(2026, 3, 1),
        "target_date": dt.date(2027, 3, 1),
        "scenario": "on_track",
        "noise": 0.04,
        "decimals": 1,
        "lower": 0.0,
        "upper": 100.0,
    }
    return SeriesPlan(**{**values, **overrides})


def values_for(cadence: int = 1, seed: int = 1, **overrides) -> tuple[np.ndarray, np.ndarray]:
    dates = series_dates(cadence=cadence, first=FIRST, last=LAST)
    return dates, series_values(
        rng=np.random.default_rng(seed), dates=dates, plan=plan(**overrides)
    )


@pytest.mark.parametrize(
    ("cadence", "count", "check"),
    [
        (1, 535, lambda d: True),
        (7, 76, lambda d: d.isoweekday() == 7),
        (30, 17, lambda d: (d + dt.timedelta(days=1)).day == 1),
    ],
)
def test_dates_are_daily_sundays_or_month_ends(cadence, count, check):
    dates = series_dates(cadence=cadence, first=FIRST, last=LAST).astype(object)
    assert len(dates) == count
    assert all(FIRST <= d <= LAST and check(d) for d in dates)


def test_no_dates_when_the_window_is_empty():
    assert len(series_dates(cadence=1, first=LAST, last=FIRST)) == 0


def test_same_generator_seed_gives_the_same_series_and_another_differs():
    _, a = values_for(seed=3)
    _, b = values_for(seed=3)
    _, c = values_for(seed=4)
    assert np.array_equal(a, b)
    assert not np.array_equal(a, c)


def test_on_track_series_moves_from_baseline_towards_target_within_bounds():
    dates, values = values_for(upper=50.0)
    at_baseline = values[dates == np.datetime64("2026-03-01")][0]
    assert abs(at_baseline - 40) < 3
    assert values[-1] > 44  # about 0.73 of the way by late November, capped at 50
    assert values.max() <= 50.0
    assert values.min() >= 0.0
    assert np.array_equal(values, np.round(values, 1))


def test_off_track_series_falls_well_short_of_its_plan():
    _, on = values_for(scenario="on_track")
    _, off = values_for(scenario="off_track")
    assert off[-30:].mean() < on[-30:].mean() - 6


def test_a_decreasing_kpi_goes_down():
    _, values = values_for(baseline=95.0, target=30.0, direction="decrease", upper=None)
    assert values[-30:].mean() < 60


def test_early_warning_turns_back_in_the_last_weeks():
    _, values = values_for(scenario="early_warning")
    assert values[-1] < values[-90:].max() - 10


def test_range_breach_drifts_above_the_high_bound():
    _, values = values_for(
        direction="range",
        baseline=420.0,
        target=250.0,
        range_low=150.0,
        range_high=350.0,
        scenario="off_track",
        upper=None,
    )
    assert values[-1] > 350
    assert values[-170:-100].max() < 350  # inside the range over the summer


def test_frozen_tail_repeats_one_value():
    _, values = values_for(scenario="frozen", cadence=7)
    assert len(set(values[-10:])) == 1
    assert len(set(values[:-20])) > 5


def test_jump_is_one_implausible_value():
    _, values = values_for(scenario="jump")
    median = np.median(values)
    outliers = np.flatnonzero(values > 4 * median)
    assert len(outliers) == 1
    assert outliers[0] == len(values) - 11
    assert values[outliers[0]] == pytest.approx(values[outliers[0] - 1] * JUMP_FACTOR, rel=0.3)


def test_cumulative_series_never_goes_down():
    _, values = values_for(baseline=0.0, target=400.0, cumulative=True, upper=None, noise=0.1)
    assert np.all(np.diff(values) >= 0)


def test_trajectory_shapes_the_path():
    dates, values = values_for(trajectory=(0.05, 0.1, 0.2), noise=0.0, scenario="achieved")
    mid = values[dates == np.datetime64("2026-09-01")][0]
    assert mid < 40 + 20 * 0.25  # well below the straight line's 50 %
