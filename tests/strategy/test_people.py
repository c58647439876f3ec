"""The one people-picker rule (``strategy.people.people_choosable``): pages and API offer and
accept only people the reader may see; a person whose only roles are in a private team hidden
from the reader is neither listed nor accepted, and the refusal reads like a missing id."""

from __future__ import annotations

import pytest
from django.urls import reverse
from rest_framework.test import APIClient

from initiatives.models import Initiative
from metrics.models import KPI
from strategy.access import access_for
from strategy.models import Membership, Objective, Strategy
from strategy.people import people_choosable
from tests.factories import (
    InitiativeFactory,
    KPIFactory,
    MembershipFactory,
    ObjectiveFactory,
    TeamFactory,
    UserFactory,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def hidden_person(company):
    """Someone whose only role is in a private team that Sales cannot see."""
    private = TeamFactory(name="Skunkworks", slug="skunkworks", parent=company, is_private=True)
    person = UserFactory(username="hidden-hilda", first_name="Hilda", last_name="Hidden")
    MembershipFactory(user=person, team=private, role=Membership.Role.MEMBER)
    return person


@pytest.fixture
def colleague(other_team):
    """Someone in a public team the Sales leader may see."""
    person = UserFactory(username="open-otto", first_name="Otto", last_name="Open")
    MembershipFactory(user=person, team=other_team, role=Membership.Role.MEMBER)
    return person


@pytest.fixture
def objective(team, leader):
    objective = ObjectiveFactory(team=team, owner=leader, title="Win the Nordics")
    objective.strategy.status = Strategy.Status.ACTIVE  # the pages add to the active strategy
    objective.strategy.save()
    return objective


def test_people_choosable_hides_people_only_in_hidden_teams(
    leader, member, admin, outsider, hidden_person, colleague
):
    chosen = set(people_choosable(access=access_for(leader)))
    assert {leader, member, colleague} <= chosen
    assert hidden_person not in chosen
    assert outsider not in chosen  # no role anywhere: nobody to choose for a team
    assert hidden_person in set(people_choosable(access=access_for(admin)))
    assert not people_choosable(access=access_for(outsider)).exists()


def test_people_choosable_keeps_current_values(leader, hidden_person):
    chosen = people_choosable(access=access_for(leader), keep_ids=[hidden_person.pk])
    assert hidden_person in set(chosen)


def test_people_choosable_shows_a_private_teams_people_to_its_leader_above(company, hidden_person):
    above = UserFactory()
    MembershipFactory(user=above, team=company, role=Membership.Role.LEADER)
    assert hidden_person in set(people_choosable(access=access_for(above)))


def test_people_choosable_is_one_query(leader, hidden_person, colleague, django_assert_num_queries):
    access = access_for(leader)
    with django_assert_num_queries(1):  # users with a membership of a visible team
        list(people_choosable(access=access))


@pytest.mark.parametrize(
    "url", ["initiatives:initiative-new", "strategy:objective-new", "metrics:kpi-new"]
)
def test_owner_pickers_do_not_list_hidden_people(
    client, leader, objective, hidden_person, colleague, url
):
    """Reproduction: the owner picker on /initiatives/new/ listed the private team's people."""
    client.force_login(leader)
    page = client.get(reverse(url)).content.decode()
    assert "Otto Open" in page
    assert "Hilda" not in page
    assert "hidden-hilda" not in page


def _initiative_form(objective, **changes) -> dict:
    data = {
        "title": "Nordic pilot",
        "description": "",
        "objective": objective.pk,
        "team": objective.team_id,
        "owner": "",
        "status": Initiative.Status.ACTIVE,
        "priority": 2,
        "start_date": "2026-01-01",
        "due_date": "2026-12-31",
        "progress": 0,
        "budget_planned": "1000",
        "effort_planned_fte": "1",
        "checkin_cadence_days": 14,
        "weight": "1",
    }
    data.update(changes)
    return data


def test_initiative_form_refuses_a_hidden_person_like_a_missing_one(
    client, leader, objective, hidden_person
):
    client.force_login(leader)
    url = reverse("initiatives:initiative-new")
    hidden = client.post(url, _initiative_form(objective, owner=hidden_person.pk))
    missing = client.post(url, _initiative_form(objective, owner=999999))
    assert hidden.status_code == missing.status_code == 200
    assert "Select a valid choice" in hidden.content.decode()
    assert 'value="Nordic pilot"' in hidden.content.decode()  # what was typed is kept
    hidden_contrib = client.post(url, _initiative_form(objective, contributors=[hidden_person.pk]))
    assert "Select a valid choice" in hidden_contrib.content.decode()
    assert not Initiative.objects.filter(title="Nordic pilot").exists()


def test_editing_keeps_a_current_owner_the_editor_cannot_choose(
    client, leader, objective, hidden_person
):
    initiative = InitiativeFactory(objective=objective, owner=hidden_person, title="Kept")
    client.force_login(leader)
    url = reverse("initiatives:initiative-edit", args=[initiative.pk])
    response = client.post(
        url, _initiative_form(objective, title="Renamed", owner=hidden_person.pk)
    )
    assert response.status_code == 302
    initiative.refresh_from_db()
    assert (initiative.title, initiative.owner_id) == ("Renamed", hidden_person.pk)


def _api(user) -> APIClient:
    client = APIClient()
    client.force_login(user)
    return client


def _same_error(hidden, missing, hidden_id: int) -> None:
    assert hidden.status_code == missing.status_code == 400
    assert hidden.json()["errors"][0]["field"] == missing.json()["errors"][0]["field"]
    assert hidden.json()["errors"][0]["message"].replace(str(hidden_id), "N") == (
        missing.json()["errors"][0]["message"].replace("999999", "N")
    )


def test_api_owner_fields_refuse_a_hidden_person_like_a_missing_one(
    leader, objective, hidden_person, colleague
):
    client = _api(leader)
    initiative = {
        "objective": objective.pk,
        "team": objective.team_id,
        "title": "Nordic pilot",
        "start_date": "2026-01-01",
        "due_date": "2026-12-31",
    }
    kpi = {
        "key": "nordic-nps",
        "name": "Nordic NPS",
        "team": objective.team_id,
        "objective": objective.pk,
        "unit": "pts",
        "direction": "increase",
        "baseline_value": 10,
        "baseline_date": "2026-01-01",
        "target_value": 40,
        "target_date": "2026-12-31",
    }
    objective_payload = {
        "strategy": objective.strategy_id,
        "theme": objective.theme_id,
        "period": objective.period_id,
        "team": objective.team_id,
        "title": "Nordic objective",
        "start_date": "2026-01-01",
        "due_date": "2026-12-31",
    }
    for path, payload, field in (
        ("/api/v1/initiatives/", initiative, "owner"),
        ("/api/v1/initiatives/", initiative, "contributors"),
        ("/api/v1/kpis/", kpi, "owner"),
        ("/api/v1/objectives/", objective_payload, "owner"),
    ):
        many = field == "contributors"
        hidden = client.post(
            path,
            {**payload, field: [hidden_person.pk] if many else hidden_person.pk},
            format="json",
        )
        missing = client.post(path, {**payload, field: [999999] if many else 999999}, format="json")
        _same_error(hidden, missing, hidden_person.pk)
        ok = client.post(
            path, {**payload, field: [colleague.pk] if many else colleague.pk}, format="json"
        )
        assert ok.status_code == 201, ok.json()
        model = {"initiatives": Initiative, "kpis": KPI, "objectives": Objective}[
            path.split("/")[3]
        ]
        model.objects.filter(pk=ok.json()["id"]).delete()


def test_api_patch_keeps_a_current_owner_and_refuses_a_new_hidden_one(
    leader, objective, hidden_person, colleague
):
    kept = KPIFactory(team=objective.team, objective=objective, owner=hidden_person, key="kept")
    other = KPIFactory(team=objective.team, objective=objective, owner=colleague, key="other")
    client = _api(leader)
    response = client.patch(
        f"/api/v1/kpis/{kept.pk}/", {"owner": hidden_person.pk, "name": "Kept"}, format="json"
    )
    assert response.status_code == 200, response.json()
    response = client.patch(f"/api/v1/kpis/{other.pk}/", {"owner": hidden_person.pk}, format="json")
    assert response.status_code == 400
    other.refresh_from_db()
    assert other.owner_id == colleague.pk


def test_people_api_lists_the_same_people_as_the_pickers(leader, hidden_person, colleague):
    listed = {
        row["id"] for row in _api(leader).get("/api/v1/people/?page_size=100").json()["results"]
    }
    assert listed == {p.pk for p in people_choosable(access=access_for(leader))}
    assert hidden_person.pk not in listed
