"""The membership and invitation endpoints apply the same rule as the pages
(``strategy.access``): a leader manages the memberships of their team and the teams below,
never above their own role, never outside their subtree, never a team's privacy."""

from __future__ import annotations

import pytest
from rest_framework.test import APIClient

from strategy.models import Membership
from tests.factories import MembershipFactory, TeamFactory, UserFactory

pytestmark = pytest.mark.django_db


def _client(user) -> APIClient:
    client = APIClient()
    client.force_login(user)
    return client


def test_leader_adds_to_a_sub_team_and_changes_roles_up_to_leader(leader, team, division):
    squad = TeamFactory(name="Squad", slug="squad", parent=team)
    person = UserFactory()
    MembershipFactory(user=person, team=division, role="viewer")
    api = _client(leader)
    created = api.post(
        "/api/v1/memberships/",
        {"user": person.pk, "team": squad.pk, "role": "member"},
        format="json",
    )
    assert created.status_code == 201, created.json()
    changed = api.patch(
        f"/api/v1/memberships/{created.json()['id']}/", {"role": "leader"}, format="json"
    )
    assert changed.status_code == 200
    assert Membership.objects.get(user=person, team=squad).role == "leader"


def test_leader_cannot_manage_a_team_outside_the_subtree(leader, other_team, division):
    engineer = UserFactory()
    membership = MembershipFactory(user=engineer, team=other_team, role="member")
    api = _client(leader)
    assert (
        api.post(
            "/api/v1/memberships/",
            {"user": engineer.pk, "team": division.pk, "role": "viewer"},
            format="json",
        ).status_code
        == 403
    )
    assert (
        api.patch(
            f"/api/v1/memberships/{membership.pk}/", {"role": "viewer"}, format="json"
        ).status_code
        == 403
    )
    assert api.delete(f"/api/v1/memberships/{membership.pk}/").status_code == 403
    membership.refresh_from_db()
    assert membership.role == "member"
    assert not Membership.objects.filter(user=engineer, team=division).exists()


def test_sub_team_leader_cannot_change_a_role_above_their_own(team):
    squad = TeamFactory(name="Squad", slug="squad", parent=team)
    sub_lead = UserFactory()
    MembershipFactory(user=sub_lead, team=squad, role="leader")
    member_of_sales = UserFactory()
    sales_member = MembershipFactory(user=member_of_sales, team=team, role="member")
    api = _client(sub_lead)
    refused = api.patch(
        f"/api/v1/memberships/{sales_member.pk}/", {"role": "viewer"}, format="json"
    )
    assert refused.status_code == 403
    sales_member.refresh_from_db()
    assert sales_member.role == "member"


def test_a_membership_cannot_be_moved_to_another_person_or_team(admin, member, team, other_team):
    membership = Membership.objects.get(user=member, team=team)
    response = _client(admin).patch(
        f"/api/v1/memberships/{membership.pk}/", {"team": other_team.pk}, format="json"
    )
    assert response.status_code == 400
    assert [e["field"] for e in response.json()["errors"]] == ["team"]


def test_leader_cannot_change_a_teams_privacy(leader, team):
    response = _client(leader).patch(
        f"/api/v1/teams/{team.pk}/", {"is_private": True}, format="json"
    )
    assert response.status_code == 403
    team.refresh_from_db()
    assert not team.is_private


def test_invite_answers_the_link_without_smtp_and_is_rate_limited(leader, team, settings):
    settings.RATE_LIMIT_INVITATIONS = "1/hour"
    api = _client(leader)
    first = api.post(
        "/api/v1/people/invite/",
        {"email": "api@example.com", "team": team.pk, "role": "member"},
        format="json",
    )
    assert first.status_code == 201, first.json()
    assert "/invitations/" in first.json()["link"]
    assert first.json()["mailed"] is False
    second = api.post(
        "/api/v1/people/invite/",
        {"email": "api2@example.com", "team": team.pk, "role": "member"},
        format="json",
    )
    assert second.status_code == 429


def test_invite_hides_the_link_when_mailed(admin, team, settings):
    settings.EMAIL_BACKEND = "tests.strategy.mail_backend.DeliveringBackend"
    response = _client(admin).post(
        "/api/v1/people/invite/",
        {"email": "api@example.com", "team": team.pk, "role": "leader"},
        format="json",
    )
    assert response.status_code == 201
    assert response.json()["link"] is None
    assert response.json()["mailed"] is True


def test_invite_refuses_a_team_outside_the_leaders_subtree(leader, other_team):
    response = _client(leader).post(
        "/api/v1/people/invite/",
        {"email": "api@example.com", "team": other_team.pk, "role": "member"},
        format="json",
    )
    assert response.status_code == 403
