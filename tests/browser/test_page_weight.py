"""plotly.js loads only where a chart is drawn, and only its small basic bundle."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def _load(web, path: str) -> tuple[list[str], int]:
    """Script URLs fetched while loading ``path`` and the bytes of all responses."""
    scripts: list[str] = []
    sizes: list[int] = []

    def on_response(response) -> None:
        if response.request.resource_type == "script":
            scripts.append(response.url)
        body = response.body() if response.status == 200 else b""
        sizes.append(len(body))

    web.page.on("response", on_response)
    web.go(path)
    web.page.wait_for_load_state("networkidle")
    web.page.remove_listener("response", on_response)
    return scripts, sum(sizes)


def test_sign_in_and_pages_without_charts_load_no_plotly(web, leader, plan):
    scripts, size = _load(web, "/accounts/login/")
    assert not [s for s in scripts if "plotly" in s]
    assert size < 300_000, f"sign-in page weighs {size} bytes"
    web.sign_in("leader")
    for path in ("/my-work/", "/alerts/", plan.objectives[0].get_absolute_url()):
        scripts, size = _load(web, path)
        assert not [s for s in scripts if "plotly" in s], path
        assert size < 400_000, f"{path} weighs {size} bytes"
    assert web.errors == []


def test_chart_pages_draw_with_the_basic_bundle(web, leader, plan):
    web.sign_in("leader")
    for path in ("/overview/", plan.kpis[0].get_absolute_url(), "/review/"):
        scripts, size = _load(web, path)
        web.page.wait_for_selector("[data-figure] svg.main-svg")
        plotly = [s for s in scripts if "plotly" in s]
        assert len(plotly) == 1, path
        assert "plotly-basic" in plotly[0]
        assert size < 1_600_000, f"{path} weighs {size} bytes"
        # Every figure is drawn (waited for as a whole, not read once after the first one).
        assert web.page.locator("[data-figure]").count() >= 1, path
        expect(web.page.locator("[data-figure]:not([data-drawn])")).to_have_count(0)
        # Each figure drew its traces (lines or bars), not an empty frame.
        expect(web.page.locator("[data-figure] g.trace").first).to_be_attached()
    assert web.errors == []
