"""Plotly figures as plain dicts (serialised with orjson by the template tag): the colours, fonts,
labels and layout every chart shares, and what a chart can draw. The overview's charts are in
``workspace.charts``, a KPI's in ``metrics.charts``, an initiative's in ``initiatives.charts``.

Never plotly graph objects: building them is hundreds of times slower than a dict.
Every status colour comes with a text label on the chart or beside it.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Iterable, Sequence
from typing import Any

import orjson

from execsupport.validation import MAX_DATE, MIN_DATE, VALUE_LIMIT

COLOURS = {"on_track": "#2f7d4f", "at_risk": "#d69e2e", "off_track": "#b42318"}
NEUTRAL = "#98a2b3"
BRAND = "#3451b2"
FONT = {
    "family": "system-ui, -apple-system, Segoe UI, Roboto, sans-serif",
    "size": 12,
    "color": "#1d2430",
}
LABELS = {
    "on_track": "On track",
    "at_risk": "At risk",
    "off_track": "Off track",
    "no_data": "No data",
    "unavailable": "Unavailable",
}


# --- what a chart can draw ---------------------------------------------------------------------
# Charts draw the dates and values the input rules accept (execsupport.validation). Older rows,
# admin edits or derived figures (a forecast extrapolated to a far target date) can lie outside:
# those points are left out, or a line is cut where it leaves the window, and the figure
# carries a note saying so (``figure["notes"]``, shown under the chart by ``plotly_figure``).
CHART_FIRST_DAY = MIN_DATE
CHART_LAST_DAY = MAX_DATE


def chart_day_ok(day: dt.date | None) -> bool:
    """Whether a chart can place this day (and a few days' margin either side)."""
    return day is not None and CHART_FIRST_DAY <= day <= CHART_LAST_DAY


def chart_value_ok(value: Any) -> bool:
    """Whether a chart can place this value: a finite number below ``VALUE_LIMIT``."""
    if value is None or isinstance(value, bool):
        return False
    try:
        number = float(value)
    except (TypeError, ValueError, OverflowError):
        return False
    return math.isfinite(number) and abs(number) < VALUE_LIMIT


def chart_points(
    points: Iterable[tuple[dt.date, Any]],
) -> tuple[list[tuple[dt.date, float]], int]:
    """The points a chart can draw (as floats) and the number left out."""
    kept: list[tuple[dt.date, float]] = []
    left_out = 0
    for day, value in points:
        if chart_day_ok(day) and chart_value_ok(value):
            kept.append((day, float(value)))
        else:
            left_out += 1
    return kept, left_out


def chart_line(points: Sequence[tuple[dt.date, Any]]) -> tuple[list[tuple[dt.date, float]], int]:
    """A straight-segment line (a plan, a forecast) cut to what a chart can draw.

    A segment that leaves the date window ends at the window's edge, at the value the segment
    has there; points with a value a chart cannot place are left out. Returns the line and the
    number of points that were cut off or left out."""
    line: list[tuple[dt.date, float]] = []
    cut = 0
    usable = [(d, float(v)) for d, v in points if chart_value_ok(v)]
    cut += len(points) - len(usable)
    for index, (day, value) in enumerate(usable):
        if chart_day_ok(day):
            line.append((day, value))
            continue
        cut += 1
        edge = CHART_LAST_DAY if day > CHART_LAST_DAY else CHART_FIRST_DAY
        for neighbour in (
            usable[index - 1] if index else None,
            usable[index + 1] if index + 1 < len(usable) else None,
        ):
            if neighbour is None or not chart_day_ok(neighbour[0]):
                continue
            span = day.toordinal() - neighbour[0].toordinal()
            share = (edge.toordinal() - neighbour[0].toordinal()) / span
            at_edge = neighbour[1] + share * (value - neighbour[1])
            if chart_value_ok(at_edge):
                line.append((edge, at_edge))
    line.sort(key=lambda point: point[0])
    return line, cut


def chart_note(figure: dict | None, text: str) -> None:
    """Add a note shown under the chart (what it leaves out, and why)."""
    if figure is not None:
        figure.setdefault("notes", []).append(text)


def outside_note(count: int, what: str) -> str:
    """The note for ``count`` things (``what``: "milestone", "measurement"...) not drawn."""
    plural = what if count == 1 else f"{what}s"
    return (
        f"{count} {plural} not drawn: dated outside {CHART_FIRST_DAY:%Y} to {CHART_LAST_DAY:%Y} "
        f"or valued beyond ±{VALUE_LIMIT:g}."
    )


def _plain(value: Any) -> Any:
    """A figure with every number JSON can carry: integers beyond 64 bits (PostgreSQL's jsonb
    returns a float like 1.6e20 as such an integer) become floats, non-finite floats null."""
    if isinstance(value, dict):
        return {key: _plain(inner) for key, inner in value.items()}
    if isinstance(value, list | tuple):
        return [_plain(inner) for inner in value]
    if isinstance(value, int) and not isinstance(value, bool) and not -(2**63) <= value < 2**64:
        return float(value)
    if isinstance(value, float) and not math.isfinite(value):
        return None
    return value


def figure_json(figure: dict) -> bytes:
    """The figure as JSON bytes, whatever numbers the stored data held."""
    try:
        return orjson.dumps(figure)
    except TypeError:  # "Integer exceeds 64-bit range"
        return orjson.dumps(_plain(figure))


def base_layout(**extra) -> dict:
    """The shared Plotly layout (font, margins, transparent background, light grid, no legend),
    updated with ``extra``."""
    layout = {
        "font": FONT,
        "margin": {"l": 48, "r": 16, "t": 12, "b": 36},
        "paper_bgcolor": "rgba(0,0,0,0)",
        "plot_bgcolor": "rgba(0,0,0,0)",
        "xaxis": {"gridcolor": "#eef0f3", "zeroline": False},
        "yaxis": {"gridcolor": "#eef0f3", "zeroline": False},
        "showlegend": False,
        "hoverlabel": {"font": {"family": FONT["family"]}},
    }
    layout.update(extra)
    return layout
