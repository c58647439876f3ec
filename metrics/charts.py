"""Plotly figures of a KPI, as plain dicts."""

from __future__ import annotations

import datetime as dt

from strategy.charts import (
    BRAND,
    COLOURS,
    NEUTRAL,
    base_layout,
    chart_day_ok,
    chart_line,
    chart_note,
    chart_points,
    chart_value_ok,
    outside_note,
)
from strategy.quantities import date_text


def kpi_plan_points(*, kpi, trajectory: list[tuple[dt.date, float]]) -> list[tuple[dt.date, float]]:
    """The planned path: baseline, the trajectory points between, then the target."""
    inner = [(d, v) for d, v in trajectory if kpi.baseline_date < d < kpi.target_date]
    return [(kpi.baseline_date, kpi.baseline_value), *inner, (kpi.target_date, kpi.target_value)]


def kpi_chart(
    *,
    kpi,
    measurements: list[tuple[dt.date, float]],
    trajectory: list[tuple[dt.date, float]],
    forecast: dict | None,
    on_track: float,
    off_track: float,
    today: dt.date,
) -> dict:
    """Measurements against baseline, planned trajectory, status bands and the forecast line.

    The bands follow the plan: a value below ``on_track`` x the planned change is at risk, below
    ``off_track`` x it is off track (the thresholds the gap engine uses). A keep-within-range
    KPI shows its range instead.

    What a chart cannot place (``strategy.charts``: a target date in 9999, a forecast beyond
    1e15) is cut at the edge of the chart or left out, with a note under it.
    """
    notes: list[str] = []
    plan, cut = chart_line(kpi_plan_points(kpi=kpi, trajectory=trajectory))
    if cut:
        notes.append(
            f"The plan is cut where it leaves the dates and values a chart can draw "
            f"(target date {date_text(kpi.target_date)})."
        )
    if not plan:  # nothing of the plan is drawable: anchor the axis on the measurements
        plan = [(day, value) for day, value in chart_points(measurements)[0][:1]] or [(today, 0.0)]
    measurements, left_out = chart_points(measurements)
    if left_out:
        notes.append(outside_note(left_out, "measurement"))
    plan_x = [d.isoformat() for d, _ in plan]
    data: list[dict] = []
    if (
        kpi.direction == "range"
        and chart_value_ok(kpi.range_low)
        and chart_value_ok(kpi.range_high)
    ):
        data.append(
            {
                "type": "scatter",
                "mode": "lines",
                "name": "Target range",
                "x": [plan_x[0], plan_x[-1], plan_x[-1], plan_x[0]],
                "y": [kpi.range_low, kpi.range_low, kpi.range_high, kpi.range_high],
                "fill": "toself",
                "fillcolor": "rgba(47,125,79,0.10)",
                "line": {"width": 0},
                "hoverinfo": "skip",
            }
        )
    else:

        def band_at(share: float) -> list[float]:
            return [kpi.baseline_value + share * (v - kpi.baseline_value) for _, v in plan]

        data += [
            {
                "type": "scatter",
                "mode": "lines",
                "x": plan_x,
                "y": band_at(off_track),
                "line": {"width": 0},
                "hoverinfo": "skip",
                "showlegend": False,
            },
            {
                "type": "scatter",
                "mode": "lines",
                "name": f"At risk (below {on_track:.0%} of plan)",
                "x": plan_x,
                "y": band_at(on_track),
                "fill": "tonexty",
                "fillcolor": "rgba(214,158,46,0.16)",
                "line": {"width": 0},
                "hoverinfo": "skip",
            },
            {
                "type": "scatter",
                "mode": "lines",
                "x": plan_x,
                "y": band_at(0.0),
                "line": {"width": 0},
                "hoverinfo": "skip",
                "showlegend": False,
            },
            {
                "type": "scatter",
                "mode": "lines",
                "name": f"Off track (below {off_track:.0%})",
                "x": plan_x,
                "y": band_at(off_track),
                "fill": "tonexty",
                "fillcolor": "rgba(180,35,24,0.10)",
                "line": {"width": 0},
                "hoverinfo": "skip",
            },
        ]
    data.append(
        {
            "type": "scatter",
            "mode": "lines",
            "name": "Plan (target trajectory)",
            "x": plan_x,
            "y": [v for _, v in plan],
            "line": {"color": COLOURS["on_track"], "dash": "dash", "width": 2},
            "hovertemplate": "Plan %{x|%-d %b %Y}: %{y:,.2f}<extra></extra>",
        }
    )
    data.append(
        {
            "type": "scatter",
            "mode": "lines",
            "name": "Baseline",
            "x": [plan_x[0], plan_x[-1]],
            "y": [kpi.baseline_value, kpi.baseline_value],
            "line": {"color": NEUTRAL, "dash": "dot", "width": 1.5},
            "hovertemplate": "Baseline: %{y:,.2f}<extra></extra>",
        }
    )
    band, band_cut = _forecast_band(forecast)
    if forecast and len(band) >= 2:  # a band comes only from a forecast
        # The interval as a band from the latest value to the target date: its upper edge, then
        # the lower edge filled up to it (the same figures as the page's text).
        level = f"{forecast.get('interval_level', 0.8):.0%}"
        data.append(
            {
                "type": "scatter",
                "mode": "lines",
                "name": f"Forecast {level} interval (upper)",
                "x": [b[0] for b in band],
                "y": [b[2] for b in band],
                "line": {"color": "rgba(124, 58, 237, 0.35)", "width": 0.5},
                "showlegend": False,
                "hovertemplate": f"{level} interval, upper: %{{y:,.2f}}<extra></extra>",
            }
        )
        data.append(
            {
                "type": "scatter",
                "mode": "lines",
                "name": f"Forecast {level} interval",
                "x": [b[0] for b in band],
                "y": [b[1] for b in band],
                "fill": "tonexty",
                "fillcolor": "rgba(124, 58, 237, 0.15)",
                "line": {"color": "rgba(124, 58, 237, 0.35)", "width": 0.5},
                "hovertemplate": f"{level} interval, lower: %{{y:,.2f}}<extra></extra>",
            }
        )
    line, forecast_cut = _forecast_line(forecast)
    if forecast_cut or band_cut:
        notes.append("The forecast is cut where it leaves the dates and values a chart can draw.")
    if forecast and line:  # a line comes only from a forecast
        data.append(
            {
                "type": "scatter",
                "mode": "lines",
                "name": "Forecast",
                "x": [d.isoformat() for d, _ in line],
                "y": [v for _, v in line],
                "line": {"color": "#7c3aed", "dash": "dashdot", "width": 2},
                "hovertemplate": "Forecast %{x|%-d %b %Y}: %{y:,.2f}<extra></extra>",
            }
        )
        if (
            chart_day_ok(kpi.target_date)
            and chart_value_ok(forecast.get("value_at_target"))
            and chart_value_ok(forecast.get("interval_low"))
            and chart_value_ok(forecast.get("interval_high"))
        ):
            value = float(forecast["value_at_target"])
            data.append(
                {
                    "type": "scatter",
                    "mode": "markers",
                    "name": f"Forecast at target date ({forecast.get('interval_level', 0.8):.0%} interval)",
                    "x": [kpi.target_date.isoformat()],
                    "y": [value],
                    "marker": {"color": "#7c3aed", "size": 9, "symbol": "diamond"},
                    "error_y": {
                        "type": "data",
                        "symmetric": False,
                        "array": [float(forecast["interval_high"]) - value],
                        "arrayminus": [value - float(forecast["interval_low"])],
                        "color": "#7c3aed",
                    },
                    "hovertemplate": "Forecast at target: %{y:,.2f}<extra></extra>",
                }
            )
    data.append(
        {
            "type": "scatter",
            "mode": "lines+markers" if len(measurements) <= 60 else "lines",
            "name": "Measured",
            "x": [d.isoformat() for d, _ in measurements],
            "y": [v for _, v in measurements],
            "line": {"color": BRAND, "width": 2.5},
            "marker": {"size": 6},
            "hovertemplate": "%{x|%-d %b %Y}: <b>%{y:,.2f}</b><extra>Measured</extra>",
        }
    )
    figure = {
        "data": data,
        "layout": base_layout(
            showlegend=True,
            legend={"orientation": "h", "y": -0.18, "x": 0},
            xaxis={"type": "date", "gridcolor": "#eef0f3"},
            yaxis={"title": {"text": kpi.unit or "value"}, "gridcolor": "#eef0f3"},
            shapes=[
                {
                    "type": "line",
                    "xref": "x",
                    "yref": "paper",
                    "x0": today.isoformat(),
                    "x1": today.isoformat(),
                    "y0": 0,
                    "y1": 1,
                    "line": {"color": "#5f6b7a", "width": 1, "dash": "dot"},
                }
            ],
            margin={"l": 60, "r": 16, "t": 12, "b": 40},
            height=380,
        ),
    }
    for note in notes:
        chart_note(figure, note)
    return figure


def _forecast_line(forecast: dict | None) -> tuple[list[tuple[dt.date, float]], int]:
    """The stored forecast line (``[[ISO date, value], ...]``) cut to what a chart draws."""
    points: list[tuple[dt.date, float]] = []
    bad = 0
    for raw in (forecast or {}).get("line") or []:
        try:
            points.append((dt.date.fromisoformat(raw[0]), raw[1]))
        except (TypeError, ValueError, IndexError):
            bad += 1
    line, cut = chart_line(points)
    return line, cut + bad


def _forecast_band(forecast: dict | None) -> tuple[list[tuple[str, float, float]], int]:
    """The stored interval band (``[[ISO date, low, high], ...]``): the rows a chart can draw
    (ISO date, low, high) and the number left out."""
    rows: list[tuple[str, float, float]] = []
    left_out = 0
    for raw in (forecast or {}).get("band") or []:
        try:
            day = dt.date.fromisoformat(raw[0])
            low, high = raw[1], raw[2]
        except (TypeError, ValueError, IndexError):
            left_out += 1
            continue
        if chart_day_ok(day) and chart_value_ok(low) and chart_value_ok(high):
            rows.append((day.isoformat(), float(low), float(high)))
        else:
            left_out += 1
    return rows, left_out
