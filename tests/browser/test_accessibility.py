"""axe-core on every page, for every persona, at desktop and phone widths; in the same walk,
the layout checks of ``tests/browser/layout.py``: at the phone's width no page scrolls
sideways and tables collapse to labelled rows (a mobile context, touch included), and on the
desktop no chart toolbar sits on the chart's data (every persona's pages).

The pages come from the list the page fuzz test keeps complete (``tests.pages.page_paths``):
every page that answers the persona with HTML, signed out included.

axe-core comes bundled in axe-playwright-python (offline); it is injected through the
DevTools protocol, so our CSP needs no exception. Goal: no critical or serious violation.
"""

from __future__ import annotations

import pytest

from tests.browser.conftest import PERSONAS, persona_walk
from tests.browser.layout import LAYOUT_PROBLEMS, PHONE, TOOLBAR_PROBLEMS

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

WIDTHS = {"desktop": (1440, 900), "phone": (PHONE["width"], PHONE["height"])}
BLOCKING = {"critical", "serious"}


def _violations(page, axe) -> list[str]:
    results = axe.run(page)
    found = []
    for v in results.response["violations"]:
        if v["impact"] in BLOCKING:
            targets = [", ".join(n["target"]) for n in v["nodes"][:3]]
            found.append(f"{v['impact']} {v['id']} ({len(v['nodes'])}): {targets}")
    return found


@pytest.mark.parametrize("persona", [None, *PERSONAS], ids=lambda p: p or "signed-out")
@pytest.mark.parametrize("width", WIDTHS)
def test_no_serious_axe_violation_on_any_page_for_any_persona(
    chromium, live_server, settings, plan, admin, width, persona
):
    """One case per width and persona, so that pytest-xdist spreads the walk over workers."""
    from axe_playwright_python.sync_playwright import Axe

    settings.AXES_ENABLED = False
    axe = Axe()
    failures: dict[str, list[str]] = {}
    w, h = WIDTHS[width]
    phone = width == "phone"
    context = chromium.new_context(
        viewport={"width": w, "height": h}, locale="en-GB", is_mobile=phone, has_touch=phone
    )
    page = context.new_page()
    page.set_default_timeout(15000)
    layout_faults: dict[str, list[str]] = {}
    walked = charts = 0
    for path in persona_walk(page, live_server.url, plan, persona):
        walked += 1
        failures[path] = _violations(page, axe)
        charts += page.locator("[data-drawn]").count()
        layout_faults[path] = page.evaluate(LAYOUT_PROBLEMS if phone else TOOLBAR_PROBLEMS)
    context.close()
    # The page list was really walked: the sign-in page at least when signed out, and the
    # plan's pages for a person (the office's with their charts drawn).
    assert walked >= (1 if persona is None else 10)
    if persona == "office":
        assert charts >= 5
    failures = {k: v for k, v in failures.items() if v}
    report = "\n".join(
        f"{width} {persona or 'signed out'} {k}: {line}" for k, v in failures.items() for line in v
    )
    assert not failures, f"axe critical/serious violations\n{report}"
    layout_faults = {k: v for k, v in layout_faults.items() if v}
    what = "pages that do not fit a 390 px screen" if phone else "chart toolbars over the data"
    report = "\n".join(
        f"{persona or 'signed out'} {k}: {line}" for k, v in layout_faults.items() for line in v
    )
    assert not layout_faults, f"{what}\n{report}"


# Browse lists and search with filters chosen, sorted and with results (the page walk above
# opens them plain): a leader, at both widths.
BROWSE = [
    "/objectives/?sort=-gap&health=on_track",
    "/initiatives/?sort=score&status=active",
    "/kpis/?kind=leading&sort=-score",
    "/alerts/?status=all&sort=-opened",
    "/search/?q=customer",
    "/search/?q=nothingmatchesthis",
]


def test_no_serious_axe_violation_on_filtered_lists_and_search_results(
    chromium, live_server, settings, plan
):
    from axe_playwright_python.sync_playwright import Axe

    from tests.browser.conftest import persona_sign_in

    settings.AXES_ENABLED = False
    axe = Axe()
    context = chromium.new_context(locale="en-GB")
    page = context.new_page()
    page.set_default_timeout(15000)
    persona_sign_in(page, live_server.url, "leader")
    failures: dict[str, list[str]] = {}
    for width, (w, h) in WIDTHS.items():
        page.set_viewport_size({"width": w, "height": h})
        for path in BROWSE:
            page.goto(live_server.url + path)
            assert page.locator("main h1").count() == 1, path
            failures[f"{width} {path}"] = _violations(page, axe)
    context.close()
    failures = {k: v for k, v in failures.items() if v}
    report = "\n".join(f"{k}: {line}" for k, v in failures.items() for line in v)
    assert not failures, f"axe critical/serious violations\n{report}"
