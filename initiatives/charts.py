"""Plotly figures of an initiative, as plain dicts."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from strategy.charts import (
    BRAND,
    CHART_FIRST_DAY,
    CHART_LAST_DAY,
    COLOURS,
    NEUTRAL,
    base_layout,
    chart_day_ok,
    chart_line,
    chart_note,
    outside_note,
)
from strategy.quantities import date_text


def _clamp(day: dt.date) -> dt.date:
    return min(max(day, CHART_FIRST_DAY), CHART_LAST_DAY)


def budget_burn(
    *,
    start: dt.date,
    due: dt.date,
    planned: Decimal,
    spend: list[tuple[dt.date, Decimal]],
    today: dt.date,
    currency: str,
) -> dict | None:
    """Cumulative spend against the plan spread evenly from start to due date.

    Entries dated outside what a chart draws still count in the running total; they are not
    drawn, and a note says how many."""
    if not planned and not spend:
        return None
    xs: list[str] = []
    ys: list[float] = []
    total = Decimal(0)
    left_out = 0
    for day, amount in spend:
        if not chart_day_ok(day):
            total += amount
            left_out += 1
            continue
        total += amount
        if xs and xs[-1] == day.isoformat():
            ys[-1] = float(total)
        else:
            xs.append(day.isoformat())
            ys.append(float(total))
    plan, cut = chart_line([(start, 0.0), (due, float(planned))])
    data = [
        {
            "type": "scatter",
            "mode": "lines",
            "name": "Planned (even spread)",
            "x": [d.isoformat() for d, _ in plan],
            "y": [v for _, v in plan],
            "line": {"color": NEUTRAL, "dash": "dash", "width": 2},
            "hovertemplate": f"Planned by %{{x|%-d %b %Y}}: %{{y:,.0f}} {currency}<extra></extra>",
        },
        {
            "type": "scatter",
            "mode": "lines+markers",
            "name": "Spent (cumulative)",
            "x": xs,
            "y": ys,
            "line": {"color": BRAND, "width": 2.5, "shape": "hv"},
            "marker": {"size": 5},
            "hovertemplate": f"Spent by %{{x|%-d %b %Y}}: %{{y:,.0f}} {currency}<extra></extra>",
        },
    ]
    shapes = []
    if start <= today <= due:
        shapes.append(_today_line(today))
    figure = {
        "data": data,
        "layout": base_layout(
            showlegend=True,
            legend={"orientation": "h", "y": -0.18, "x": 0},
            yaxis={"title": {"text": currency}, "rangemode": "tozero", "gridcolor": "#eef0f3"},
            xaxis={"type": "date", "gridcolor": "#eef0f3"},
            shapes=shapes,
            annotations=[_today_label(today)] if shapes else [],
            margin={"l": 64, "r": 16, "t": 24, "b": 36},
            height=280,
        ),
    }
    if left_out:
        chart_note(figure, outside_note(left_out, "spend entry"))
    if cut:
        chart_note(figure, "The planned line is cut where the initiative's dates leave the chart.")
    return figure


def milestone_timeline(
    *, milestones: list, start: dt.date, due: dt.date, today: dt.date
) -> dict | None:
    """Each milestone on a date axis: ✓ done (on its completion day), ✕ overdue, ○ upcoming.

    The axis spans ``start`` to ``due`` (the initiative's dates) and every milestone drawn; a
    milestone whose day a chart cannot place is listed on the page but not drawn (a note)."""
    if not milestones:
        return None
    drawn = [m for m in milestones if chart_day_ok(m.completed_on or m.due_date)]
    left_out = len(milestones) - len(drawn)
    milestones = drawn
    days = [m.completed_on or m.due_date for m in drawn]
    start, due = _clamp(min([start, *days])), _clamp(max([due, *days]))
    groups = {
        "done": ("Done", COLOURS["on_track"], "circle"),
        "overdue": ("Overdue", COLOURS["off_track"], "x"),
        "open": ("Upcoming", NEUTRAL, "circle-open"),
    }
    points: dict[str, dict] = {key: {"x": [], "y": [], "text": []} for key in groups}
    for m in milestones:
        if m.completed_on:
            key, when = "done", m.completed_on
            text = f"Done {date_text(m.completed_on, year=False)} (due {date_text(m.due_date, year=False)})"
        elif m.due_date < today:
            key, when = "overdue", m.due_date
            text = f"Overdue since {date_text(m.due_date, year=False)}"
        else:
            key, when = "open", m.due_date
            text = f"Due {date_text(m.due_date, year=False)}"
        points[key]["x"].append(when.isoformat())
        points[key]["y"].append(m.title)
        points[key]["text"].append(text)
    data = [
        {
            "type": "scatter",
            "mode": "markers",
            "name": label,
            "x": points[key]["x"],
            "y": points[key]["y"],
            "text": points[key]["text"],
            "marker": {
                "color": colour,
                "symbol": symbol,
                "size": 13,
                "line": {"width": 2, "color": colour},
            },
            "hovertemplate": "%{y}: %{text}<extra>" + label + "</extra>",
        }
        for key, (label, colour, symbol) in groups.items()
        if points[key]["x"]
    ]
    figure = {
        "data": data,
        "layout": base_layout(
            showlegend=True,
            legend={"orientation": "h", "y": 1.2, "x": 0},
            xaxis={
                "type": "date",
                # A margin either side so the first and last markers are not cut in half.
                "range": [
                    (start - dt.timedelta(days=10)).isoformat(),
                    (due + dt.timedelta(days=10)).isoformat(),
                ],
                "gridcolor": "#eef0f3",
            },
            yaxis={
                "automargin": True,
                "categoryorder": "array",
                "categoryarray": [m.title for m in reversed(milestones)],
            },
            shapes=[_today_line(today)] if start <= today <= due else [],
            margin={"l": 8, "r": 16, "t": 30, "b": 36},
            height=max(160, 30 * len(milestones) + 80),
        ),
    }
    if left_out:
        chart_note(figure, outside_note(left_out, "milestone"))
    return figure


def _today_line(today: dt.date) -> dict:
    return {
        "type": "line",
        "xref": "x",
        "yref": "paper",
        "x0": today.isoformat(),
        "x1": today.isoformat(),
        "y0": 0,
        "y1": 1,
        "line": {"color": "#5f6b7a", "width": 1, "dash": "dot"},
    }


def _today_label(today: dt.date) -> dict:
    return {
        "x": today.isoformat(),
        "y": 1,
        "xref": "x",
        "yref": "paper",
        "text": "today",
        "showarrow": False,
        "yanchor": "bottom",
        "font": {"size": 11, "color": "#5f6b7a"},
    }
