"""The printable review printed to PDF by Chromium (A4 landscape, static/css/print.css): no
near-blank page but the last, no page ending with a heading (its section on the next page),
and no chart drawn over a table or outside its card. The review cycle's packs reuse the same
print rules.

The PDF is kept under test-artifacts/ for a look.
"""

from __future__ import annotations

import io
import re

import pytest

from tests.browser.conftest import SCREENSHOTS, persona_sign_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

MIN_LINES = 6  # a page with fewer lines of text than this (the last excepted) is near blank

# In print media: the visible headings, and each chart's box against its card and every table.
PRINT_LAYOUT = """() => {
  const shown = (e) => e.getClientRects().length > 0;
  const headings = [...document.querySelectorAll("main h1, main h2, main h3, main h4")]
    .filter(shown).map((h) => h.textContent.replace(/\\s+/g, " ").trim());
  const overlaps = (a, b) =>
    a.left < b.right - 1 && b.left < a.right - 1 && a.top < b.bottom - 1 && b.top < a.bottom - 1;
  const problems = [];
  const tables = [...document.querySelectorAll("main table")].filter(shown);
  for (const chart of document.querySelectorAll("[data-drawn]")) {
    const svg = chart.querySelector("svg.main-svg");
    if (!svg || !shown(chart)) { continue; }
    const box = svg.getBoundingClientRect();
    const card = chart.closest(".card").getBoundingClientRect();
    if (box.right > card.right + 1 || box.left < card.left - 1) {
      problems.push(`chart ${chart.dataset.figure} is wider than its card`);
    }
    for (const table of tables) {
      if (overlaps(box, table.getBoundingClientRect())) {
        problems.push(`chart ${chart.dataset.figure} is drawn over a table`);
      }
    }
  }
  return {headings, problems};
}"""


def _lines(text: str) -> list[str]:
    return [re.sub(r"\s+", " ", line).strip() for line in text.splitlines() if line.strip()]


def test_printed_review_has_no_near_blank_page_orphan_heading_or_chart_over_a_table(
    chromium, live_server, settings, demo
):
    from pypdf import PdfReader

    settings.AXES_ENABLED = False
    context = chromium.new_context(viewport={"width": 1440, "height": 900}, locale="en-GB")
    page = context.new_page()
    page.set_default_timeout(15000)
    persona_sign_in(page, live_server.url, demo["office"], demo["password"])
    page.goto(live_server.url + "/review/")
    page.wait_for_selector("[data-figure][data-drawn] svg.main-svg")
    page.emulate_media(media="print")
    page.wait_for_timeout(300)  # charts re-laid out for the paper (static/js/app.js)
    layout = page.evaluate(PRINT_LAYOUT)
    pdf = page.pdf(prefer_css_page_size=True, print_background=True)
    context.close()
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    (SCREENSHOTS / "review.pdf").write_bytes(pdf)

    assert layout["problems"] == []
    headings = set(layout["headings"])
    assert "Execution review" in headings
    pages = [_lines(p.extract_text()) for p in PdfReader(io.BytesIO(pdf)).pages]
    assert len(pages) >= 2  # enough of a plan to break across pages
    report = []
    for number, lines in enumerate(pages, start=1):
        if number < len(pages) and len(lines) < MIN_LINES:
            report.append(f"page {number} is near blank: {lines}")
        if lines and lines[-1] in headings:
            report.append(f"page {number} ends with the heading {lines[-1]!r}")
    assert not report, "\n".join(report)
