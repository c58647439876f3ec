"""The overview's charts as plotly figures (plain dicts, as ``strategy.charts``): the health
trend, the scores by theme or team, and the planned budget by theme."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from strategy.charts import (
    BRAND,
    COLOURS,
    LABELS,
    NEUTRAL,
    base_layout,
)

if TYPE_CHECKING:
    from workspace.overview import ScoreRow


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
