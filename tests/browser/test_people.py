"""The People pages in a browser: the office invites someone, passes the link shown on the
page (no e-mail server in tests), and the invited person sets a password and lands signed in;
axe-core finds no serious violation on the People pages and the invitation pages (valid, used,
expired) at desktop and phone widths."""

from __future__ import annotations

import datetime as dt

import pytest

from strategy.invitations import invitation_url, person_invite
from strategy.models import Invitation
from tests.browser.test_accessibility import WIDTHS, _violations

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PASSWORD = "Quiet-lantern-meadow-42"


def test_office_invites_and_the_invited_person_signs_in(web, admin, team):
    web.sign_in("office")
    web.go("/people/")
    web.page.get_by_role("link", name="Invite someone").click()
    web.page.get_by_label("E-mail address").fill("ana@example.com")
    web.page.get_by_label("First name").fill("Ana")
    web.page.get_by_label("Team").select_option(label="Sales")
    web.page.get_by_label("Role").select_option("member")
    web.page.get_by_role("button", name="Send the invitation").click()
    link = web.page.locator("#pass-on-link").input_value()
    assert "/invitations/" in link
    web.page.get_by_role("button", name="Sign out").click()
    web.page.wait_for_load_state("networkidle")
    web.page.goto(link)
    web.page.locator("#id_password1").fill(PASSWORD)
    web.page.locator("#id_password2").fill(PASSWORD)
    web.page.get_by_role("button", name="Set password and sign in").click()
    web.page.wait_for_load_state("networkidle")
    assert "/accounts/login/" not in web.page.url
    assert web.page.get_by_role("button", name="Sign out").is_visible()
    assert not web.errors, web.errors
    web.page.goto(link)  # answered 409: the link worked once
    assert "already used" in web.page.content()


def test_no_serious_axe_violation_on_people_and_invitation_pages(
    chromium, live_server, settings, admin, leader, member, team
):
    from axe_playwright_python.sync_playwright import Axe

    settings.AXES_ENABLED = False
    fresh = person_invite(email="fresh@example.com", team=team, role="member", by=admin)
    used = person_invite(email="used@example.com", team=team, role="member", by=admin)
    used.invitation.user.set_password(PASSWORD)
    used.invitation.user.save()
    old = person_invite(email="old@example.com", team=team, role="member", by=admin)
    Invitation.objects.filter(pk=old.invitation.pk).update(
        sent_at=old.invitation.sent_at - dt.timedelta(days=30)
    )
    old.invitation.refresh_from_db()
    signed_in = [
        "/people/",
        "/people/?q=a&role=member",
        "/people/invite/",
        f"/people/{member.pk}/",
        f"/people/{fresh.invitation.user_id}/",
        f"/teams/{team.pk}/members/",
        f"/people/{member.pk}/deactivate/",
    ]
    links = [
        invitation_url(invitation=fresh.invitation),
        invitation_url(invitation=used.invitation),
        invitation_url(invitation=old.invitation),
    ]
    axe = Axe()
    failures: dict[str, list[str]] = {}
    context = chromium.new_context(locale="en-GB")
    page = context.new_page()
    page.set_default_timeout(15000)
    for width, (w, h) in WIDTHS.items():
        page.set_viewport_size({"width": w, "height": h})
        page.context.clear_cookies()
        for link in links:
            page.goto(live_server.url + "/" + link.split("/", 3)[3])
            failures[f"{width} {link}"] = _violations(page, axe)
        page.goto(live_server.url + "/accounts/login/")
        page.get_by_label("Username").fill("office")
        page.get_by_label("Password").fill("correct-horse-battery")
        page.get_by_role("button", name="Sign in").click()
        page.wait_for_load_state("networkidle")
        for path in signed_in:
            page.goto(live_server.url + path)
            assert page.locator("h1").count() == 1, path
            failures[f"{width} {path}"] = _violations(page, axe)
        # No horizontal scrolling on the phone.
        if width == "phone":
            for path in signed_in:
                page.goto(live_server.url + path)
                scroll = page.evaluate("document.documentElement.scrollWidth")
                assert scroll <= w + 1, (path, scroll)
    context.close()
    failures = {k: v for k, v in failures.items() if v}
    report = "\n".join(f"{k}: {line}" for k, v in failures.items() for line in v)
    assert not failures, f"axe critical/serious violations\n{report}"
