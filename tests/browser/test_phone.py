"""Every page at a phone's width (390 px) for every persona: no sideways scrolling, tables
collapse to labelled rows, chart toolbars never sit on the data, and an initiative's check-in
form is near the top. The pages come from the page list the fuzz test keeps complete
(``tests.pages.page_paths``): a page added later is checked too.

With ``README_SCREENSHOTS=1`` the test saves the phone screenshots shown in the README under
docs/screenshots/.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from tests.browser.conftest import PERSONAS, persona_sign_in, persona_walk

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PHONE = {"width": 390, "height": 844}
DOCS_SHOTS = Path(__file__).resolve().parents[2] / "docs" / "screenshots"
CHECKIN_TOP_MAX = 600  # px from the top of the page

# A chart's toolbar (plotly's modebar) over the chart's data area.
TOOLBAR_PROBLEMS = """() => {
  const problems = [];
  for (const chart of document.querySelectorAll("[data-drawn]")) {
    const bar = chart.querySelector(".modebar");
    const data = chart.querySelector(".draglayer .nsewdrag, .pielayer");
    if (!bar || !data || getComputedStyle(bar).display === "none") { continue; }
    const a = bar.getBoundingClientRect(), b = data.getBoundingClientRect();
    if (a.width && a.left < b.right && b.left < a.right && a.top < b.bottom && b.top < a.bottom) {
      problems.push(`the toolbar of chart ${chart.dataset.figure} covers its data`);
    }
  }
  return problems;
}"""

# What a phone user would have to scroll sideways for, or could not read: the page wider than
# the screen, a table (or its wrapper) scrolling sideways or a data cell without its column's
# name, a chart's toolbar overlapping the chart's data area.
LAYOUT_PROBLEMS = (
    """() => {
  const problems = [];
  const width = window.innerWidth;
  const page = document.documentElement.scrollWidth;
  if (page > width) {
    // Name the culprit: the innermost element passing the right edge.
    const wide = [...document.querySelectorAll("body *")].filter(
      (e) => e.getBoundingClientRect().right > width + 1);
    const e = wide[wide.length - 1];
    problems.push(`page is ${page} px wide` + (e ? `, e.g. <${e.tagName.toLowerCase()}`
      + ` class="${e.className.baseVal ?? e.className}">` : ""));
  }
  for (const el of document.querySelectorAll("main table, main .table-wrap")) {
    if (el.scrollWidth > el.clientWidth + 1) {
      problems.push(`${el.tagName.toLowerCase()} scrolls sideways (${el.scrollWidth} px)`);
    }
  }
  for (const table of document.querySelectorAll("main table")) {
    const heads = [...table.querySelectorAll("thead th")].map((th) => th.textContent.replace(/\\s+/g, " ").trim());
    for (const row of table.querySelectorAll("tbody tr")) {
      [...row.children].forEach((cell, i) => {
        if (cell.colSpan > 1 || !heads[i] || !cell.innerText.trim()) { return; }
        const label = getComputedStyle(cell, "::before").content;
        if (!label.includes(heads[i])) {
          problems.push(`cell "${cell.innerText.trim().slice(0, 30)}" shows no "${heads[i]}"`);
        }
      });
    }
  }
  return [...new Set(problems.concat(("""
    + TOOLBAR_PROBLEMS
    + """)()))];
}"""
)


def _shot(page, name: str) -> None:
    if os.environ.get("README_SCREENSHOTS"):
        DOCS_SHOTS.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(DOCS_SHOTS / f"{name}.png"), full_page=False)


def test_no_page_scrolls_sideways_on_a_phone(chromium, live_server, settings, plan, admin):
    settings.AXES_ENABLED = False
    context = chromium.new_context(viewport=PHONE, locale="en-GB", is_mobile=True, has_touch=True)
    page = context.new_page()
    page.set_default_timeout(15000)
    failures: dict[str, list[str]] = {}
    walked = 0
    for persona in (None, *PERSONAS):
        for path in persona_walk(page, live_server.url, plan, persona):
            walked += 1
            problems = page.evaluate(LAYOUT_PROBLEMS)
            if problems:
                failures[f"{persona or 'signed out'} {path}"] = problems
    context.close()
    assert walked > 20  # the page list was really walked
    report = "\n".join(f"{k}: {line}" for k, v in failures.items() for line in v)
    assert not failures, f"pages that do not fit a 390 px screen\n{report}"


def test_check_in_form_is_near_the_top_of_an_initiative_on_a_phone(
    chromium, live_server, settings, demo
):
    """On the demo (the issue measured about 2,000 px down), for the member persona and the
    first initiative of My work."""
    settings.AXES_ENABLED = False
    context = chromium.new_context(viewport=PHONE, locale="en-GB", is_mobile=True, has_touch=True)
    page = context.new_page()
    page.set_default_timeout(15000)
    persona_sign_in(page, live_server.url, demo["member"], demo["password"])
    page.goto(live_server.url + "/my-work/")
    _shot(page, "phone-my-work")
    page.evaluate(
        "window.scrollTo(0, document.getElementById('my-kpis').closest('section')"
        ".getBoundingClientRect().top + window.scrollY - 8)"
    )
    _shot(page, "phone-my-kpis")
    page.locator(".work-item__title a").first.click()
    page.wait_for_load_state("networkidle")
    form = page.locator("form.checkin-form")
    top = form.evaluate("(f) => f.getBoundingClientRect().top + window.scrollY")
    assert top <= CHECKIN_TOP_MAX, f"the check-in form starts {top:.0f} px down"
    _shot(page, "phone-initiative")
    context.close()


def test_chart_toolbars_sit_above_the_data_on_a_desktop(
    chromium, live_server, settings, plan, admin
):
    settings.AXES_ENABLED = False
    context = chromium.new_context(viewport={"width": 1440, "height": 900}, locale="en-GB")
    page = context.new_page()
    page.set_default_timeout(15000)
    failures: dict[str, list[str]] = {}
    charts = 0
    for path in persona_walk(page, live_server.url, plan, "office"):
        charts += page.locator("[data-drawn]").count()
        problems = page.evaluate(TOOLBAR_PROBLEMS)
        if problems:
            failures[path] = problems
    context.close()
    assert charts >= 5
    assert not failures, failures
