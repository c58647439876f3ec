"""Hand-computed tables for each formula of ``metrics.scoring`` (no database)."""

from __future__ import annotations

import datetime as dt

import pytest

from metrics.scoring import (
    Child,
    InitiativeFacts,
    KpiPlan,
    Thresholds,
    initiative_score,
    kpi_data_quality,
    kpi_forecast,
    kpi_score,
    rollup_score,
)
from metrics.scoring.forecast import theil_sen
from metrics.scoring.initiative import Milestone, checkin_silence

D = dt.date
JAN1, DEC31 = D(2026, 1, 1), D(2026, 12, 31)  # 364 days apart
MID = D(2026, 7, 2)  # day 182: half of the time elapsed

INCREASE = KpiPlan(
    name="NPS",
    direction="increase",
    baseline_value=20,
    baseline_date=JAN1,
    target_value=40,
    target_date=DEC31,
    cadence_days=30,
)
DECREASE = KpiPlan(
    name="Churn",
    direction="decrease",
    baseline_value=10,
    baseline_date=JAN1,
    target_value=5,
    target_date=DEC31,
    cadence_days=30,
)
RANGE = KpiPlan(
    name="Uptime",
    direction="range",
    baseline_value=90,
    baseline_date=JAN1,
    target_value=97,
    target_date=DEC31,
    cadence_days=30,
    range_low=95,
    range_high=99,
)
TRAJECTORY = KpiPlan(
    name="Revenue", direction="increase", baseline_value=20, baseline_date=JAN1,
    target_value=40, target_date=DEC31, cadence_days=30, trajectory=((MID, 24.0),),
)  # fmt: skip


@pytest.mark.parametrize(
    ("plan", "day", "value", "status", "achievement", "expected", "score"),
    [
        # increase: (value - 20) / 20 against 182/364 = 0.5 expected
        (INCREASE, MID, 30.0, "on_track", 0.5, 0.5, 100.0),
        (INCREASE, MID, 27.5, "at_risk", 0.375, 0.5, 75.0),
        (INCREASE, MID, 26.0, "off_track", 0.3, 0.5, 60.0),
        (INCREASE, MID, 45.0, "on_track", 1.25, 0.5, 100.0),  # 125 % kept uncapped
        # decrease: (value - 10) / (5 - 10)
        (DECREASE, MID, 7.5, "on_track", 0.5, 0.5, 100.0),
        (DECREASE, MID, 8.0, "at_risk", 0.4, 0.5, 80.0),
        (DECREASE, MID, 11.0, "off_track", -0.2, 0.5, 0.0),  # moved the wrong way
        # range 95-99 (width 4): 1 inside, 1 - distance / width outside; expected 1 always
        (RANGE, MID, 97.0, "on_track", 1.0, 1.0, 100.0),
        (RANGE, MID, 94.8, "on_track", 0.95, 1.0, 95.0),
        (RANGE, MID, 94.0, "at_risk", 0.75, 1.0, 75.0),
        (RANGE, MID, 93.0, "off_track", 0.5, 1.0, 50.0),
        (RANGE, MID, 101.0, "off_track", 0.5, 1.0, 50.0),
        # trajectory 20 (Jan 1) -> 24 (Jul 2) -> 40 (Dec 31)
        (TRAJECTORY, MID, 24.0, "on_track", 0.2, 0.2, 100.0),
        (TRAJECTORY, D(2026, 4, 2), 21.6, "at_risk", 0.08, 0.1, 80.0),  # plan 22 at day 91
        (TRAJECTORY, D(2026, 10, 1), 32.0, "on_track", 0.6, 0.6, 100.0),  # 24 + 16 * 91/182
    ],
)
def test_kpi_score_table(plan, day, value, status, achievement, expected, score):
    result = kpi_score(plan=plan, measurements=[(day, value)], today=day + dt.timedelta(days=3))
    assert result.status == status, result.reason
    assert result.achievement == pytest.approx(achievement)
    assert result.progress == pytest.approx(min(1.0, max(0.0, achievement)))
    assert result.expected_progress == pytest.approx(expected)
    assert result.score == pytest.approx(score)
    assert result.gap == pytest.approx(expected - min(1.0, max(0.0, achievement)))
    assert result.reason


def test_kpi_before_start_expects_nothing_yet():
    plan = KpiPlan(
        name="NPS", direction="increase", baseline_value=20, baseline_date=D(2026, 7, 1),
        target_value=40, target_date=D(2027, 6, 30),
    )  # fmt: skip
    result = kpi_score(plan=plan, measurements=[(D(2026, 6, 1), 20.0)], today=D(2026, 6, 15))
    assert result.status == "on_track"
    assert result.expected_progress == 0
    assert result.attainment is None
    assert "Nothing was expected yet" in result.reason


@pytest.mark.parametrize(
    ("value", "status"), [(40.0, "on_track"), (36.0, "at_risk"), (30.0, "off_track")]
)
def test_kpi_after_target_date_shows_the_final_result(value, status):
    result = kpi_score(plan=INCREASE, measurements=[(DEC31, value)], today=D(2027, 3, 1))
    assert result.status == status
    assert result.expected_progress == 1.0
    assert result.reason.startswith("Final result")
    assert result.data_quality["stale"] is False  # the clock stops at the target date
    # The measurement on the target date decides the forecast (issue #13): P is 1 or 0.
    assert result.forecast["method"] == "measured"
    assert result.forecast["probability_on_target"] == (1.0 if value >= 40 else 0.0)


def test_kpi_without_measurement_has_no_data():
    result = kpi_score(plan=INCREASE, measurements=[], today=MID)
    assert result.status == "no_data"
    assert result.score is None
    assert result.progress is None
    assert result.expected_progress == pytest.approx(0.5)
    assert "No measurement yet" in result.reason
    assert result.data_quality["confidence"] == "none"


@pytest.mark.parametrize(
    ("last", "stale"),
    [(D(2026, 5, 1), False), (D(2026, 4, 30), True)],  # 45 days = 30 * 1.5 grace: still fresh
)
def test_kpi_stale_data_is_never_on_track(last, stale):
    result = kpi_score(plan=INCREASE, measurements=[(last, 40.0)], today=D(2026, 6, 15))
    assert result.data_quality["stale"] is stale
    if stale:
        assert result.status == "no_data"
        assert result.score is None
        assert result.reason.startswith("Stale: last measured on 2026-04-30, 46 days ago")
    else:
        assert result.status == "on_track"


def test_thresholds_are_configurable():
    strict = Thresholds(on_track=0.99, off_track=0.95)
    result = kpi_score(
        plan=INCREASE, measurements=[(MID, 29.7)], today=MID, thresholds=strict
    )  # attainment 0.97
    assert result.status == "at_risk"


LINEAR = [(JAN1 + dt.timedelta(days=30 * i), 20 + 0.05 * 30 * i) for i in range(6)]


def test_forecast_of_an_exact_trend():
    forecast = kpi_forecast(plan=INCREASE, measurements=LINEAR, today=D(2026, 6, 15))
    assert forecast["method"] == "robust-rw-drift"
    assert forecast["points_used"] == 6
    assert forecast["slope_per_day"] == pytest.approx(0.05)
    assert forecast["value_at_target"] == pytest.approx(20 + 0.05 * 364)  # 38.2
    assert forecast["progress_at_target"] == pytest.approx(0.91)
    # No spread in the data, but the floor (0.5 % of 40 - 20 a month) keeps it uncertain.
    assert forecast["interval_low"] < 38.2 < forecast["interval_high"]
    assert 0 < forecast["probability_on_target"] < 0.5
    assert forecast["misses_target"] is True
    assert forecast["projected_target_date"] == "2027-02-05"  # 20 / 0.05 = day 400
    assert forecast["line"][0] == ["2026-01-01", pytest.approx(20.0)]
    assert forecast["line"][-1][0] == "2026-12-31"


def test_forecast_ignores_a_single_spike():
    series = [(JAN1 + dt.timedelta(days=30 * i), 20 + 1.5 * i) for i in range(8)]
    series[4] = (series[4][0], 80.0)
    _intercept, slope = theil_sen(
        *[
            __import__("numpy").array(v, dtype=float)
            for v in zip(*[((d - JAN1).days, y) for d, y in series], strict=True)
        ]
    )
    assert slope == pytest.approx(0.05)


def test_forecast_probability_is_a_coin_flip_when_the_trend_lands_on_target():
    # Trend exactly to 40 on Dec 31 with symmetric noise: about even odds.
    series = [
        (JAN1 + dt.timedelta(days=14 * i), 20 + 20 * 14 * i / 364 + (0.6 if i % 2 else -0.6))
        for i in range(12)
    ]
    forecast = kpi_forecast(plan=INCREASE, measurements=series, today=series[-1][0])
    assert forecast["interval_low"] < 40 < forecast["interval_high"]
    assert 0.3 < forecast["probability_on_target"] < 0.7


def test_forecast_needs_enough_points():
    assert kpi_forecast(plan=INCREASE, measurements=LINEAR[:3], today=MID) is None


def test_forecast_never_reaches_a_target_it_moves_away_from():
    series = [(JAN1 + dt.timedelta(days=30 * i), 20 - i) for i in range(6)]
    forecast = kpi_forecast(plan=INCREASE, measurements=series, today=MID)
    assert forecast["projected_target_date"] is None
    assert forecast["misses_target"] is True


def _weekly(values):
    return [(JAN1 + dt.timedelta(days=7 * i), float(v)) for i, v in enumerate(values)]


@pytest.mark.parametrize(
    ("values", "frozen"),
    [
        ([1, 2, 3, 4, 5, 5, 5, 5, 5], True),  # usually changes every report
        ([5, 5, 5, 5, 6, 6, 6, 6, 7, 7, 7, 7], False),  # runs of 4 are its usual rhythm
        ([1, 2, 3, 4, 5, 5, 5], False),  # 3 repeats: not yet
    ],
)
def test_frozen_values(values, frozen):
    series = _weekly(values)
    quality = kpi_data_quality(measurements=series, cadence_days=7, today=series[-1][0])
    assert quality["frozen"] is frozen
    assert (quality["confidence"] == "poor") is frozen


def test_implausible_jump_is_reported_once_at_the_spike():
    values = [10 + i + (0.1 if i % 2 else -0.1) for i in range(14)]
    values[7] = 60.0
    series = _weekly(values)
    quality = kpi_data_quality(measurements=series, cadence_days=7, today=series[-1][0])
    assert quality["outliers"] == [series[7][0].isoformat()]
    assert quality["confidence"] == "fair"
    assert any("Implausible jump" in issue for issue in quality["issues"])


@pytest.mark.parametrize(("count", "words"), [(1, "1 of the 3"), (2, "2 of the 3")])
def test_few_measurements_grade_fair_and_say_why(count, words):
    """The tester's "Data quality: fair — No data issue found.": a grade always has its
    reason."""
    series = _weekly([10.0 + i for i in range(count)])
    quality = kpi_data_quality(measurements=series, cadence_days=7, today=series[-1][0])
    assert quality["confidence"] == "fair"
    assert quality["issues"] == [f"Few measurements: {words} needed for a good grade."]


def test_every_grade_below_good_says_why():
    for values in ([10.0], [10.0, 11.0], [10.0, 11.0, 12.0], [10.0] * 8):
        series = _weekly(values)
        quality = kpi_data_quality(measurements=series, cadence_days=7, today=series[-1][0])
        assert (quality["confidence"] == "good") is (not quality["issues"]), values


def test_steady_series_has_good_quality():
    series = _weekly([10 + i + (0.1 if i % 2 else -0.1) for i in range(14)])
    quality = kpi_data_quality(measurements=series, cadence_days=7, today=series[-1][0])
    assert quality == {
        "confidence": "good",
        "stale": False,
        "days_since_last": 0,
        "frozen": False,
        "outliers": [],
        "latest_implausible": False,
        "issues": [],
    }


def _facts(**overrides):
    values = {
        "title": "Campaign",
        "status": "active",
        "start_date": JAN1,
        "due_date": DEC31,
        "reported_progress": 0.5,
        "checkin_cadence_days": 14,
        "last_checkin_on": MID - dt.timedelta(days=7),
        "last_rag": "green",
        "last_confidence": 80,
        "budget_planned": 100_000.0,
        "spent": 40_000.0,
    }
    values.update(overrides)
    return InitiativeFacts(**values)


def _component(result, key):
    return next(c for c in result.components["items"] if c["key"] == key)


def test_initiative_on_plan():
    result = initiative_score(facts=_facts(), today=MID)
    # schedule 100 (0.3), check-ins 100 (0.15), reported (100 + 80) / 2 = 90 (0.15),
    # budget 100 (0.1); no milestones, no KPIs: weights renormalised over 0.7.
    assert result.score == pytest.approx((30 + 15 + 13.5 + 10) / 0.7)
    assert result.status == "on_track"
    assert result.expected_progress == pytest.approx(0.5)
    assert sum(c["weight"] for c in result.components["items"]) == pytest.approx(1.0)


@pytest.mark.parametrize(
    ("overrides", "key", "score"),
    [
        ({"reported_progress": 0.25}, "schedule", 50.0),  # 25 % delivered, 50 % elapsed
        ({"spent": 120_000.0}, "budget", 40.0),  # over budget: capped at 40
        ({"spent": 80_000.0, "reported_progress": 0.3}, "budget", 56.25),  # (0.3 + 0.15) / 0.8
        ({"last_checkin_on": MID - dt.timedelta(days=35)}, "checkin_freshness", 25.0),
        ({"last_rag": "red", "last_confidence": 40}, "reported", 30.0),
        (
            {
                "milestones": (
                    Milestone(1, "Brief", D(2026, 3, 1), D(2026, 2, 20), 1.0),
                    Milestone(2, "Launch", D(2026, 6, 1), None, 3.0),
                )
            },
            "milestones",
            25.0,  # 3 of 4 weight overdue
        ),
    ],
)
def test_initiative_components(overrides, key, score):
    result = initiative_score(facts=_facts(**overrides), today=MID)
    assert _component(result, key)["score"] == pytest.approx(score)


def test_initiative_milestones_count_in_delivered_progress():
    facts = _facts(
        reported_progress=0.6,
        milestones=(
            Milestone(1, "Brief", D(2026, 3, 1), D(2026, 2, 20), 1.0),
            Milestone(2, "Launch", D(2026, 9, 1), None, 1.0),
        ),
    )
    result = initiative_score(facts=facts, today=MID)
    assert result.components["facts"]["delivered"] == pytest.approx((0.6 + 0.5) / 2)


def test_initiative_done_late_shows_its_final_result():
    result = initiative_score(
        facts=_facts(status="done", completed_on=D(2027, 1, 30)), today=D(2027, 2, 1)
    )
    assert result.score == pytest.approx(100 * (1 - 30 / 364))
    assert "30 days late" in result.reason


@pytest.mark.parametrize(
    ("last", "start", "cadence", "days", "late", "stale"),
    [
        (MID - dt.timedelta(days=21), JAN1, 14, 21, 7, False),  # 21 days is not past 14 x 1.5
        (MID - dt.timedelta(days=22), JAN1, 14, 22, 8, True),
        (MID - dt.timedelta(days=11), JAN1, 7, 11, 4, True),  # 11 > 10.5
        (MID - dt.timedelta(days=10), JAN1, 7, 10, 3, False),
        (None, MID - dt.timedelta(days=21), 14, 21, 7, False),  # never: counted from the start
        (None, MID - dt.timedelta(days=22), 14, 22, 8, True),
        (None, MID + dt.timedelta(days=5), 14, -5, -19, False),  # not started yet
        (MID - dt.timedelta(days=40), MID + dt.timedelta(days=1), 14, 40, 26, False),
    ],
)
def test_checkin_silence(last, start, cadence, days, late, stale):
    silence = checkin_silence(
        last_checkin_on=last, start_date=start, cadence_days=cadence, today=MID, grace=1.5
    )
    assert (silence.days, silence.days_late, silence.stale) == (days, late, stale)


def test_cancelled_initiative_is_not_scored():
    result = initiative_score(facts=_facts(status="cancelled"), today=MID)
    assert result.status == "no_data"
    assert result.score is None


def test_rollup_weighted_with_contributors():
    children = [
        Child("kpi:1", "KPI “A”", 100.0, 1.0, "on_track", "fine"),
        Child("kpi:2", "KPI “B”", 50.0, 3.0, "off_track", "40 % below trajectory"),
        Child("kpi:3", "KPI “C”", None, 1.0, "no_data", "No measurement yet"),
    ]
    result = rollup_score(children=children)
    assert result.score == pytest.approx(62.5)
    assert result.status == "off_track"
    assert result.components["coverage"] == pytest.approx(0.8)
    # Plain parts (no subject): their labels are the text; the parts are stored with them.
    assert result.contributors == [
        {
            "label": "KPI “B”",
            "gap_points": 37.5,
            "explanation": "KPI “B”: 40 % below trajectory",
            "explanation_parts": {
                "t": "{0}: {d}",
                "v": {"0": "KPI “B”", "d": "40 % below trajectory"},
            },
        }
    ]
    assert "KPI “B” (-38 points)" in result.reason


def test_rollup_of_subjects_stores_references_never_names():
    children = [
        Child("kpi:1", "KPI", 100.0, 1.0, "on_track", "fine", "kpi", 1),
        Child("kpi:2", "KPI", 50.0, 3.0, "off_track", "40 % below", "kpi", 2),
    ]
    result = rollup_score(children=children)
    assert result.reason == (
        "Health 62/100 (2 of 2 parts scored); behind mainly because of a part."
    )
    assert result.contributors[0]["explanation"] == "a part"
    assert result.contributors[0]["subject_id"] == 2
    why = result.reason_parts["v"]["why"]["list"][0]
    assert why["about"] == ["kpi", 2]
    assert why["v"]["0"]["ref"] == ["kpi", 2]
    assert result.components["items"][1]["detail_parts"] == "40 % below"
    assert result.components["items"][1]["label"] == "a KPI"


def test_rollup_with_little_data_is_never_on_track():
    children = [
        Child("kpi:1", "KPI “A”", 100.0, 1.0, "on_track"),
        Child("kpi:2", "KPI “B”", None, 3.0, "no_data"),
    ]
    result = rollup_score(children=children)
    assert result.score == 100.0
    assert result.status == "at_risk"
    assert "25 % of its weight" in result.reason


def test_rollup_of_nothing_has_no_data():
    assert rollup_score(children=[]).status == "no_data"


@pytest.mark.parametrize(
    ("closed", "status"),
    [("achieved", "on_track"), ("missed", "off_track"), ("cancelled", "no_data")],
)
def test_closed_objective_shows_its_final_result(closed, status):
    result = rollup_score(children=[Child("k", "K", 80.0, 1.0, "at_risk")], closed=closed)
    assert result.status == status
