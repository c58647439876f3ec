"""Pulse surveys in a real browser: a member answers from My work, and the leader sees the
team's figures only once enough people answered; the survey pages pass axe."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from strategy.access import access_for
from surveys import services
from surveys.models import Participation
from tests.factories import MembershipFactory, StrategyFactory, UserFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def survey_round(team, admin, leader, member):
    strategy = StrategyFactory(status="active")
    survey = services.survey_create(
        access=access_for(admin), user=admin, strategy=strategy, template="execution_pulse"
    )
    colleagues = [UserFactory(username=f"colleague-{i}") for i in range(3)]
    for person in colleagues:
        MembershipFactory(user=person, team=team, role="member")
    today = timezone.localdate()
    round_ = services.round_send(
        access=access_for(admin),
        user=admin,
        survey=survey,
        label="June pulse",
        opens_on=today - dt.timedelta(days=1),
        closes_on=today + dt.timedelta(days=6),
        team_ids=[team.pk],
    )
    codes = [q.code for q in survey.questions.all() if q.kind == "scale"]
    for person in [*colleagues, leader]:  # 4 answers: below the threshold of 5
        services.response_submit(
            user=person,
            round_=round_,
            team_id=None,
            scale=dict.fromkeys(codes, "2"),
            text={},
            today=today,
        )
    return round_


def test_member_answers_and_leader_sees_the_aggregate_once_enough(web, survey_round, member):
    page = web.page
    web.sign_in("leader")
    web.go(survey_round.get_absolute_url())
    page.wait_for_load_state("networkidle")
    assert page.get_by_text("Fewer than 5 people answered").first.is_visible()
    # no figure at all with 4 answers: neither in the results nor as a count of who answered
    assert page.locator("section[aria-labelledby^='q-'] td.num").count() == 0
    assert page.get_by_text("of 5").count() == 0

    page.context.clear_cookies()
    web.sign_in("member")
    web.go("/my-work/")
    page.wait_for_load_state("networkidle")
    assert page.get_by_role("heading", name="Survey open for you").is_visible()
    page.get_by_role("link", name="Answer anonymously").click()
    page.wait_for_load_state("networkidle")
    for group in page.locator("fieldset").all():
        group.get_by_label("4: Agree").check()
    page.get_by_label("Anything else you want to tell us? (optional)").fill("Clearer goals now")
    page.get_by_role("button", name="Send my answers").click()
    page.wait_for_load_state("networkidle")
    assert page.get_by_text("your answers were recorded anonymously").is_visible()
    assert Participation.objects.filter(person=member).exists()
    web.shot("survey-answered")

    page.context.clear_cookies()
    web.sign_in("leader")
    web.go(survey_round.get_absolute_url())
    page.wait_for_load_state("networkidle")
    # 5 answers: four 2s and one 4 -> mean 2.4, five people, comment shown
    section = page.locator(
        "section", has=page.get_by_role("heading", name="I know my team's priorities this quarter.")
    )
    assert section.get_by_text("2.4").first.is_visible()
    assert page.get_by_text("Clearer goals now").is_visible()
    web.shot("survey-results")
    assert web.errors == []


def test_survey_pages_pass_axe(chromium, live_server, settings, survey_round):
    from axe_playwright_python.sync_playwright import Axe

    from tests.browser.conftest import persona_sign_in

    settings.AXES_ENABLED = False
    axe = Axe()
    context = chromium.new_context(locale="en-GB")
    page = context.new_page()
    page.set_default_timeout(15000)
    paths = [
        "/surveys/",
        survey_round.survey.get_absolute_url(),
        survey_round.get_absolute_url(),
        f"/surveys/rounds/{survey_round.pk}/answer/",
        "/my-work/",
    ]
    failures = []
    for width, height in ((1440, 900), (390, 844)):
        page.set_viewport_size({"width": width, "height": height})
        for persona in ("leader", "member"):
            persona_sign_in(page, live_server.url, persona)
            for path in paths:
                page.goto(live_server.url + path)
                for v in axe.run(page).response["violations"]:
                    if v["impact"] in ("critical", "serious"):
                        failures.append(
                            f"{width} {persona} {path}: {v['id']} {v['nodes'][0]['target']}"
                        )
    context.close()
    assert not failures, "\n".join(failures)
