"""Plotly figures of the plan as plain dicts (serialised with orjson by the template tag).

Never plotly graph objects: building them is hundreds of times slower than a dict.
Every status colour comes with a text label on the chart or beside it.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Iterable, Sequence
from typing import TYPE_CHECKING, Any

import orjson

from execsupport.validation import MAX_DATE, MIN_DATE, VALUE_LIMIT

if TYPE_CHECKING:
    from workspace.overview import ScoreRow

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


def health_trend(*, trend: list[tuple[dt.date, float]]) -> dict | None:
    """The execution-health index over time with the on-track / at-risk zones shaded."""
    if not trend:
        return None
    dates = [d.isoformat() for d, _ in trend]
    xaxis: dict[str, Any] = {"type": "date", "gridcolor": "#eef0f3", "tickformat": "%-d %b"}
    first, last = trend[0][0], trend[-1][0]
    if (last - first).days < 30:  # a young history: a month, so one point does not fill the axis
        xaxis["range"] = [
            (last - dt.timedelta(days=30)).isoformat(),
            (last + dt.timedelta(days=2)).isoformat(),
        ]
    return {
        "data": [
            {
                "type": "scatter",
                "mode": "lines+markers" if len(trend) < 40 else "lines",
                "x": dates,
                "y": [round(v, 1) for _, v in trend],
                "line": {"color": BRAND, "width": 2.5},
                "marker": {"size": 7},
                "name": "Health index",
                "hovertemplate": "%{x|%-d %b %Y}: <b>%{y:.0f}</b><extra></extra>",
            }
        ],
        "layout": base_layout(
            yaxis={"range": [0, 100], "gridcolor": "#eef0f3", "title": {"text": "Health"}},
            xaxis=xaxis,
            height=220,
        ),
    }


def score_bars(*, rows: Sequence[tuple[str, ScoreRow | None]], title: str) -> dict | None:
    """Horizontal bars of 0-100 health, one per theme or team, labelled with the status."""
    bars = [
        (name, row.score, row.status)
        for name, row in rows
        if row is not None and row.score is not None
    ]
    if not bars:
        return None
    bars.sort(key=lambda r: -r[1])  # plotly draws the last bar on top: worst on top
    return {
        "data": [
            {
                "type": "bar",
                "orientation": "h",
                "y": [name for name, _, _ in bars],
                "x": [round(score, 1) for _, score, _ in bars],
                "text": [
                    f"{score:.0f} · {LABELS.get(status, status)}" for _, score, status in bars
                ],
                "textposition": "auto",
                "marker": {"color": [COLOURS.get(status, NEUTRAL) for _, _, status in bars]},
                "hovertemplate": "%{y}: %{x:.0f}<extra></extra>",
                "name": title,
            }
        ],
        "layout": base_layout(
            xaxis={"range": [0, 100], "gridcolor": "#eef0f3", "title": {"text": "Health (0-100)"}},
            yaxis={"automargin": True},
            margin={"l": 8, "r": 16, "t": 8, "b": 40},
            height=max(140, 34 * len(bars) + 60),
        ),
    }


def allocation(*, by_theme: list[dict], currency: str) -> dict | None:
    """Planned budget and spend per theme (bars), with planned effort as markers (right axis)."""
    rows = [r for r in by_theme if r["budget"] or r["spent"] or r["effort"]]
    if not rows:
        return None
    names = [r["theme"].name for r in rows]
    return {
        "data": [
            {
                "type": "bar",
                "name": "Budget planned",
                "x": names,
                "y": [float(r["budget"]) for r in rows],
                "marker": {"color": "#c7d2f4"},
                "hovertemplate": f"%{{x}}: %{{y:,.0f}} {currency} planned<extra></extra>",
            },
            {
                "type": "bar",
                "name": "Spent",
                "x": names,
                "y": [float(r["spent"]) for r in rows],
                "marker": {"color": BRAND},
                "hovertemplate": f"%{{x}}: %{{y:,.0f}} {currency} spent<extra></extra>",
            },
            {
                "type": "scatter",
                "mode": "markers",
                "name": "Effort (FTE)",
                "x": names,
                "y": [float(r["effort"]) for r in rows],
                "yaxis": "y2",
                "marker": {"color": "#1d2430", "symbol": "diamond", "size": 10},
                "hovertemplate": "%{x}: %{y:.1f} FTE<extra></extra>",
            },
        ],
        "layout": base_layout(
            barmode="group",
            showlegend=True,
            legend={"orientation": "h", "y": 1.12, "x": 0},
            yaxis={"title": {"text": currency}, "gridcolor": "#eef0f3", "rangemode": "tozero"},
            yaxis2={
                "title": {"text": "FTE"},
                "overlaying": "y",
                "side": "right",
                "rangemode": "tozero",
                "showgrid": False,
            },
            margin={"l": 60, "r": 48, "t": 30, "b": 40},
            height=280,
        ),
    }
