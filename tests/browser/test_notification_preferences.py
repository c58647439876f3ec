"""The notification preferences page under axe at both widths, its error state included: a
field's errors were a list with role="alert", which hides the list from assistive technology
(axe "listitem", serious) on every form; the alert now wraps the list."""

from __future__ import annotations

import pytest

from tests.browser.conftest import persona_sign_in
from tests.browser.test_accessibility import WIDTHS, _violations

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_preferences_page_and_its_errors_have_no_serious_axe_violation(
    chromium, live_server, settings, plan, admin
):
    from axe_playwright_python.sync_playwright import Axe

    settings.AXES_ENABLED = False
    axe = Axe()
    context = chromium.new_context(locale="en-GB")
    page = context.new_page()
    out = {}
    for persona in ("office", "member"):
        persona_sign_in(page, live_server.url, persona)
        for width, (w, h) in WIDTHS.items():
            page.set_viewport_size({"width": w, "height": h})
            page.goto(live_server.url + "/account/notifications/")
            assert page.locator("h1").inner_text() == "Notifications"
            out[f"{persona} {width}"] = _violations(page, axe)
            # the error state too
            page.select_option("#id_digest_hour", "7")
            # A value the form refuses (as a tampered request would send).
            page.evaluate("document.querySelector('#id_mention').add(new Option('x', 'x'))")
            page.select_option("#id_mention", "x")
            page.get_by_role("button", name="Save preferences").click()
            page.wait_for_load_state("networkidle")
            assert "errorlist" in page.content()
            out[f"{persona} {width} error"] = _violations(page, axe)
    context.close()
    assert not any(out.values()), out
