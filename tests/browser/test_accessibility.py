"""axe-core on every page, for every persona, at desktop and phone widths.

The pages come from the list the page fuzz test keeps complete (``tests.pages.page_paths``):
every page that answers the persona with HTML, signed out included.

axe-core comes bundled in axe-playwright-python (offline); it is injected through the
DevTools protocol, so our CSP needs no exception. Goal: no critical or serious violation.
"""

from __future__ import annotations

import pytest

from tests.browser.conftest import PERSONAS, persona_walk

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

WIDTHS = {"desktop": (1440, 900), "phone": (390, 844)}
BLOCKING = {"critical", "serious"}


def _violations(page, axe) -> list[str]:
    results = axe.run(page)
    found = []
    for v in results.response["violations"]:
        if v["impact"] in BLOCKING:
            targets = [", ".join(n["target"]) for n in v["nodes"][:3]]
            found.append(f"{v['impact']} {v['id']} ({len(v['nodes'])}): {targets}")
    return found


def test_no_serious_axe_violation_on_any_page_for_any_persona(
    chromium, live_server, settings, plan, admin
):
    from axe_playwright_python.sync_playwright import Axe

    settings.AXES_ENABLED = False
    axe = Axe()
    failures: dict[str, list[str]] = {}
    context = chromium.new_context(locale="en-GB")
    page = context.new_page()
    page.set_default_timeout(15000)
    walked = 0
    for width, (w, h) in WIDTHS.items():
        page.set_viewport_size({"width": w, "height": h})
        for persona in (None, *PERSONAS):
            for path in persona_walk(page, live_server.url, plan, persona):
                walked += 1
                failures[f"{width} {persona or 'signed out'} {path}"] = _violations(page, axe)
    context.close()
    assert walked > 40  # the page list was really walked, at both widths
    failures = {k: v for k, v in failures.items() if v}
    report = "\n".join(f"{k}: {line}" for k, v in failures.items() for line in v)
    assert not failures, f"axe critical/serious violations\n{report}"
