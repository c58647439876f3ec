"""Charts drawn on the server as SVG (execsupport/svgcharts.py): well-formed, escaped,
scaled to their box, with words beside colours."""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET

import pytest

from execsupport.svgcharts import TONES, Bar, bar_chart, line_chart

SVG = "{http://www.w3.org/2000/svg}"


def _parse(markup: str) -> ET.Element:
    return ET.fromstring(markup)  # noqa: S314 - our own markup


def _points(svg: ET.Element) -> list[tuple[float, float]]:
    line = svg.find(f"{SVG}polyline")
    return [tuple(map(float, p.split(","))) for p in line.get("points").split()]


def test_a_line_chart_spans_its_box_with_the_target_dashed():
    svg = _parse(
        line_chart(
            [("2026-01-01", 10), ("2026-02-01", 20), ("2026-03-01", 15)],
            target=30,
            title="Win rate",
            width=300,
            height=150,
            unit="%",
        )
    )
    points = _points(svg)
    assert len(points) == 3
    xs, ys = [p[0] for p in points], [p[1] for p in points]
    assert xs == sorted(xs)
    assert all(0 <= x <= 300 for x in xs)
    assert all(0 <= y <= 150 for y in ys)
    target = svg.find(f"{SVG}line[@class='svgchart__target']")
    assert target.get("stroke-dasharray")
    # the target (the highest value) is drawn above every point (SVG's y grows downwards)
    assert float(target.get("y1")) < min(ys)
    assert ys[1] < ys[2] < ys[0]  # 20 above 15 above 10
    texts = [t.text for t in svg.iter(f"{SVG}text")]
    assert "Win rate" in texts
    assert "target 30" in texts
    assert svg.get("role") == "img"
    assert svg.get("aria-label") == "Win rate: 3 values, last 15 % (2026-03-01), target 30 %"


def test_a_sparkline_has_no_axis_text_and_skips_missing_values():
    svg = _parse(
        line_chart(
            [("a", 1.0), ("b", float("nan")), ("c", None), ("d", 3.0)],
            title="Trend",
            width=120,
            height=30,
        )
    )
    assert list(svg.iter(f"{SVG}text")) == []
    assert len(_points(svg)) == 2
    assert svg.find(f"{SVG}title").text.startswith("Trend: 2 values")


@pytest.mark.parametrize("points", [[], [("a", None)], [("a", float("inf"))]])
def test_nothing_to_draw_gives_an_empty_string(points):
    assert line_chart(points, title="x") == ""


def test_one_point_or_a_flat_series_still_draws():
    single = _parse(line_chart([("a", 5.0)], title="One", width=100, height=30))
    assert single.find(f"{SVG}circle") is not None
    flat = _parse(line_chart([("a", 5.0), ("b", 5.0)], title="Flat", width=100, height=30))
    assert len({y for _, y in _points(flat)}) == 1


def test_labels_are_escaped():
    markup = line_chart([("<b>", 1.0), ("x", 2.0)], title='<script>"', width=300, height=150)
    assert "<script>" not in markup
    assert "<b>" not in markup
    assert _parse(markup).find(f"{SVG}title").text.startswith('<script>"')


def test_bars_are_clipped_to_the_scale_and_say_their_status_in_words():
    svg = _parse(
        bar_chart(
            [
                Bar("Low", 20, tone="bad", note="Off track"),
                Bar("Over", 250, tone="ok", note="On track"),
                Bar("Below zero", -5, tone="warn"),
                Bar("Unscored", None),
                Bar("A label far too long to fit in the space left for the labels", 50),
            ],
            title="Objectives by score",
            maximum=100,
            width=600,
        )
    )
    bars = svg.findall(f".//{SVG}rect[@class='svgchart__bar']")
    widths = [float(b.get("width")) for b in bars]
    assert len(bars) == 4  # the unscored row has no bar
    full = widths[1]
    assert widths[0] == pytest.approx(full * 0.2, abs=0.2)
    assert widths[2] == 0
    assert bars[0].get("fill") == TONES["bad"]
    texts = [t.text for t in svg.iter(f"{SVG}text")]
    assert "20 · Off track" in texts
    assert "no value" in texts
    assert any(t.endswith("…") for t in texts)
    titles = [t.text for t in svg.iter(f"{SVG}title")]
    assert "A label far too long to fit in the space left for the labels" in titles
    assert bar_chart([], title="x") == ""


def test_numbers_are_short():
    markup = bar_chart([Bar("a", 12.3456), Bar("b", 1234.0)], title="t", maximum=2000)
    assert re.search(r">12\.35<", markup)
    assert re.search(r">1,234<", markup)
