"""An initiative's check-in form is near the top at a phone's width (390 px). The checks of
every page at that width for every persona (no sideways scrolling, tables collapse to labelled
rows, chart toolbars never sit on the data) run in the accessibility walk
(``tests/browser/test_accessibility.py``, with ``tests/browser/layout.py``), which opens the
same pages.

With ``README_SCREENSHOTS=1`` the test saves the phone screenshots shown in the README under
docs/screenshots/.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from tests.browser.conftest import persona_sign_in
from tests.browser.layout import PHONE

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

DOCS_SHOTS = Path(__file__).resolve().parents[2] / "docs" / "screenshots"
CHECKIN_TOP_MAX = 600  # px from the top of the page


def _shot(page, name: str) -> None:
    if os.environ.get("README_SCREENSHOTS"):
        DOCS_SHOTS.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(DOCS_SHOTS / f"{name}.png"), full_page=False)


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
