"""Invitations (``strategy.invitations``): a signed, expiring, single-use set-password link;
shown to the inviting person when no e-mail server is configured; a resend replaces earlier
links; rate-limited with ``InvitationThrottle``; ``manage.py invite_person`` prints the link."""

from __future__ import annotations

import datetime as dt
import re

import pytest
import time_machine
from django.contrib.auth import get_user_model
from django.core import mail
from django.core.management import CommandError, call_command
from django.urls import reverse
from django.utils import timezone

from strategy.invitations import invitation_check, person_invite
from strategy.models import Invitation, Membership

pytestmark = pytest.mark.django_db

PASSWORD = "Quiet-lantern-meadow-42"
REAL_BACKEND = "tests.strategy.mail_backend.DeliveringBackend"


def _path(url: str) -> str:
    return "/" + url.split("/", 3)[3]


def _invite(client, team, email="ana@example.com", role="member"):
    return client.post(
        reverse("strategy:person-invite"),
        {"email": email, "first_name": "Ana", "last_name": "Lima", "team": team.pk, "role": role},
    )


def _link_on_page(client, response) -> str:
    page = client.get(response["Location"]).content.decode()
    match = re.search(r'value="(http[^"]+/invitations/[^"]+/)"', page)
    assert match, "the link is shown to the inviting person"
    return match.group(1)


def test_office_invites_and_the_link_is_shown_without_smtp(client, admin, team):
    client.force_login(admin)
    response = _invite(client, team)
    assert response.status_code == 302
    person = get_user_model().objects.get(email="ana@example.com")
    assert not person.has_usable_password()
    assert Membership.objects.get(user=person, team=team).role == "member"
    url = _link_on_page(client, response)
    assert invitation_check(token=url.rstrip("/").rsplit("/", 1)[1]).state == "valid"
    # Console/locmem backends reach nobody: the mail is written but the link is also shown.
    assert len(mail.outbox) == 1
    assert _path(url) in mail.outbox[0].body
    # Shown once: the next view of the page no longer has it.
    assert "/invitations/" not in client.get(response["Location"]).content.decode()


def test_with_a_real_mail_server_the_link_is_mailed_not_shown(client, admin, team, settings):
    settings.EMAIL_BACKEND = REAL_BACKEND
    client.force_login(admin)
    response = _invite(client, team)
    page = client.get(response["Location"]).content.decode()
    assert "/invitations/" not in page
    assert "Invitation sent to ana@example.com" in page
    from tests.strategy.mail_backend import DeliveringBackend

    assert "/invitations/" in DeliveringBackend.sent[-1].body


def test_invited_person_sets_a_password_and_is_signed_in(client, admin, team):
    sent = person_invite(email="ana@example.com", team=team, role="member", by=admin)
    path = _path(sent.url)
    anon = client
    page = anon.get(path)
    assert page.status_code == 200
    assert b"Set password" in page.content
    weak = anon.post(path, {"password1": "short", "password2": "short"})
    assert weak.status_code == 400
    assert b"too short" in weak.content
    differ = anon.post(path, {"password1": PASSWORD, "password2": PASSWORD + "x"})
    assert differ.status_code == 400
    assert b"differ" in differ.content
    done = anon.post(path, {"password1": PASSWORD, "password2": PASSWORD})
    assert done.status_code == 302
    person = get_user_model().objects.get(email="ana@example.com")
    assert person.check_password(PASSWORD)
    assert anon.get(reverse("strategy:overview")).status_code == 200  # signed in
    assert Invitation.objects.get(user=person).accepted_at is not None
    # Single use: the link now says so and sets nothing.
    again = anon.post(path, {"password1": "Other-" + PASSWORD, "password2": "Other-" + PASSWORD})
    assert again.status_code == 409
    used = anon.get(path)
    assert used.status_code == 409
    assert b"already used" in used.content
    person.refresh_from_db()
    assert person.check_password(PASSWORD)


def test_an_expired_link_shows_the_expired_page_and_a_resend_gives_a_new_one(
    client, admin, team, settings
):
    settings.INVITATION_TTL_DAYS = 7
    start = timezone.now()
    with time_machine.travel(start, tick=False) as clock:
        sent = person_invite(email="ana@example.com", team=team, role="member", by=admin)
        clock.move_to(start + dt.timedelta(days=6, hours=23))
        assert client.get(_path(sent.url)).status_code == 200
        clock.move_to(start + dt.timedelta(days=7, minutes=1))
        expired = client.get(_path(sent.url))
        assert expired.status_code == 410
        assert b"expired" in expired.content
        late = client.post(_path(sent.url), {"password1": PASSWORD, "password2": PASSWORD})
        assert late.status_code == 410
        client.force_login(admin)
        person = sent.invitation.user
        resent = client.post(reverse("strategy:person-invitation-resend", args=[person.pk]))
        assert resent.status_code == 302
        new_url = _link_on_page(client, resent)
        assert new_url != sent.url
        client.logout()
        assert client.get(_path(new_url)).status_code == 200
        done = client.post(_path(new_url), {"password1": PASSWORD, "password2": PASSWORD})
        assert done.status_code == 302


def test_a_resend_replaces_the_earlier_link(client, admin, team):
    sent = person_invite(email="ana@example.com", team=team, role="member", by=admin)
    from strategy.invitations import invitation_resend

    with time_machine.travel(timezone.now() + dt.timedelta(minutes=5)):
        newer = invitation_resend(invitation=sent.invitation, by=admin)
    old = client.get(_path(sent.url))
    assert old.status_code == 410
    assert b"replaced" in old.content
    assert client.get(_path(newer.url)).status_code == 200


def test_a_forged_or_tampered_link_is_not_found(client, admin, team):
    sent = person_invite(email="ana@example.com", team=team, role="member", by=admin)
    assert client.get(_path(sent.url)[:-3] + "x/").status_code == 404
    assert client.get("/invitations/not-a-token/").status_code == 404


def test_resend_of_a_used_invitation_is_refused(client, admin, team):
    sent = person_invite(email="ana@example.com", team=team, role="member", by=admin)
    client.post(_path(sent.url), {"password1": PASSWORD, "password2": PASSWORD})
    client.force_login(admin)
    person = sent.invitation.user
    response = client.post(reverse("strategy:person-invitation-resend", args=[person.pk]))
    page = client.get(response["Location"]).content.decode()
    assert "no pending invitation" in page
    unchanged = Invitation.objects.get(user=person)
    assert (unchanged.times_sent, unchanged.sent_at) == (1, sent.invitation.sent_at)


def test_inviting_an_existing_address_keeps_the_form(client, admin, team, member):
    client.force_login(admin)
    response = _invite(client, team, email=member.email.upper())
    assert response.status_code == 400
    assert b"already has an account" in response.content
    assert member.email.upper().encode() in response.content  # what was typed is kept


def test_leader_invites_to_own_team_but_not_elsewhere(client, leader, team, other_team):
    client.force_login(leader)
    assert _invite(client, team, role="leader").status_code == 302
    refused = _invite(client, other_team, email="bo@example.com")
    assert refused.status_code == 400  # not a choice the leader is offered
    assert not get_user_model().objects.filter(email="bo@example.com").exists()


@pytest.mark.parametrize("persona", ["member", "viewer", "outsider"])
def test_only_leaders_and_office_may_invite(client, request, team, persona):
    client.force_login(request.getfixturevalue(persona))
    assert client.get(reverse("strategy:person-invite")).status_code == 403
    assert _invite(client, team).status_code == 403
    assert not get_user_model().objects.filter(email="ana@example.com").exists()


def test_invitations_are_rate_limited(client, admin, team, settings):
    settings.RATE_LIMIT_INVITATIONS = "2/hour"
    client.force_login(admin)
    assert _invite(client, team, email="a1@example.com").status_code == 302
    assert _invite(client, team, email="a2@example.com").status_code == 302
    third = _invite(client, team, email="a3@example.com")
    assert third.status_code == 429
    assert int(third["Retry-After"]) > 0
    assert not get_user_model().objects.filter(email="a3@example.com").exists()
    # A resend is an invitation too.
    person = get_user_model().objects.get(email="a1@example.com")
    assert (
        client.post(reverse("strategy:person-invitation-resend", args=[person.pk])).status_code
        == 429
    )


def test_command_prints_the_link(capsys, team):
    call_command("invite_person", "cli@example.com", "--team", team.slug, "--role", "viewer")
    out = capsys.readouterr().out
    url = out.strip().splitlines()[-1]
    assert "/invitations/" in url
    person = get_user_model().objects.get(email="cli@example.com")
    assert Membership.objects.get(user=person).role == "viewer"
    assert invitation_check(token=url.rstrip("/").rsplit("/", 1)[1]).state == "valid"


def test_command_refuses_bad_input_with_the_offending_value(team, member):
    with pytest.raises(CommandError, match="--team nowhere"):
        call_command("invite_person", "x@example.com", "--team", "nowhere")
    with pytest.raises(CommandError, match="already has an account"):
        call_command("invite_person", member.email, "--team", team.slug)
    with pytest.raises(CommandError, match="not-an-address"):
        call_command("invite_person", "not-an-address", "--team", team.slug)
