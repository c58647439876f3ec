"""The People pages: who may open and do what (``strategy.access``: the office everything, a
leader the memberships of their team and the teams below it, never a role above their own,
never a team's privacy), deactivation with the hand-over of the person's work, password
resets by the office, and the People list's query count at two sizes."""

from __future__ import annotations

import re

import pytest
from django.contrib.auth import get_user_model
from django.core import mail
from django.core.exceptions import PermissionDenied, ValidationError
from django.urls import reverse

from metrics.models import Alert
from strategy.access import access_for
from strategy.models import HandOver, Membership
from strategy.people_services import membership_remove, membership_set, person_deactivate
from tests.factories import (
    AlertFactory,
    InitiativeFactory,
    KPIFactory,
    MembershipFactory,
    ObjectiveFactory,
    TeamFactory,
    UserFactory,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def squad(team):
    """A team below Sales: the Sales leader leads it too."""
    return TeamFactory(name="Inside sales", slug="inside-sales", parent=team)


@pytest.fixture
def newcomer(db):
    return UserFactory(username="newcomer", first_name="Nina", last_name="New")


# --- the rule in strategy.access -------------------------------------------------------------
def test_leader_manages_own_team_and_below_but_not_above_or_beside(
    leader, team, squad, division, other_team
):
    access = access_for(leader)
    assert access.can_manage_memberships(team.pk)
    assert access.can_manage_memberships(squad.pk)
    assert not access.can_manage_memberships(division.pk)
    assert not access.can_manage_memberships(other_team.pk)
    assert access.can_grant_role(squad.pk, "leader")
    assert not access.can_change_team_privacy()
    assert not access.can_administer_accounts()


def test_a_member_leading_a_sub_team_cannot_grant_above_own_role_on_the_parent(
    company, division, team, newcomer
):
    """Someone who is a member of the division and leads a team below it grants up to member
    on the division (their own role there), up to leader on their team."""
    person = UserFactory(username="mixed")
    MembershipFactory(user=person, team=division, role=Membership.Role.MEMBER)
    MembershipFactory(user=person, team=team, role=Membership.Role.LEADER)
    access = access_for(person)
    assert not access.can_manage_memberships(division.pk)
    with pytest.raises(PermissionDenied):
        membership_set(person=newcomer, team=division, role="viewer", by=person)
    assert membership_set(person=newcomer, team=team, role="leader", by=person).role == "leader"


@pytest.mark.parametrize("persona", ["member", "viewer", "outsider"])
def test_non_leaders_manage_no_membership(request, persona, team, newcomer):
    with pytest.raises(PermissionDenied):
        membership_set(
            person=newcomer, team=team, role="viewer", by=request.getfixturevalue(persona)
        )
    assert not Membership.objects.filter(user=newcomer).exists()


def test_leader_cannot_touch_a_team_outside_the_subtree(leader, other_team, newcomer):
    with pytest.raises(PermissionDenied):
        membership_set(person=newcomer, team=other_team, role="member", by=leader)
    engineer = UserFactory(username="engineer")
    membership = MembershipFactory(user=engineer, team=other_team, role="member")
    with pytest.raises(PermissionDenied):
        membership_remove(membership=membership, by=leader)
    assert Membership.objects.filter(pk=membership.pk).exists()


def test_leader_cannot_change_a_role_above_their_own(team, division, newcomer):
    """A division leader's membership in Sales is out of reach of the Sales leader only if it
    is above theirs; with three roles, leader is the top: the refusal shows with a leader of a
    sub-team managing the parent's leader."""
    sub_lead = UserFactory(username="sub-lead")
    squad = TeamFactory(name="Squad", slug="squad", parent=team)
    MembershipFactory(user=sub_lead, team=squad, role="leader")
    boss = UserFactory(username="boss")
    boss_membership = MembershipFactory(user=boss, team=team, role="leader")
    with pytest.raises(PermissionDenied):
        membership_set(person=boss, team=team, role="viewer", by=sub_lead)
    with pytest.raises(PermissionDenied):
        membership_remove(membership=boss_membership, by=sub_lead)
    boss_membership.refresh_from_db()
    assert boss_membership.role == "leader"


def test_office_grants_anything(admin, other_team, newcomer):
    assert membership_set(person=newcomer, team=other_team, role="leader", by=admin).role == (
        "leader"
    )


# --- pages ----------------------------------------------------------------------------------
PAGES = {
    "people": lambda p: reverse("strategy:people"),
    "person-invite": lambda p: reverse("strategy:person-invite"),
    "person-detail": lambda p: reverse("strategy:person-detail", args=[p.pk]),
    "team-members": lambda p: reverse("strategy:team-members", args=[p.team_pk]),
    "person-deactivate": lambda p: reverse("strategy:person-deactivate", args=[p.pk]),
}
# persona -> expected status of GET on each page (the person shown: a member of Sales).
EXPECTED = {
    "admin": {"people": 200, "person-invite": 200, "person-detail": 200, "team-members": 200,
              "person-deactivate": 200},
    "leader": {"people": 200, "person-invite": 200, "person-detail": 200, "team-members": 200,
               "person-deactivate": 403},
    "member": {"people": 403, "person-invite": 403, "person-detail": 403, "team-members": 403,
               "person-deactivate": 403},
    "viewer": {"people": 403, "person-invite": 403, "person-detail": 403, "team-members": 403,
               "person-deactivate": 403},
    "outsider": {"people": 403, "person-invite": 403, "person-detail": 403, "team-members": 404,
                 "person-deactivate": 403},
}  # fmt: skip


@pytest.mark.parametrize("persona", sorted(EXPECTED))
def test_page_permissions(client, request, persona, member, team, admin, leader, viewer, outsider):
    member.team_pk = team.pk
    client.force_login(request.getfixturevalue(persona))
    got = {name: client.get(url(member)).status_code for name, url in PAGES.items()}
    assert got == EXPECTED[persona]


def test_anonymous_people_pages_go_to_sign_in(client, member, team):
    member.team_pk = team.pk
    for url in PAGES.values():
        response = client.get(url(member))
        assert response.status_code == 302
        assert "/accounts/login/" in response["Location"]


@pytest.mark.parametrize(
    ("name", "persona", "expected"),
    [
        ("strategy:person-password-reset", "leader", 403),
        ("strategy:person-password-reset", "member", 403),
        ("strategy:person-deactivate", "leader", 403),
        ("strategy:person-invitation-resend", "member", 403),
        ("strategy:person-membership-save", "member", 403),
        ("strategy:person-membership-save", "viewer", 403),
    ],
)
def test_post_actions_refused(client, request, name, persona, expected, member, team):
    client.force_login(request.getfixturevalue(persona))
    before = list(Membership.objects.values_list("user_id", "team_id", "role").order_by("id"))
    response = client.post(
        reverse(name, args=[member.pk]), {"team": team.pk, "role": "leader", "confirm": "on"}
    )
    assert response.status_code == expected
    member.refresh_from_db()
    assert member.is_active
    assert not mail.outbox
    after = list(Membership.objects.values_list("user_id", "team_id", "role").order_by("id"))
    assert after == before


def test_people_list_hides_people_only_in_teams_hidden_from_the_leader(client, leader, company):
    private = TeamFactory(name="Skunkworks", slug="skunkworks", parent=company, is_private=True)
    hidden = UserFactory(username="hidden", first_name="Hilda", last_name="Hidden")
    MembershipFactory(user=hidden, team=private, role="member")
    client.force_login(leader)
    page = client.get(reverse("strategy:people")).content.decode()
    assert "Hilda" not in page
    assert "Skunkworks" not in page
    assert client.get(reverse("strategy:person-detail", args=[hidden.pk])).status_code == 404
    assert client.get(reverse("strategy:team-members", args=[private.pk])).status_code == 404


def test_people_list_filters(client, admin, member, viewer, leader, team, other_team):
    engineer = UserFactory(username="engineer", first_name="Erin", last_name="Gear")
    MembershipFactory(user=engineer, team=other_team, role="member")
    client.force_login(admin)

    def names(**query):
        page = client.get(reverse("strategy:people"), query).content.decode()
        return set(re.findall(r'href="/people/\d+/">([^<]+)<', page))

    assert names(q="gear") == {"Erin Gear"}
    assert names(q=engineer.email) == {"Erin Gear"}
    assert names(team=other_team.pk) == {"Erin Gear"}
    assert names(team=team.pk, role="viewer") == {viewer.get_full_name()}
    engineer.is_active = False
    engineer.save()
    assert names(active="no") == {"Erin Gear"}
    assert "Erin Gear" not in names(active="yes")


def test_leader_adds_and_removes_members_of_own_team_on_the_team_page(
    client, leader, team, newcomer
):
    client.force_login(leader)
    url = reverse("strategy:team-members", args=[team.pk])
    # The newcomer has no team the leader sees: not choosable, refused like a missing id.
    refused = client.post(url, {"person": newcomer.pk, "role": "member"})
    assert refused.status_code == 400
    assert b"Select a valid choice" in refused.content
    assert not Membership.objects.filter(user=newcomer).exists()
    colleague = UserFactory(username="colleague")
    MembershipFactory(user=colleague, team=TeamFactory(slug="sq", name="Sq", parent=team))
    response = client.post(url, {"person": colleague.pk, "role": "member"})
    assert response.status_code == 302
    membership = Membership.objects.get(user=colleague, team=team)
    client.post(reverse("strategy:membership-delete", args=[membership.pk]), {"from": "team"})
    assert not Membership.objects.filter(pk=membership.pk).exists()


def test_person_side_membership_edit_by_office(client, admin, member, other_team):
    client.force_login(admin)
    response = client.post(
        reverse("strategy:person-membership-save", args=[member.pk]),
        {"team": other_team.pk, "role": "leader"},
    )
    assert response.status_code == 302
    assert Membership.objects.get(user=member, team=other_team).role == "leader"


def test_leader_is_not_offered_a_team_outside_the_subtree(client, leader, member, other_team):
    client.force_login(leader)
    client.post(
        reverse("strategy:person-membership-save", args=[member.pk]),
        {"team": other_team.pk, "role": "member"},
    )
    assert not Membership.objects.filter(user=member, team=other_team).exists()
    page = client.get(reverse("strategy:person-detail", args=[member.pk])).content.decode()
    assert "Engineering" not in page


# --- deactivation and hand-over ---------------------------------------------------------------
def test_deactivation_hands_the_work_over(client, admin, member, leader, team):
    objective = ObjectiveFactory(team=team, owner=member)
    initiative = InitiativeFactory(team=team, owner=member, objective=objective)
    kpi = KPIFactory(team=team, owner=member, objective=objective)
    alert = AlertFactory(team=team, owner=member)
    client.force_login(admin)
    url = reverse("strategy:person-deactivate", args=[member.pk])
    page = client.get(url).content.decode()
    assert "1 objective(s), 1 initiative(s), 1 KPI(s) and 1 open alert(s)" in page
    missing = client.post(url, {"confirm": "on"})
    assert missing.status_code == 400
    assert b"choose who takes it over" in missing.content
    unconfirmed = client.post(url, {"successor": leader.pk})
    assert unconfirmed.status_code == 400
    member.refresh_from_db()
    assert member.is_active
    done = client.post(url, {"successor": leader.pk, "confirm": "on"})
    assert done.status_code == 302
    member.refresh_from_db()
    assert not member.is_active
    for obj in (objective, initiative, kpi, alert):
        obj.refresh_from_db()
        assert obj.owner_id == leader.pk, obj
    hand_over = HandOver.objects.get(leaving=member)
    assert (hand_over.objectives, hand_over.initiatives, hand_over.kpis, hand_over.alerts) == (
        1,
        1,
        1,
        1,
    )
    # Deactivated: no sign-in (the session ends) and listed to the office only.
    member_client = client.__class__()
    member_client.force_login(member)
    assert member_client.get(reverse("strategy:overview")).status_code == 302


def test_work_is_not_handed_to_a_successor_who_cannot_see_it(client, admin, company, other_team):
    """The tester's case: the leaver owns a private team's objective, KPI and initiative (and
    their alert); the successor, a member of another team, would have got 404 on each. The
    office is told how many items the successor cannot see; nothing moves, nobody is
    deactivated."""
    secret = TeamFactory(name="Skunkworks", slug="skunkworks", parent=company, is_private=True)
    leaving = UserFactory(username="leaving")
    MembershipFactory(user=leaving, team=secret, role=Membership.Role.LEADER)
    successor = UserFactory(username="successor")
    MembershipFactory(user=successor, team=other_team)
    objective = ObjectiveFactory(team=secret, owner=leaving)
    initiative = InitiativeFactory(team=secret, owner=leaving, objective=objective)
    kpi = KPIFactory(team=secret, owner=leaving, objective=objective)
    alert = AlertFactory(team=secret, owner=leaving)
    client.force_login(admin)
    url = reverse("strategy:person-deactivate", args=[leaving.pk])

    response = client.post(url, {"successor": successor.pk, "confirm": "on"})

    assert response.status_code == 400
    page = response.content.decode()
    assert "cannot see 4 items of the work to hand over" in page
    assert "1 objective, 1 initiative, 1 KPI, 1 alert" in page
    for obj in (objective, initiative, kpi, alert):
        obj.refresh_from_db()
        assert obj.owner_id == leaving.pk, obj
    leaving.refresh_from_db()
    assert leaving.is_active
    assert not HandOver.objects.exists()
    # A successor with a role on the private team takes it all over.
    MembershipFactory(user=successor, team=secret)
    assert client.post(url, {"successor": successor.pk, "confirm": "on"}).status_code == 302
    objective.refresh_from_db()
    assert objective.owner_id == successor.pk


def test_a_successor_who_sees_nothing_is_refused_even_for_public_work(admin, member, team):
    ObjectiveFactory(team=team, owner=member)
    nobody = UserFactory(username="nobody")
    with pytest.raises(ValidationError) as refused:
        person_deactivate(person=member, successor=nobody, by=admin)
    assert "cannot see 1 item" in str(refused.value.message_dict["successor"])


def test_a_resolved_alert_keeps_its_owner_on_hand_over(admin, member, leader, team):
    from django.utils import timezone

    resolved = AlertFactory(
        team=team, owner=member, status=Alert.Status.RESOLVED, resolved_at=timezone.now()
    )
    person_deactivate(person=member, successor=leader, by=admin)
    resolved.refresh_from_db()
    assert resolved.owner_id == member.pk


def test_nobody_deactivates_themselves_and_only_the_office_deactivates(admin, leader, member):
    with pytest.raises(PermissionDenied):
        person_deactivate(person=admin, successor=None, by=admin)
    with pytest.raises(PermissionDenied):
        person_deactivate(person=member, successor=None, by=leader)
    member.refresh_from_db()
    assert member.is_active


# --- password reset by the office --------------------------------------------------------------
def test_office_password_reset_shows_the_link_without_smtp(client, admin, member):
    client.force_login(admin)
    response = client.post(reverse("strategy:person-password-reset", args=[member.pk]))
    page = client.get(response["Location"]).content.decode()
    match = re.search(r'value="(http[^"]+/accounts/password/reset/key/[^"]+)"', page)
    assert match
    link = "/" + match.group(1).split("/", 3)[3]
    client.logout()
    form = client.get(link, follow=True)
    assert form.status_code == 200
    assert b"password1" in form.content
    new = "Quiet-lantern-meadow-42"
    client.post(
        form.redirect_chain[-1][0] if form.redirect_chain else link,
        {"password1": new, "password2": new},
    )
    member.refresh_from_db()
    assert member.check_password(new)


def test_office_password_reset_is_mailed_with_smtp(client, admin, member, settings):
    settings.EMAIL_BACKEND = "tests.strategy.mail_backend.DeliveringBackend"
    from tests.strategy.mail_backend import DeliveringBackend

    client.force_login(admin)
    response = client.post(reverse("strategy:person-password-reset", args=[member.pk]))
    page = client.get(response["Location"]).content.decode()
    assert "/accounts/password/reset/key/" not in page
    assert "/accounts/password/reset/key/" in DeliveringBackend.sent[-1].body


def test_sign_in_page_links_forgot_password_styled_like_the_app(client):
    page = client.get(reverse("account_login")).content.decode()
    assert reverse("account_reset_password") in page
    reset = client.get(reverse("account_reset_password")).content.decode()
    assert "auth__card" in reset
    assert "css/app.css" in reset


# --- query counts -----------------------------------------------------------------------------
def _grow(team, n: int) -> None:
    for i in range(n):
        person = UserFactory(username=f"p{i}-{team.pk}-{n}")
        MembershipFactory(user=person, team=team, role="member")
        MembershipFactory(
            user=person, team=TeamFactory(slug=f"t{i}-{n}", name=f"T{i}", parent=team)
        )


@pytest.mark.parametrize("persona", ["admin", "leader"])
def test_people_list_queries_do_not_grow(
    client, request, team, persona, django_assert_max_num_queries
):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    user = request.getfixturevalue(persona)
    client.force_login(user)
    counts = []
    for n in (3, 20):
        _grow(team, n)
        client.get(reverse("strategy:people"))  # warm: session
        with CaptureQueriesContext(connection) as ctx:
            assert client.get(reverse("strategy:people")).status_code == 200
        counts.append(len(ctx.captured_queries))
    # session, user, access (office group / memberships + teams), count, page, memberships
    assert counts[0] == counts[1], counts
    assert counts[1] <= 9, counts
    assert get_user_model().objects.count() > 20
