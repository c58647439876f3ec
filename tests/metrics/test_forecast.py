"""Edges of the KPI forecast (issue #13), hand-computed; no database.

Each reproduction of the issue is a test here: equal values, an exact counter, 4 points, wild
last values, a measurement on the target date, a KPI moving away, NaN, bad settings, and the
real case of US construction employment in 2008.
"""

from __future__ import annotations

import datetime as dt
import math

import pytest

from metrics.scoring import KpiPlan, Thresholds, kpi_forecast, kpi_score
from metrics.scoring.forecast import (
    P_MIN,
    forecast_display,
    forecast_probability_text,
    forecast_read_points,
    forecast_sentence,
    kpi_forecast_misses,
    t_cdf,
    t_quantile,
)

D = dt.date
JAN1 = D(2026, 1, 1)


def _monthly(values, start=JAN1, days=30):
    return [(start + dt.timedelta(days=days * i), float(v)) for i, v in enumerate(values)]


def _plan(target, *, baseline=100.0, target_date=None, direction=None, cadence=30, **kw):
    if direction is None:
        direction = "increase" if target > baseline else "decrease"
    return KpiPlan(
        name="K",
        direction=direction,
        baseline_value=baseline,
        baseline_date=JAN1,
        target_value=target,
        target_date=target_date or D(2027, 12, 1),
        cadence_days=cadence,
        **kw,
    )


def _spread(sigma, days, cadence, window_steps):
    """The method's spread, written out: sigma * sqrt(h (1 + h / n)) * h ** 0.3."""
    h = days / cadence
    return sigma * math.sqrt(h * (1 + h / window_steps)) * h**0.3


@pytest.mark.parametrize(
    ("p", "df", "x"),
    [(0.9, 4, 1.533), (0.9, 10, 1.372), (0.975, 1, 12.706), (0.95, 2, 2.920), (0.9, 30, 1.310)],
)
def test_t_quantile_matches_the_printed_table(p, df, x):
    assert t_quantile(p, df) == pytest.approx(x, abs=1e-3)
    assert t_cdf(x, df) == pytest.approx(p, abs=1e-4)
    assert t_cdf(-x, df) == pytest.approx(1 - p, abs=1e-4)


def test_equal_values_are_not_certain():
    # 12 equal values: before, interval [100, 100] and P exactly 0. Now the spread is the floor,
    # 0.5 % of the plan's distance (110 - 100 = 10) per month: sigma 0.05.
    measurements = _monthly([100] * 12)  # last on 2026-11-27 (day 330)
    plan = _plan(110.0, target_date=D(2027, 11, 27))  # 365 days on
    f = kpi_forecast(plan=plan, measurements=measurements, today=D(2026, 11, 27))
    assert f["value_at_target"] == pytest.approx(100.0)
    assert f["residual_sigma"] == pytest.approx(0.05)
    half = t_quantile(0.9, 10) * _spread(0.05, 365, 30, 11)  # 1.372 * 0.05 * 4.93 * 2.12
    assert f["interval_low"] == pytest.approx(100 - half)
    assert f["interval_high"] == pytest.approx(100 + half)
    assert f["interval_low"] < 100 < f["interval_high"]
    assert f["probability_on_target"] == P_MIN  # not 0: "< 1 %"
    assert forecast_probability_text(f["probability_on_target"]) == "< 1 %"
    assert f["target_reach"] == "never"  # flat: it never gets there on this trend


def test_exact_counter_moves_p_smoothly_with_the_target():
    # 0, 10, ..., 110 every 30 days; a year ahead the line says 110 + 365 / 3 = 231.67.
    # Before, P jumped from 1 to 0 when the target moved by 0.1.
    measurements = _monthly([10 * i for i in range(12)])
    ps = []
    for target in (231.6, 231.7):
        plan = _plan(target, baseline=0.0, target_date=D(2027, 11, 27))
        f = kpi_forecast(plan=plan, measurements=measurements, today=D(2026, 11, 27))
        assert f["value_at_target"] == pytest.approx(110 + 365 / 3)
        ps.append(f["probability_on_target"])
    assert 0.4 < ps[1] < ps[0] < 0.6
    assert ps[0] - ps[1] < 0.05


def test_four_points_are_not_enough_to_forecast():
    # Before: P = 1.0 fifty weeks ahead from 4 weekly points.
    measurements = _monthly([10, 11, 12, 13], days=7)
    plan = _plan(20.0, baseline=10.0, target_date=D(2026, 12, 31), cadence=7)
    assert kpi_forecast(plan=plan, measurements=measurements, today=D(2026, 1, 22)) is None
    result = kpi_score(plan=plan, measurements=measurements, today=D(2026, 1, 22))
    assert result.forecast is None


def test_wild_last_values_widen_the_interval():
    # Before: [26.90, 27.03] although the last values swing by +-14.
    values = [10, 11, 12, 13, 14, 15, 16, 30, 0, 28, 2, 17]
    measurements = _monthly(values)
    plan = _plan(40.0, baseline=10.0, target_date=D(2027, 1, 26))  # 60 days after the last
    f = kpi_forecast(plan=plan, measurements=measurements, today=D(2026, 11, 27))
    assert 10 < f["level"] < 28  # no spike: the last values are all wild alike
    assert f["interval_high"] - f["interval_low"] > 28
    assert 0.01 < f["probability_on_target"] < 0.5


def test_a_spike_as_last_value_does_not_move_the_anchor():
    values = [100, 101, 102, 103, 104, 105, 106, 107, 108, 109, 110, 400]
    f = kpi_forecast(
        plan=_plan(130.0, target_date=D(2027, 6, 1)),
        measurements=_monthly(values),
        today=D(2026, 11, 27),
    )
    # The median of 109, 110 and 400 carried along the drift, not 400.
    assert f["level"] < 130


@pytest.mark.parametrize(
    ("value", "p", "misses", "reach"),
    [(41.0, 1.0, False, "already_reached"), (39.0, 0.0, True, "never")],
)
def test_a_measurement_on_the_target_date_decides(value, p, misses, reach):
    # Before: measured on the date and met, still "misses target" with P = 0.15.
    measurements = [*_monthly([30, 31, 32, 33, 34, 35, 36, 37, 38, 38, 38])]
    measurements.append((D(2026, 12, 31), value))
    plan = _plan(40.0, baseline=30.0, target_date=D(2026, 12, 31))
    for today in (D(2026, 12, 31), D(2027, 1, 15)):
        f = kpi_forecast(plan=plan, measurements=measurements, today=today)
        assert f["method"] == "measured"
        assert f["probability_on_target"] == p
        assert f["misses_target"] is misses
        assert f["target_reach"] == reach
        assert f["interval_low"] == f["interval_high"] == value
        assert kpi_forecast_misses(forecast=f) is misses
    verdict = "met" if p else "missed"
    assert forecast_sentence(forecast=f) == f"Measured on 2026-12-31: target {verdict} ({value:g})."


def test_no_forecast_after_the_target_date_without_a_measurement_on_or_after_it():
    measurements = _monthly([30, 31, 32, 33, 34, 35, 36])
    plan = _plan(40.0, baseline=30.0, target_date=D(2026, 12, 31))
    assert kpi_forecast(plan=plan, measurements=measurements, today=D(2027, 1, 2)) is None


def test_p_is_never_exactly_0_or_1_before_the_target_date():
    measurements = _monthly([10 * i for i in range(12)])
    for target in (-1e9, 0.0, 231.6, 1e9):
        plan = _plan(target, baseline=-2e9 if target > -1e9 else 0.0, direction="increase")
        f = kpi_forecast(plan=plan, measurements=measurements, today=D(2026, 11, 27))
        assert P_MIN <= f["probability_on_target"] <= 1 - P_MIN
    assert forecast_probability_text(1 - P_MIN) == "> 99 %"


def test_past_the_target_and_moving_away_is_already_reached_not_a_later_date():
    # Before: the date it falls back below, worded "reaching it only on ...".
    values = [50, 49, 48, 47, 46, 45, 44, 43]  # target 40 already passed, falling back
    f = kpi_forecast(
        plan=_plan(40.0, baseline=30.0, target_date=D(2027, 6, 1)),
        measurements=_monthly(values),
        today=D(2026, 7, 20),
    )
    assert f["target_reach"] == "already_reached"
    assert f["projected_target_date"] is None
    assert "already reached" in forecast_display(f)["reach_text"]


def test_short_of_the_target_and_moving_away_never_reaches_it():
    values = [30, 29, 28, 27, 26, 25, 24, 23]
    f = kpi_forecast(
        plan=_plan(40.0, baseline=30.0, target_date=D(2027, 6, 1)),
        measurements=_monthly(values),
        today=D(2026, 7, 20),
    )
    assert f["target_reach"] == "never"
    assert f["projected_target_date"] is None
    assert forecast_display(f)["reach_text"] == "never reached on this trend"
    assert f["misses_target"] is True


def test_on_date_reach_gives_the_date():
    values = [30, 31, 32, 33, 34, 35, 36, 37]  # +1 per 30 days, last 2026-07-30 (day 210)
    f = kpi_forecast(
        plan=_plan(40.0, baseline=30.0, target_date=D(2027, 6, 1)),
        measurements=_monthly(values),
        today=D(2026, 7, 20),
    )
    assert f["target_reach"] == "on_date"
    assert f["projected_target_date"] == "2026-10-28"  # 3 / (1 / 30) = 90 days after 07-30


@pytest.mark.parametrize("bad", [math.nan, math.inf, -math.inf])
def test_nan_or_infinite_values_raise(bad):
    # Before: NaN values but P = 0.0 (the clamp hid it).
    measurements = _monthly([1, 2, 3, 4, 5, 6, 7])
    measurements[3] = (measurements[3][0], bad)
    with pytest.raises(ValueError, match="finite"):
        kpi_forecast(plan=_plan(10.0, baseline=0.0), measurements=measurements, today=D(2026, 8, 1))
    with pytest.raises(ValueError, match="finite"):
        kpi_forecast(
            plan=_plan(bad, baseline=0.0, direction="increase"),
            measurements=_monthly([1, 2, 3, 4, 5, 6, 7]),
            today=D(2026, 8, 1),
        )


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("interval_level", 1.0, "GAP_FORECAST_INTERVAL must be a fraction"),
        ("interval_level", 80.0, "GAP_FORECAST_INTERVAL must be a fraction"),
        ("interval_level", 0.0, "GAP_FORECAST_INTERVAL must be a fraction"),
        ("forecast_miss_below", 1.5, "GAP_FORECAST_MISS_BELOW"),
        ("forecast_spread_floor", -0.1, "GAP_FORECAST_SPREAD_FLOOR"),
        ("forecast_window", 1, "GAP_FORECAST_WINDOW must be a whole number of at least 2"),
        ("forecast_min_points", 2, "GAP_FORECAST_MIN_POINTS"),
        ("forecast_window_days", 0, "GAP_FORECAST_WINDOW_DAYS"),
    ],
)
def test_bad_forecast_settings_are_refused_with_the_setting_named(field, value, message):
    # Before: GAP_FORECAST_INTERVAL=1 (or 80) crashed every forecast instead.
    with pytest.raises(ValueError, match=message):
        Thresholds(**{field: value})


def test_construction_employment_2008():
    # US construction employment (thousands), Jan-Dec 2008; target 6,552 three months ahead.
    # Before: interval [6,643, 6,687] and P = 4e-11; March 2009 came in at 6,291 (hit).
    values = [7476, 7453, 7406, 7327, 7274, 7213, 7160, 7114, 7044, 6967, 6813, 6701]
    measurements = [(D(2008, m + 1, 1), float(v)) for m, v in enumerate(values)]
    plan = KpiPlan(
        name="Construction employment",
        direction="decrease",
        baseline_value=7476,
        baseline_date=D(2008, 1, 1),
        target_value=6552,
        target_date=D(2009, 3, 1),
        cadence_days=30,
    )
    f = kpi_forecast(plan=plan, measurements=measurements, today=D(2008, 12, 1))
    assert f["interval_low"] <= 6291 <= f["interval_high"]
    assert f["probability_on_target"] >= 0.5
    assert f["misses_target"] is False


def test_range_kpi_edges():
    inside = _monthly([50] * 12)
    plan = _plan(
        50.0, baseline=50.0, direction="range", range_low=40.0, range_high=60.0,
        target_date=D(2027, 6, 1),
    )  # fmt: skip
    f = kpi_forecast(plan=plan, measurements=inside, today=D(2026, 11, 27))
    assert f["probability_on_target"] == 1 - P_MIN  # floor spread 0.1 a month: sure, not 1
    assert f["target_reach"] == "already_reached"
    leaving = _monthly([50 + 2 * i for i in range(12)])  # 72 by now, 2 a month up
    f = kpi_forecast(plan=plan, measurements=leaving, today=D(2026, 11, 27))
    assert f["target_reach"] == "never"
    assert f["probability_on_target"] < 0.5
    measured = [*inside, (D(2027, 6, 1), 61.0)]
    f = kpi_forecast(plan=plan, measurements=measured, today=D(2027, 6, 1))
    assert (f["method"], f["probability_on_target"]) == ("measured", 0.0)


def test_a_daily_kpi_uses_90_days_and_the_engine_reads_them():
    t = Thresholds()
    assert forecast_read_points(cadence_days=1, thresholds=t) == 91
    assert forecast_read_points(cadence_days=30, thresholds=t) == t.quality_window
    # A daily KPI falling 1 a day for 90 days, with the last 12 days' noise rising.
    values = [300 - d for d in range(80)] + [220 + (3 if d % 2 else -3) + d for d in range(11)]
    measurements = [(JAN1 + dt.timedelta(days=i), float(v)) for i, v in enumerate(values)]
    plan = _plan(150.0, baseline=300.0, target_date=D(2026, 6, 30), cadence=1)
    f = kpi_forecast(plan=plan, measurements=measurements, today=measurements[-1][0])
    assert f["points_used"] == 91
    assert f["window_start"] == "2026-01-01"
