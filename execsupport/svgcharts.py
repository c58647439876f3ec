"""Small charts drawn on the server as inline SVG: no browser, no JavaScript, no network.

Used where a chart must print the same on screen, through Chromium's print and in a PDF
rendered by WeasyPrint (``execsupport.pdf``): a line chart of one series with an optional
target line (a KPI's trend; as a sparkline when small) and horizontal bars (scores). The
module knows nothing of the plan: callers pass numbers and labels they may show the reader.

Each function returns escaped, safe SVG markup (``SafeString``) with ``role="img"``, an
``aria-label`` and a ``<title>``; colours are never the only carrier of meaning (bars print
their value and a word of status).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TypeGuard

from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe

# Stroke and fill of each tone, as in static/css/app.css (--ok, --warn, --bad, --none).
TONES = {"ok": "#23633e", "warn": "#9a6200", "bad": "#b42318", "none": "#5f6b7a"}
LINE = "#3451b2"
TARGET = "#5f6b7a"
FONT = 'font-family="DejaVu Sans, Helvetica, Arial, sans-serif"'


def _fmt(value: float) -> str:
    """A number as a short label: thousands separated, at most 2 decimals, no trailing 0s."""
    if value == int(value) and abs(value) < 1e15:
        return f"{int(value):,}"
    return f"{value:,.2f}".rstrip("0").rstrip(".")


def _finite(value: object) -> TypeGuard[float]:
    return isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value)


def line_chart(
    points: Sequence[tuple[str, float]],
    *,
    target: float | None = None,
    title: str,
    width: int = 480,
    height: int = 180,
    unit: str = "",
) -> SafeString:
    """A line chart of ``points`` (``(label, value)`` in order, e.g. ISO dates) with a dashed
    line at ``target`` when given. Below 80 px high it is a sparkline: no axis labels, the
    last value dotted. Non-finite values are skipped; fewer than one point gives an empty
    string (nothing to draw). ``title`` is the accessible name (and the visible heading when
    not a sparkline); ``unit`` is appended to the value labels."""
    values = [(str(label), float(v)) for label, v in points if _finite(v)]
    if not values:
        return mark_safe("")
    spark = height < 80
    pad_l, pad_r, pad_t, pad_b = (2, 4, 3, 3) if spark else (56, 12, 24, 22)
    numbers = [v for _, v in values] + ([float(target)] if _finite(target) else [])
    low, high = min(numbers), max(numbers)
    if high == low:
        low, high = low - 1, high + 1
    plot_w, plot_h = width - pad_l - pad_r, height - pad_t - pad_b

    def x(i: int) -> float:
        return pad_l + (plot_w * i / (len(values) - 1) if len(values) > 1 else plot_w / 2)

    def y(v: float) -> float:
        return pad_t + plot_h * (high - v) / (high - low)

    suffix = f" {unit}" if unit else ""
    last_label, last_value = values[-1]
    label = f"{title}: {len(values)} values, last {_fmt(last_value)}{suffix} ({last_label})"
    if _finite(target):
        label += f", target {_fmt(float(target))}{suffix}"
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" class="svgchart svgchart--line" '
        f'width="{width}" height="{height}" viewBox="0 0 {width} {height}" role="img" '
        f'aria-label="{escape(label)}"><title>{escape(label)}</title>'
    ]
    if not spark:
        parts.append(
            f'<text x="{pad_l}" y="14" font-size="12" font-weight="bold" {FONT}>'
            f"{escape(title)}</text>"
        )
        for v in (high, low):
            parts.append(
                f'<text x="{pad_l - 4}" y="{y(v) + 4:.1f}" font-size="10" text-anchor="end" '
                f'fill="{TARGET}" {FONT}>{escape(_fmt(v))}</text>'
            )
        parts.append(
            f'<line x1="{pad_l}" y1="{pad_t + plot_h}" x2="{pad_l + plot_w}" '
            f'y2="{pad_t + plot_h}" stroke="#bbb" stroke-width="1"/>'
        )
        for i in (0, len(values) - 1) if len(values) > 1 else (0,):
            anchor = "start" if i == 0 and len(values) > 1 else "end"
            parts.append(
                f'<text x="{x(i):.1f}" y="{height - 6}" font-size="10" text-anchor="{anchor}" '
                f'fill="{TARGET}" {FONT}>{escape(values[i][0])}</text>'
            )
    if _finite(target):
        ty = y(float(target))
        parts.append(
            f'<line class="svgchart__target" x1="{pad_l}" y1="{ty:.1f}" x2="{pad_l + plot_w}" '
            f'y2="{ty:.1f}" stroke="{TARGET}" stroke-width="1" stroke-dasharray="4 3"/>'
        )
        if not spark:
            parts.append(
                f'<text x="{pad_l + plot_w}" y="{ty - 3:.1f}" font-size="10" text-anchor="end" '
                f'fill="{TARGET}" {FONT}>target {escape(_fmt(float(target)))}</text>'
            )
    coords = " ".join(f"{x(i):.1f},{y(v):.1f}" for i, (_, v) in enumerate(values))
    if len(values) > 1:
        parts.append(
            f'<polyline class="svgchart__series" points="{coords}" fill="none" '
            f'stroke="{LINE}" stroke-width="{1.5 if spark else 2}" stroke-linejoin="round"/>'
        )
    parts.append(
        f'<circle cx="{x(len(values) - 1):.1f}" cy="{y(last_value):.1f}" '
        f'r="{2 if spark else 3}" fill="{LINE}"/>'
    )
    parts.append("</svg>")
    return mark_safe("".join(parts))  # noqa: S308 - every text above is escaped


@dataclass(frozen=True)
class Bar:
    """One bar: ``value`` on the chart's scale (None: no value, drawn as a note), ``tone``
    one of ``TONES`` (its colour), ``note`` the words printed after the value (e.g. the
    status in words, so colour is not the only signal)."""

    label: str
    value: float | None
    tone: str = "none"
    note: str = ""


def bar_chart(
    bars: Sequence[Bar],
    *,
    title: str,
    maximum: float = 100.0,
    width: int = 640,
    bar_height: int = 14,
    label_width: int = 220,
    unit: str = "",
) -> SafeString:
    """Horizontal bars, one row per ``Bar``, from 0 to ``maximum`` (values are clipped to
    that range), each labelled on the left and with its value and note on the right.
    ``title`` is drawn as the heading and is the accessible name. An empty ``bars`` gives an
    empty string. Long labels are cut to fit with an ellipsis (the full label stays in the
    row's ``<title>``)."""
    if not bars:
        return mark_safe("")
    maximum = float(maximum) if _finite(maximum) and maximum > 0 else 100.0
    gap, head = 6, 22
    note_width = 150
    plot_w = max(40, width - label_width - note_width - 8)
    height = head + len(bars) * (bar_height + gap)
    max_chars = max(4, int(label_width / 6.2))
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" class="svgchart svgchart--bars" '
        f'width="{width}" height="{height}" viewBox="0 0 {width} {height}" role="img" '
        f'aria-label="{escape(title)}"><title>{escape(title)}</title>'
        f'<text x="0" y="14" font-size="12" font-weight="bold" {FONT}>{escape(title)}</text>'
    ]
    for i, bar in enumerate(bars):
        top = head + i * (bar_height + gap)
        text_y = top + bar_height - 3
        label = bar.label if len(bar.label) <= max_chars else bar.label[: max_chars - 1] + "…"
        colour = TONES.get(bar.tone, TONES["none"])
        parts.append(
            f"<g><title>{escape(bar.label)}</title>"
            f'<text x="0" y="{text_y}" font-size="10" {FONT}>{escape(label)}</text>'
            f'<rect x="{label_width}" y="{top}" width="{plot_w}" height="{bar_height}" '
            f'fill="#eef0f3"/>'
        )
        if _finite(bar.value):
            share = min(max(float(bar.value), 0.0), maximum) / maximum
            parts.append(
                f'<rect class="svgchart__bar" x="{label_width}" y="{top}" '
                f'width="{plot_w * share:.1f}" height="{bar_height}" fill="{colour}"/>'
            )
            value_text = f"{_fmt(float(bar.value))}{(' ' + unit) if unit else ''}"
        else:
            value_text = "no value"
        note = f" · {bar.note}" if bar.note else ""
        parts.append(
            f'<text x="{label_width + plot_w + 6}" y="{text_y}" font-size="10" {FONT}>'
            f"{escape(value_text + note)}</text></g>"
        )
    parts.append("</svg>")
    return mark_safe("".join(parts))  # noqa: S308 - every text above is escaped
