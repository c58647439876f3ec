"""Figures of the overview, as plain dicts."""

from __future__ import annotations

import datetime as dt

from workspace.charts import health_trend

DAY = dt.date(2026, 11, 27)


def test_a_young_health_history_is_drawn_on_a_month():
    figure = health_trend(trend=[(DAY - dt.timedelta(days=7), 70.0), (DAY, 72.04)])
    assert figure["layout"]["xaxis"]["range"] == ["2026-10-28", "2026-11-29"]
    assert figure["data"][0]["y"] == [70.0, 72.0]


def test_a_longer_history_is_drawn_whole():
    weekly = [(DAY - dt.timedelta(weeks=w), 60.0 + w) for w in range(12, -1, -1)]
    figure = health_trend(trend=weekly)
    assert "range" not in figure["layout"]["xaxis"]  # plotly fits the 12 weeks
    assert figure["data"][0]["x"][0] == "2026-09-04"
    assert len(figure["data"][0]["x"]) == 13


def test_no_history_no_figure():
    assert health_trend(trend=[]) is None
