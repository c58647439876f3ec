"""The execution-support loop in a real browser: a leader freezes an assessment, opens its top
barrier and adds a support measure (an initiative of the support kind) that the support plan
then tracks; the pages pass axe.

With ``README_SCREENSHOTS=1`` a second test saves the README's screenshots of the demo's
assessment report and support plan (docs/screenshots/assessment-report.png, support-plan.png).
"""

from __future__ import annotations

import datetime as dt
import os
from pathlib import Path

import pytest
from django.utils import timezone

from assessment.models import CapabilityAssessment
from initiatives.models import Initiative
from support.models import AssessmentReport, SupportMeasure

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
DOCS_SHOTS = Path(__file__).resolve().parents[2] / "docs" / "screenshots"


@pytest.fixture
def support_world(team, other_team, leader, member, viewer):
    from tests.plan_data import plan_build

    plan = plan_build(size=2, team=team, other_team=other_team, member=member, leader=leader)
    strong = {f"{c}_score": 5 for c in ("structure", "leadership", "tools", "talent", "agility")}
    for scored, tools in ((team, 1), (other_team, 3)):
        CapabilityAssessment.objects.create(
            strategy=plan.strategy,
            team=scored,
            assessed_on=timezone.localdate(),
            **{**strong, "tools_score": tools},
        )
    report = AssessmentReport.objects.create(
        strategy=plan.strategy, period=plan.objectives[0].period, title="Spring assessment"
    )
    return {"plan": plan, "report": report}


def test_a_leader_adds_a_support_measure_from_a_barrier(web, leader, team, support_world):
    report = support_world["report"]
    today = timezone.localdate()
    web.sign_in("leader")
    page = web.page
    web.go(report.get_absolute_url())
    page.get_by_role("button", name="Freeze and rank the barriers").click()
    page.wait_for_load_state("networkidle")
    assert page.get_by_role("heading", name="#1 Tools").is_visible()

    page.get_by_role("link", name="Add a support measure").first.click()
    page.wait_for_load_state("networkidle")
    page.get_by_label("Support measure").fill("Shared pipeline board")
    page.get_by_label("Category").select_option(label="Enabling technology")
    page.get_by_label("Objective it serves").select_option(index=1)
    page.get_by_role("combobox", name="Team", exact=True).select_option(label=team.name)
    page.get_by_label("Start date").fill(today.isoformat())
    page.get_by_label("Due date").fill((today + dt.timedelta(days=90)).isoformat())
    page.get_by_label("Teams in the first test").select_option(label=team.name)
    page.get_by_label("Test starts").fill(today.isoformat())
    page.get_by_label("Test ends").fill((today + dt.timedelta(days=30)).isoformat())
    page.get_by_label("Adoption measure").select_option("checkin_timeliness")
    page.get_by_role("button", name="Add the support measure").click()
    page.wait_for_url("**/support/")

    assert page.get_by_role("heading", name="Shared pipeline board").is_visible()
    assert page.get_by_text("not a causal estimate").first.is_visible()
    measure = SupportMeasure.objects.get()
    assert measure.initiative.kind == Initiative.Kind.SUPPORT
    assert measure.barrier.report == report
    assert not web.errors, web.errors


def test_support_pages_pass_axe(chromium, live_server, settings, support_world, leader):
    from axe_playwright_python.sync_playwright import Axe

    from support.services import report_freeze
    from tests.browser.conftest import persona_sign_in

    report = report_freeze(report=support_world["report"], by=leader)
    settings.AXES_ENABLED = False
    axe = Axe()
    context = chromium.new_context(locale="en-GB")
    page = context.new_page()
    page.set_default_timeout(15000)
    barrier = report.barriers.first()
    paths = [
        "/support/",
        "/support/assessments/",
        report.get_absolute_url(),
        f"/support/barriers/{barrier.pk}/measures/new/",
    ]
    failures = []
    for width, height in ((1440, 900), (390, 844)):
        page.set_viewport_size({"width": width, "height": height})
        persona_sign_in(page, live_server.url, "leader")
        for path in paths:
            page.goto(live_server.url + path)
            for v in axe.run(page).response["violations"]:
                if v["impact"] in ("critical", "serious"):
                    failures.append(f"{width} {path}: {v['id']} {v['nodes'][0]['target']}")
    context.close()
    assert not failures, "\n".join(failures)


@pytest.mark.skipif(
    not os.environ.get("README_SCREENSHOTS"), reason="README_SCREENSHOTS=1 takes the shots"
)
def test_readme_shots_of_the_assessment_and_the_support_plan(chromium, live_server, settings, demo):
    """The README's pictures of the demo's latest assessment and its support plan."""
    from tests.browser.conftest import persona_sign_in

    settings.AXES_ENABLED = False
    context = chromium.new_context(viewport={"width": 1360, "height": 900}, locale="en-GB")
    page = context.new_page()
    persona_sign_in(page, live_server.url, demo["office"], demo["password"])
    frozen = AssessmentReport.objects.filter(status="frozen").order_by("-as_of").first()
    draft = AssessmentReport.objects.filter(status="draft").first()
    DOCS_SHOTS.mkdir(parents=True, exist_ok=True)
    page.goto(live_server.url + frozen.get_absolute_url() + "#barriers")
    page.wait_for_load_state("networkidle")
    page.screenshot(path=str(DOCS_SHOTS / "assessment-barriers.png"), full_page=False)
    page.goto(live_server.url + draft.get_absolute_url())
    page.wait_for_load_state("networkidle")
    page.screenshot(path=str(DOCS_SHOTS / "assessment-report.png"), full_page=False)
    page.goto(live_server.url + "/support/")
    page.wait_for_load_state("networkidle")
    assert page.get_by_text("Adoption:").count() >= 1
    page.screenshot(path=str(DOCS_SHOTS / "support-plan.png"), full_page=False)
    context.close()
