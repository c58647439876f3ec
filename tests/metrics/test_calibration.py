"""Hand-computed tables of ``metrics.scoring.calibration`` (no database)."""

from __future__ import annotations

import math

import pytest

from metrics.scoring.calibration import (
    binomial_interval,
    brier_score,
    log_loss,
    reliability_table,
)


@pytest.mark.parametrize(
    ("probabilities", "outcomes", "expected"),
    [
        ([1.0, 0.0], [1, 0], 0.0),  # certain and right
        ([1.0, 0.0], [0, 1], 1.0),  # certain and wrong
        ([0.5, 0.5, 0.5], [1, 0, 1], 0.25),  # the coin flip
        ([0.8, 0.3], [True, False], (0.2**2 + 0.3**2) / 2),  # 0.065
    ],
)
def test_brier_score_table(probabilities, outcomes, expected):
    assert brier_score(probabilities=probabilities, outcomes=outcomes) == pytest.approx(expected)


def test_log_loss_table():
    # -(ln 0.8 + ln 0.7) / 2 = 0.2899
    assert log_loss(probabilities=[0.8, 0.3], outcomes=[1, 0]) == pytest.approx(
        -(math.log(0.8) + math.log(0.7)) / 2
    )
    assert log_loss(probabilities=[0.5], outcomes=[0]) == pytest.approx(math.log(2))


def test_log_loss_clips_a_confident_miss_to_eps():
    assert log_loss(probabilities=[0.0], outcomes=[1], eps=1e-6) == pytest.approx(-math.log(1e-6))


@pytest.mark.parametrize(
    ("probabilities", "outcomes"),
    [([], []), ([0.5], [1, 0]), ([1.2], [1]), ([-0.1], [0]), ([math.nan], [1]), ([math.inf], [1])],
)
def test_calibration_refuses_bad_input(probabilities, outcomes):
    with pytest.raises(ValueError, match=r"probabilit|outcomes|\[0, 1\]"):
        brier_score(probabilities=probabilities, outcomes=outcomes)
    with pytest.raises(ValueError, match=r"probabilit|outcomes|\[0, 1\]"):
        log_loss(probabilities=probabilities, outcomes=outcomes)


def test_reliability_table_counts_each_bin():
    rows = reliability_table(
        probabilities=[0.05, 0.15, 0.45, 0.55, 0.95, 1.0],
        outcomes=[0, 0, 1, 0, 1, 1],
        edges=(0.0, 0.5, 0.9, 1.0),
    )
    assert [(r["low"], r["high"], r["count"]) for r in rows] == [
        (0.0, 0.5, 3),
        (0.5, 0.9, 1),
        (0.9, 1.0, 2),  # 1.0 falls in the last, closed bin
    ]
    assert rows[0]["mean_probability"] == pytest.approx(0.65 / 3)
    assert rows[0]["observed_rate"] == pytest.approx(1 / 3)
    assert rows[1]["observed_rate"] == 0.0
    assert rows[2]["observed_rate"] == 1.0


def test_reliability_table_keeps_empty_bins():
    rows = reliability_table(probabilities=[0.05], outcomes=[1], edges=(0.0, 0.5, 1.0))
    assert rows[1] == {
        "low": 0.5,
        "high": 1.0,
        "count": 0,
        "mean_probability": None,
        "observed_rate": None,
    }


@pytest.mark.parametrize("edges", [(0.0, 0.5), (0.1, 1.0), (0.0, 0.6, 0.5, 1.0)])
def test_reliability_table_refuses_bad_edges(edges):
    with pytest.raises(ValueError, match="edges"):
        reliability_table(probabilities=[0.5], outcomes=[1], edges=edges)


def test_binomial_interval_of_80_out_of_100():
    # Wilson: centre (0.8 + 1.96²/200) / (1 + 1.96²/100) = 0.7849, half-width 0.0850
    low, high = binomial_interval(successes=80, trials=100)
    assert low == pytest.approx(0.7112, abs=1e-4)
    assert high == pytest.approx(0.8666, abs=1e-4)


def test_binomial_interval_stays_within_0_and_1():
    assert binomial_interval(successes=0, trials=10)[0] == pytest.approx(0.0, abs=1e-12)
    assert binomial_interval(successes=10, trials=10)[1] == pytest.approx(1.0)
    with pytest.raises(ValueError, match="not a proportion"):
        binomial_interval(successes=3, trials=0)
