"""End-to-end: a leader finds an objective by search from the navigation box, then filters
the KPI list to "off track, leading" and sorts it, the filters kept in the address.

With ``README_SCREENSHOTS=1`` the test saves the README's screenshot of a list page with
filters (docs/screenshots/kpi-list-filters.png).
"""

from __future__ import annotations

import os
from pathlib import Path
from urllib.parse import parse_qs, urlparse

import pytest

from metrics.models import GapScore, SubjectType

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

DOCS_SHOTS = Path(__file__).resolve().parents[2] / "docs" / "screenshots"


@pytest.fixture
def big_plan(team, other_team, leader, member, viewer):
    from tests.plan_data import plan_build

    return plan_build(size=2, team=team, other_team=other_team, member=member, leader=leader)


def test_leader_finds_an_objective_by_search_and_filters_kpis(web, leader, big_plan):
    page = web.page
    # The plan's off-track KPI is lagging: make a leading one off track too.
    leading = next(k for k in big_plan.kpis if k.kind == "leading")
    GapScore.objects.filter(subject_type=SubjectType.KPI, subject_id=leading.pk).update(
        status="off_track", score=45.0
    )
    web.sign_in("leader")
    objective = big_plan.objectives[0]

    # Search from the box in the navigation.
    box = page.get_by_role("searchbox", name="Search objectives, initiatives, KPIs and people")
    box.fill("customer satisf")
    box.press("Enter")
    page.wait_for_load_state("networkidle")
    assert "/search/?q=customer+satisf" in page.url
    results = page.locator("section[aria-labelledby='found-objectives']")
    assert results.get_by_role("link", name=objective.title, exact=True).is_visible()
    results.get_by_role("link", name=objective.title, exact=True).click()
    page.wait_for_load_state("networkidle")
    assert page.get_by_role("heading", name=objective.title).is_visible()

    # The KPI list, filtered to off track and leading.
    page.get_by_role("navigation", name="Main").get_by_role("link", name="KPIs").click()
    page.wait_for_load_state("networkidle")
    filters = page.get_by_role("search", name="Filter KPIs")
    filters.get_by_label("Health").select_option("off_track")
    filters.get_by_label("Kind").select_option("leading")
    filters.get_by_role("button", name="Filter").click()
    page.wait_for_load_state("networkidle")
    query = parse_qs(urlparse(page.url).query)
    assert query["health"] == ["off_track"]
    assert query["kind"] == ["leading"]

    off_track = set(
        GapScore.objects.filter(
            subject_type=SubjectType.KPI, is_latest=True, status="off_track"
        ).values_list("subject_id", flat=True)
    )
    expected = sorted(k.name for k in big_plan.kpis if k.kind == "leading" and k.pk in off_track)
    assert expected  # the plan has some, else the test would prove nothing
    table = page.get_by_role("region", name="KPIs")
    page.wait_for_selector("table.browse")
    names = table.locator("tbody tr td:first-child a").all_inner_texts()
    assert sorted(names) == expected
    assert page.get_by_role("heading", name=f"{len(expected)} KPI").is_visible()
    # Every row says so in words.
    for row in table.locator("tbody tr").all():
        assert "Off track" in row.inner_text()
        assert "Leading" in row.inner_text()

    # Sort by gap, largest first: the filters stay.
    table.get_by_role("link", name="Gap").click()
    page.wait_for_load_state("networkidle")
    page.get_by_role("region", name="KPIs").get_by_role("link", name="Gap").click()
    page.wait_for_load_state("networkidle")
    query = parse_qs(urlparse(page.url).query)
    assert query == {"health": ["off_track"], "kind": ["leading"], "sort": ["-gap"]}
    assert page.locator("th[aria-sort='descending']").text_content().strip() == "Gap"

    # The saved link opens the same list.
    saved = page.url
    page.goto(web.base_url + "/overview/")
    page.goto(saved)
    again = page.get_by_role("region", name="KPIs").locator("tbody tr td:first-child a")
    assert sorted(again.all_inner_texts()) == expected
    assert web.errors == []


@pytest.mark.skipif(
    not os.environ.get("README_SCREENSHOTS"), reason="README_SCREENSHOTS=1 takes the shot"
)
def test_readme_shot_of_a_list_with_filters(chromium, live_server, settings, demo):
    """The README's picture of a list page with filters, on the demo organisation: the
    leader's at-risk and off-track objectives, largest gap first."""
    from tests.browser.conftest import persona_sign_in

    settings.AXES_ENABLED = False
    context = chromium.new_context(viewport={"width": 1360, "height": 820}, locale="en-GB")
    page = context.new_page()
    persona_sign_in(page, live_server.url, demo["office"], demo["password"])
    page.goto(live_server.url + "/objectives/?health=at_risk&sort=-gap")
    page.wait_for_load_state("networkidle")
    assert page.locator("table.browse tbody tr").count() > 3
    DOCS_SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(DOCS_SHOTS / "objective-list-filters.png"), full_page=False)
    context.close()
