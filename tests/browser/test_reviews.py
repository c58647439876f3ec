"""The review cycle in a real browser: meeting mode records a decision and an action item in
place (HTMX, no reload), the owner sees the action item on My work; the pages pass axe at
desktop and phone widths."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from reviews.models import ActionItem, Decision, Meeting, Review
from reviews.services import pack_freeze

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def review_world(team, other_team, leader, member, viewer):
    from tests.plan_data import plan_build

    plan = plan_build(size=2, team=team, other_team=other_team, member=member, leader=leader)
    review = Review.objects.create(
        name="Monthly business review", strategy=plan.strategy, owner=leader
    )
    review.participants.set([leader, member])
    first = Meeting.objects.create(review=review, starts_at=timezone.now() - dt.timedelta(days=30))
    pack_freeze(meeting=first, now=timezone.now() - dt.timedelta(days=30))
    meeting = Meeting.objects.create(review=review, starts_at=timezone.now())
    pack, _ = pack_freeze(meeting=meeting)
    return {"plan": plan, "review": review, "meeting": meeting, "pack": pack}


def test_meeting_mode_records_in_place_and_my_work_shows_the_item(
    web, leader, member, review_world
):
    meeting = review_world["meeting"]
    web.sign_in("leader")
    page = web.page
    web.go(meeting.get_absolute_url())
    page.wait_for_load_state("networkidle")
    assert page.get_by_role("heading", name="Agenda: what changed, biggest first").is_visible()
    marker = page.evaluate("() => { window.__notReloaded = true; return 1 }")
    assert marker == 1

    first_button = page.locator("#agenda").get_by_role("button").first
    first_button.click()
    page.wait_for_selector("#agenda .badge--ok")

    page.get_by_role("textbox", name="Decision").fill("Move two engineers to the pilot")
    page.get_by_role("button", name="Record decision").click()
    page.wait_for_selector("#decisions >> text=Move two engineers to the pilot")
    assert Decision.objects.filter(meeting=meeting).count() == 1

    page.locator("#actions").get_by_label("Title").fill("Call the pilot customers")
    page.locator("#actions").get_by_role("combobox", name="Owner").select_option(
        label=member.get_full_name()
    )
    page.locator("#actions").get_by_label("Due").fill(
        (timezone.localdate() + dt.timedelta(days=7)).isoformat()
    )
    page.get_by_role("button", name="Add action item").click()
    page.wait_for_selector("#actions >> text=Call the pilot customers")
    assert page.evaluate("() => window.__notReloaded") is True  # recorded in place
    web.shot("review-meeting-mode")
    assert ActionItem.objects.get().owner == member

    web.go(review_world["pack"].get_absolute_url())
    page.wait_for_load_state("networkidle")
    web.shot("review-pack")
    page.emulate_media(media="print")
    web.shot("review-pack-print")
    page.emulate_media(media="screen")

    page.context.clear_cookies()
    web.sign_in("member")
    web.go("/my-work/")
    page.wait_for_load_state("networkidle")
    assert page.get_by_text("Call the pilot customers", exact=True).is_visible()
    item = ActionItem.objects.get()
    page.locator(f"#action-{item.pk}").get_by_role("button", name="Mark done").click()
    # The swapped row's "Done" badge ("text=Done" alone also matches the "Mark done" button).
    page.wait_for_selector(f"#action-{item.pk} .badge--ok")
    assert ActionItem.objects.get().status == "done"
    assert web.errors == []


def test_review_pages_pass_axe(chromium, live_server, settings, review_world, leader, member):
    from axe_playwright_python.sync_playwright import Axe

    from tests.browser.conftest import persona_sign_in

    settings.AXES_ENABLED = False
    axe = Axe()
    context = chromium.new_context(locale="en-GB")
    page = context.new_page()
    page.set_default_timeout(15000)
    paths = [
        "/reviews/",
        review_world["review"].get_absolute_url(),
        review_world["meeting"].get_absolute_url(),
        review_world["pack"].get_absolute_url(),
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
