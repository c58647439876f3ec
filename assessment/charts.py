"""The capability radar as a plotly figure (a plain dict, as ``strategy.charts``).

Drawn with ``scatter`` traces on hidden cartesian axes (our plotly.js basic bundle has no
polar traces): each capability is a spoke, a score of 5 reaches its end, rings mark 1 to 5.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

from assessment.models import CAPABILITIES, Capability
from strategy.charts import BRAND, FONT, NEUTRAL, base_layout

RING = "#d0d5dd"


def _point(index: int, radius: float) -> tuple[float, float]:
    angle = math.pi / 2 - 2 * math.pi * index / len(CAPABILITIES)
    return round(radius * math.cos(angle), 4), round(radius * math.sin(angle), 4)


def _polygon(scores: Sequence[float]) -> tuple[list[float], list[float]]:
    points = [_point(i, s / 5) for i, s in enumerate(scores)]
    points.append(points[0])
    return [x for x, _ in points], [y for _, y in points]


def capability_radar(*, series: list[tuple[str, dict[str, int]]]) -> dict | None:
    """A radar of one or more assessments: ``series`` is ``[(name, {capability: score})]``,
    the first drawn as the current one (solid), the others dashed. None without any series."""
    series = [(name, scores) for name, scores in series if scores]
    if not series:
        return None
    labels = dict(Capability.choices)
    data = []
    for ring in range(1, 6):
        xs, ys = _polygon([ring] * len(CAPABILITIES))
        data.append(
            {
                "type": "scatter",
                "mode": "lines",
                "x": xs,
                "y": ys,
                "line": {"color": RING, "width": 1},
                "hoverinfo": "skip",
                "showlegend": False,
            }
        )
    for i in range(len(CAPABILITIES)):
        x, y = _point(i, 1.0)
        data.append(
            {
                "type": "scatter",
                "mode": "lines",
                "x": [0, x],
                "y": [0, y],
                "line": {"color": RING, "width": 1},
                "hoverinfo": "skip",
                "showlegend": False,
            }
        )
    colours = [BRAND, NEUTRAL, "#d69e2e", "#2f7d4f", "#b42318"]
    for n, (name, scores) in enumerate(series):
        values = [scores[c] for c in CAPABILITIES]
        xs, ys = _polygon(values)
        data.append(
            {
                "type": "scatter",
                "mode": "lines+markers",
                "x": xs,
                "y": ys,
                "name": name,
                "fill": "toself" if n == 0 else "none",
                "line": {"color": colours[n % len(colours)], "width": 2.5 if n == 0 else 1.5,
                         "dash": "solid" if n == 0 else "dash"},
                "text": [f"{labels[c]}: {s}" for c, s in zip(CAPABILITIES, values, strict=True)]
                + [f"{labels[CAPABILITIES[0]]}: {values[0]}"],
                "hovertemplate": "%{text}<extra>" + name.replace("<", "") + "</extra>",
            }
        )  # fmt: skip
    annotations = []
    for i, c in enumerate(CAPABILITIES):
        x, y = _point(i, 1.18)
        annotations.append({"x": x, "y": y, "text": labels[c], "showarrow": False, "font": FONT})
    hidden = {"visible": False, "range": [-1.45, 1.45], "fixedrange": True}
    return {
        "data": data,
        "layout": base_layout(
            xaxis=hidden,
            yaxis={**hidden, "scaleanchor": "x"},
            annotations=annotations,
            showlegend=len(series) > 1,
            legend={"orientation": "h", "y": -0.05},
            height=360,
            margin={"l": 8, "r": 8, "t": 8, "b": 8},
        ),
    }
