"""Charts of a pack, drawn on the server as SVG (``execsupport.svgcharts``) so that the HTML
pack, Chromium's print and the PDF show the same thing, without a browser or JavaScript.

Built from a ``PackView`` (``reviews.selectors.pack_read``): only the rows the reader may
see, so a chart never names a hidden part.
"""

from __future__ import annotations

from execsupport.svgcharts import Bar, bar_chart, line_chart
from reviews.selectors import PackView
from strategy.templatetags.ui import status_parts

SCORED_SECTIONS = {"theme": "Themes", "objective": "Objectives", "initiative": "Initiatives"}
BARS_LIMIT = 25  # the lowest scores of a section shown as bars (an SVG cannot break pages)


def pack_charts_add(*, view: PackView) -> PackView:
    """Add each KPI row's trend (``row["trend_svg"]``: a sparkline of its frozen latest
    measurements with the target dashed) and each scored section's bars (``section.chart``:
    the lowest ``BARS_LIMIT`` scores, weakest first, with the status in words). Returns
    ``view``; no query."""
    for section in view.sections:
        if section.kind == "kpi":
            for row in section.rows:
                row["trend_svg"] = line_chart(
                    row.get("trend") or [],
                    target=row.get("target"),
                    title=f"Trend of {row.get('name') or 'the KPI'}",
                    width=140,
                    height=34,
                    unit=row.get("unit") or "",
                )
        elif section.kind in SCORED_SECTIONS:
            # Printed packs leave rows out (``section.cut``); the bars still rank them all.
            scored = [
                r for r in section.rows + section.cut if isinstance(r.get("score"), int | float)
            ]
            if not scored:
                continue
            scored.sort(key=lambda r: (r["score"], r.get("name") or ""))
            shown = scored[:BARS_LIMIT]
            title = f"{SCORED_SECTIONS[section.kind]} by score"
            if len(scored) > len(shown):
                title += f" (the lowest {len(shown)} of {len(scored)})"
            bars = []
            for row in shown:
                tone, _icon, words = status_parts(row.get("status"))
                bars.append(
                    Bar(label=row.get("name") or "", value=row["score"], tone=tone, note=words)
                )
            section.chart = bar_chart(bars, title=title, maximum=100)
    return view
