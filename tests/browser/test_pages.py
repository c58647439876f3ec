"""End-to-end: real Chromium, real pages, real JavaScript (plotly, htmx)."""

from __future__ import annotations

import contextlib

import pytest
from playwright.sync_api import TimeoutError as PlaywrightTimeout
from playwright.sync_api import expect

from initiatives.models import CheckIn

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def big_plan(team, other_team, leader, member, viewer):
    from tests.plan_data import plan_build

    return plan_build(size=2, team=team, other_team=other_team, member=member, leader=leader)


def test_leader_sees_rendered_charts_and_drills_down(web, leader, big_plan):
    web.sign_in("leader")
    page = web.page
    assert page.url.endswith("/overview/")
    # Every chart of the overview is drawn by plotly (an SVG inside each container): waited for
    # as a whole, not only the first one drawn.
    containers = page.locator("[data-figure]")
    expect(containers).to_have_count(4)
    expect(page.locator("[data-figure]:not(:has(svg.main-svg))")).to_have_count(0)
    assert page.get_by_text("Strategy map").is_visible()
    web.shot("overview")

    objective = big_plan.objectives[0]
    page.get_by_role("link", name=objective.title, exact=True).first.click()
    page.wait_for_load_state("networkidle")
    assert page.get_by_role("heading", name=objective.title).is_visible()
    assert page.get_by_text("What makes up this score").is_visible()
    web.shot("objective")

    kpi = big_plan.kpis[0]
    page.get_by_role("link", name=kpi.name, exact=True).first.click()
    page.wait_for_selector("[data-figure] svg.main-svg")
    assert page.get_by_role("heading", name=kpi.name).is_visible()
    web.shot("kpi")

    page.get_by_role("link", name="Alerts").first.click()
    page.wait_for_load_state("networkidle")
    web.shot("alerts")

    initiative = big_plan.initiatives[0]
    web.go(initiative.get_absolute_url())
    page.wait_for_selector("[data-figure] svg.main-svg")
    web.shot("initiative")
    web.go("/review/")
    page.wait_for_selector("[data-figure] svg.main-svg")
    page.emulate_media(media="print")
    web.shot("review-print")
    assert web.errors == []


def test_member_checks_in_from_my_work(web, member, big_plan):
    web.sign_in("member")
    page = web.page
    assert page.url.endswith("/my-work/")
    web.shot("my-work")

    card = page.locator(".work-item").first
    title = card.locator(".work-item__title").first.inner_text()
    card.get_by_text("Check in", exact=True).click()
    # An invalid check-in (no status, no summary) shows clear errors and keeps the input.
    card.get_by_label("Progress (%)").fill("55")
    card.get_by_role("button", name="Post check-in").click()
    card = page.locator(".work-item").first
    card.locator(".errorlist").first.wait_for()
    expect(card.get_by_text("Choose a status: green, amber or red.")).to_be_visible()
    expect(card.get_by_text("Write a short summary")).to_be_visible()
    expect(card.get_by_label("Progress (%)")).to_have_value("55")
    web.shot("my-work-invalid")

    expect(card.locator("details[open]")).to_have_count(1)  # the form stays open on errors
    card.get_by_label("Amber — at risk").check()
    card.get_by_label("Confidence (%)").fill("65")
    card.get_by_label("Summary").fill("Pilot slipped a week; vendor contract signed today.")
    card.get_by_role("button", name="Post check-in").click()
    page.get_by_text("Check-in saved.").wait_for()
    assert "/my-work/" in page.url  # never left the page
    assert CheckIn.objects.filter(summary__startswith="Pilot slipped").count() == 1

    page.locator(".work-item").first.get_by_role("link", name=title, exact=True).click()
    page.wait_for_load_state("networkidle")
    assert page.get_by_role("heading", name=title).is_visible()
    history = page.locator("#checkin-history")
    assert history.get_by_text("Pilot slipped a week; vendor contract signed today.").is_visible()
    assert web.errors == []


def test_member_completes_milestone_without_leaving_page(web, member, big_plan):
    web.sign_in("member")
    page = web.page
    card = page.locator(".work-item").first
    buttons = card.get_by_role("button", name="Mark done")
    before = buttons.count()
    buttons.first.click()
    page.get_by_text("completed.").wait_for()
    expect(page.locator(".work-item").first.get_by_role("button", name="Mark done")).to_have_count(
        before - 1
    )
    assert "/my-work/" in page.url


def test_viewer_gets_no_edit_controls(web, viewer, big_plan):
    web.sign_in("viewer")
    page = web.page
    assert page.url.endswith("/my-work/")
    for url in (
        big_plan.initiatives[0].get_absolute_url(),
        big_plan.objectives[0].get_absolute_url(),
        big_plan.kpis[1].get_absolute_url(),
    ):
        web.go(url)
        page.wait_for_load_state("networkidle")
        assert page.get_by_role("button", name="Post check-in").count() == 0
        assert page.get_by_role("link", name="Edit", exact=False).count() == 0
        assert page.get_by_role("button", name="Save measurement").count() == 0
        assert page.get_by_role("button", name="Done").count() == 0
        if url == big_plan.initiatives[0].get_absolute_url():
            web.shot("viewer-initiative")
    web.go("/alerts/")
    assert page.get_by_role("button", name="Resolve").count() == 0
    assert page.get_by_text("Acknowledged or resolved by its owner").count() > 0
    web.shot("viewer-alerts")
    assert web.errors == []


def test_a_refused_quick_action_says_so(web, member, team, big_plan):
    from strategy.models import Membership

    web.sign_in("member")
    page = web.page
    # While the page is open, the member is made a viewer: the next action is refused.
    Membership.objects.filter(user=member, team=team).update(role=Membership.Role.VIEWER)
    page.locator(".work-item").first.get_by_role("button", name="Mark done").first.click()
    expect(page.locator("#flash")).to_contain_text("not allowed")


def _focused(page) -> dict:
    return page.evaluate(
        "() => { const e = document.activeElement;"
        " return {tag: e.tagName, cls: e.className, text: e.innerText || ''}; }"
    )


def _wait_for_focus_on(page, selector: str) -> dict:
    """Wait until the focused element matches ``selector`` (HTMX may settle after the text is
    on screen: the state itself is waited for, not read once); return what is focused."""
    # A timeout is not raised here: the caller's assertion names what was focused instead.
    with contextlib.suppress(PlaywrightTimeout):
        page.wait_for_function(
            "(s) => document.activeElement && document.activeElement.matches(s)",
            arg=selector,
        )
    return _focused(page)


# Records, at the moment the first element matching the selector enters the DOM (a mutation
# observer's callback runs before the browser paints or any test can look), whether it holds
# the focus already.
FOCUS_AT_INSERT = """(s) => {
  window.__focusAtInsert = null;
  const seen = new MutationObserver(() => {
    const e = document.querySelector(s);
    if (!e) { return; }
    window.__focusAtInsert = document.activeElement === e;
    seen.disconnect();
  });
  seen.observe(document.body, {childList: true, subtree: true});
}"""


def test_focus_lands_on_the_result_of_an_htmx_check_in(web, member, team, big_plan):
    """The check-in form is replaced by the server's answer: keyboard and screen-reader users
    land on that answer (the errors, then the saved message), not at the top of the page."""
    from strategy.models import Membership

    web.sign_in("member")
    page = web.page
    page.locator(".work-item").first.get_by_text("Check in", exact=True).click()
    page.evaluate(FOCUS_AT_INSERT, ".work-item .form-errors")
    page.locator(".work-item").first.get_by_role("button", name="Post check-in").click()
    focused = _wait_for_focus_on(page, ".work-item .form-errors")
    assert "form-errors" in focused["cls"], focused
    assert "Please correct" in focused["text"]
    # The focus moved in the same task as the swap, not on a later timer (htmx's settle).
    assert page.evaluate("() => window.__focusAtInsert") is True

    card = page.locator(".work-item").first
    card.get_by_label("Green — on track").check()
    card.get_by_label("Progress (%)").fill("40")
    card.get_by_label("Confidence (%)").fill("80")
    card.get_by_label("Summary").fill("On plan.")
    page.evaluate(FOCUS_AT_INSERT, ".work-item .message[role=status]")
    card.get_by_role("button", name="Post check-in").click()
    focused = _wait_for_focus_on(page, ".work-item .message[role=status]")
    assert focused["text"] == "Check-in saved.", focused
    assert page.evaluate("() => window.__focusAtInsert") is True

    # A refused request (HTTP 403): the explanation takes the focus.
    Membership.objects.filter(user=member, team=team).update(role=Membership.Role.VIEWER)
    page.locator(".work-item").first.get_by_role("button", name="Mark done").first.click()
    assert "not allowed" in _wait_for_focus_on(page, "#flash")["text"]
    assert web.errors == [] or all("403" in e for e in web.errors)
