"""The permission rules of strategy/access.py, persona by persona."""

from __future__ import annotations

import pytest

from strategy.access import access_for, accesses_for
from strategy.models import Membership, Team
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
def sales_objective(team):
    return ObjectiveFactory(team=team)


@pytest.fixture
def sales_initiative(sales_objective):
    return InitiativeFactory(objective=sales_objective)


@pytest.fixture
def engineering_initiative(other_team):
    return InitiativeFactory(objective=ObjectiveFactory(team=other_team))


def test_strategy_office_sees_and_edits_everything(admin, sales_initiative, engineering_initiative):
    access = access_for(admin)

    assert access.is_office
    assert access.visible_team_ids is None
    assert access.can_manage_strategy()
    assert access.can_edit_initiative(engineering_initiative)
    assert access.can_update_initiative(sales_initiative)


def test_leader_edits_own_team_but_not_another(leader, sales_initiative, engineering_initiative):
    access = access_for(leader)

    assert access.can_edit_objective(sales_initiative.objective)
    assert access.can_edit_initiative(sales_initiative)
    assert not access.can_edit_initiative(engineering_initiative)
    assert not access.can_update_initiative(engineering_initiative)
    assert not access.can_manage_strategy()


def test_division_leader_leads_the_teams_below(division, team, sales_initiative):
    head = UserFactory()
    MembershipFactory(user=head, team=division, role=Membership.Role.LEADER)

    access = access_for(head)

    assert access.role_on(team.pk) == Membership.Role.LEADER
    assert access.can_edit_initiative(sales_initiative)


def test_member_updates_only_initiatives_they_own_or_contribute_to(member, team, sales_objective):
    owned = InitiativeFactory(objective=sales_objective, owner=member)
    contributed = InitiativeFactory(objective=sales_objective)
    contributed.contributors.add(member)
    someone_elses = InitiativeFactory(objective=sales_objective)

    access = access_for(member)

    assert access.can_update_initiative(owned)
    assert access.can_update_initiative(contributed)
    assert not access.can_update_initiative(someone_elses)
    assert not access.can_edit_initiative(owned)  # the definition is the leader's


def test_member_records_measurements_only_for_kpis_they_own(member, sales_objective):
    mine = KPIFactory(objective=sales_objective, owner=member)
    theirs = KPIFactory(objective=sales_objective)

    access = access_for(member)

    assert access.can_record_measurement(mine)
    assert not access.can_record_measurement(theirs)
    assert not access.can_edit_kpi(mine)


def test_viewer_reads_but_cannot_update_even_work_they_are_named_on(viewer, sales_objective):
    named = InitiativeFactory(objective=sales_objective, owner=viewer)
    kpi = KPIFactory(objective=sales_objective, owner=viewer)

    access = access_for(viewer)

    assert access.can_view_team(sales_objective.team_id)
    assert not access.can_update_initiative(named)
    assert not access.can_record_measurement(kpi)


def test_outsider_sees_nothing(outsider, sales_initiative):
    access = access_for(outsider)

    assert not access.sees_anything
    assert not access.can_view_team(sales_initiative.team_id)
    assert access.scope(type(sales_initiative).objects.all()).count() == 0


def test_private_team_is_hidden_from_other_teams_but_not_from_leaders_above(
    company, division, member
):
    people = TeamFactory(name="People", slug="people", parent=company, is_private=True)
    payroll = TeamFactory(name="Payroll", slug="payroll", parent=people)
    ceo = UserFactory()
    MembershipFactory(user=ceo, team=company, role=Membership.Role.LEADER)
    hr = UserFactory()
    MembershipFactory(user=hr, team=people, role=Membership.Role.MEMBER)

    assert not access_for(member).can_view_team(people.pk)
    assert not access_for(member).can_view_team(payroll.pk)
    assert access_for(member).can_view_team(division.pk)
    assert access_for(ceo).can_view_team(payroll.pk)
    assert access_for(hr).can_view_team(payroll.pk)


def test_alerts_are_handled_by_their_owner_or_the_team_leader(leader, member, viewer, team):
    alert = AlertFactory(owner=member, team=team)
    other = AlertFactory(team=team)

    assert access_for(member).can_handle_alert(alert)
    assert not access_for(member).can_handle_alert(other)
    assert access_for(leader).can_handle_alert(other)
    assert not access_for(viewer).can_handle_alert(other)


def test_access_is_computed_once_per_user_object(member, django_assert_num_queries):
    access_for(member)

    with django_assert_num_queries(0):
        access_for(member)


def test_inactive_user_has_no_access(member):
    member.is_active = False

    assert not access_for(member).sees_anything


def test_scope_by_hidden_teams_matches_scope_by_visible_teams(member, team, other_team):
    from dataclasses import replace

    from metrics.models import Alert
    from tests.factories import AlertFactory, TeamFactory

    secret = TeamFactory(is_private=True, parent=other_team)
    for i in range(3):
        TeamFactory(parent=other_team, name=f"Open {i}")  # more visible teams than hidden
    visible_alert = AlertFactory(team=team)
    AlertFactory(team=secret)
    AlertFactory(team=None)
    access = access_for(member)
    assert access.hidden_team_ids == {secret.pk}
    by_hidden = set(access.scope(Alert.objects.all()))
    by_visible = set(replace(access, hidden_team_ids=None).scope(Alert.objects.all()))
    assert by_hidden == by_visible == {visible_alert, *Alert.objects.filter(team=other_team)}
    assert "NOT" in str(access.scope(Alert.objects.all()).query)


def test_visible_teams_are_the_teams_in_scope_by_name(
    admin, member, company, division, django_assert_num_queries
):
    people = TeamFactory(name="People", slug="people", parent=company, is_private=True)
    TeamFactory(name="Payroll", slug="payroll", parent=people)
    TeamFactory(name="Archive", slug="archive", parent=division)

    for user in (member, admin):
        access = access_for(user)
        in_scope = list(
            access.scope(Team.objects.all(), "id")
            .order_by("name", "id")
            .values_list("id", "name", "parent_id")
        )
        assert access.visible_teams() == in_scope
    member_teams = {name for _, name, _ in access_for(member).visible_teams()}
    assert "Archive" in member_teams
    assert not member_teams & {"People", "Payroll"}
    with django_assert_num_queries(0):  # read with the roles
        access_for(member).visible_teams()


@pytest.mark.parametrize("name", ["in_ids", "in_id_set"])
@pytest.mark.parametrize("which", [[], ["team"], ["team", "other_team"]])
def test_in_ids_lookups_select_what_in_selects(team, other_team, which, name):
    from metrics.models import Alert
    from strategy.models import Team
    from tests.factories import AlertFactory

    for owner in (team, other_team, None):
        AlertFactory(team=owner)
    ids = [{"team": team, "other_team": other_team}[name].pk for name in which]
    for qs, lookup in ((Team.objects.all(), "id"), (Alert.objects.all(), "team_id")):
        assert set(qs.filter(**{f"{lookup}__{name}": ids})) == set(
            qs.filter(**{f"{lookup}__in": ids})
        )
        assert set(qs.exclude(**{f"{lookup}__{name}": ids})) == set(
            qs.exclude(**{f"{lookup}__in": ids})
        )


@pytest.mark.parametrize("name", ["in_ids", "in_id_set"])
def test_in_ids_lookups_send_one_array_literal_to_postgresql(name):
    """On PostgreSQL the ids travel as one '{...}' literal, not a parameter each."""
    from django.db import connection

    from strategy.models import Team

    if connection.vendor != "postgresql":
        pytest.skip("SQLite gets a parameter for each id")
    sql, params = (
        Team.objects.filter(**{f"id__{name}": [12, 3, 7]}).values("id").query.sql_with_params()
    )
    assert params == ("{3,7,12}",)
    assert "::bigint[]" in sql


def test_accesses_for_many_people_equals_access_for_each(
    admin, leader, member, viewer, outsider, company, team, django_assert_max_num_queries
):
    private = TeamFactory(name="Skunkworks", slug="skunkworks", parent=company, is_private=True)
    insider = UserFactory(username="insider")
    MembershipFactory(user=insider, team=private, role=Membership.Role.LEADER)
    gone = UserFactory(username="gone", is_active=False)
    MembershipFactory(user=gone, team=team)
    root = UserFactory(username="root", is_superuser=True)
    people = [admin, leader, member, viewer, outsider, insider, gone, root]
    fresh = {p.pk: type(p).objects.get(pk=p.pk) for p in people}
    with django_assert_max_num_queries(3):  # office group, memberships, teams
        many = accesses_for(users=list(fresh.values()))
    for person in people:
        assert many[person.pk] == access_for(person), person.username
    assert not many[member.pk].can_view_team(private.pk)
    assert many[insider.pk].can_view_team(private.pk)
