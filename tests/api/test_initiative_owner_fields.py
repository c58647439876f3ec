"""Issue #15: an initiative's owner edits its description, contributors, check-in cadence,
milestones and reported progress through the API as on the page (``Access.
initiative_fields_writable``); a leader-only field (dates, budget, priority, status...) is a 403
naming each such field, and nothing is written."""

from __future__ import annotations

import datetime as dt

import pytest
from rest_framework.test import APIClient

from initiatives.models import Milestone
from strategy.access import INITIATIVE_OWNER_FIELDS, access_for
from tests.factories import (
    InitiativeFactory,
    MembershipFactory,
    MilestoneFactory,
    ObjectiveFactory,
    UserFactory,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def mine(team, member):
    return InitiativeFactory(objective=ObjectiveFactory(team=team), owner=member, team=team)


def _api(user) -> APIClient:
    api = APIClient()
    api.force_authenticate(user)
    return api


def test_the_rule_per_person(mine, member, leader, viewer, team):
    helper = UserFactory()
    MembershipFactory(user=helper, team=team)
    mine.contributors.add(helper)
    assert access_for(leader).initiative_fields_writable(mine) is None
    assert access_for(member).initiative_fields_writable(mine) == INITIATIVE_OWNER_FIELDS
    assert access_for(helper).initiative_fields_writable(mine) == {"progress"}
    assert access_for(viewer).initiative_fields_writable(mine) == frozenset()
    assert access_for(member).initiative_fields_refused(mine, ["due_date", "progress"]) == [
        "due_date"
    ]


def test_the_owner_patches_their_fields(mine, member, team):
    helper = UserFactory()
    MembershipFactory(user=helper, team=team)
    response = _api(member).patch(
        f"/api/v1/initiatives/{mine.pk}/",
        {
            "description": "With the Lyon partner.",
            "contributors": [helper.pk],
            "checkin_cadence_days": 21,
            "progress": 40,
        },
        format="json",
    )
    assert response.status_code == 200, response.json()
    mine.refresh_from_db()
    assert mine.description == "With the Lyon partner."
    assert list(mine.contributors.all()) == [helper]
    assert (mine.checkin_cadence_days, mine.progress) == (21, 40)


@pytest.mark.parametrize(
    "leader_only",
    [
        {"due_date": "2031-01-01"},
        {"budget_planned": "999999.00"},
        {"priority": 1},
        {"status": "done"},
        {"title": "Taken over"},
    ],
)
def test_a_leader_only_field_from_the_owner_is_403_with_field_detail(mine, member, leader_only):
    before = mine.description
    response = _api(member).patch(
        f"/api/v1/initiatives/{mine.pk}/",
        {"description": "Sneaked in", **leader_only},
        format="json",
    )
    if response.status_code == 200:  # the value was already the initiative's: nothing changes
        pytest.fail(f"{leader_only} was accepted")
    assert response.status_code == 403, response.json()
    body = response.json()
    assert [e["field"] for e in body["errors"]] == list(leader_only)
    assert body["errors"][0]["code"] == "permission_denied"
    mine.refresh_from_db()
    assert mine.description == before


def test_a_contributor_changes_progress_only(mine, team):
    helper = UserFactory()
    MembershipFactory(user=helper, team=team)
    mine.contributors.add(helper)
    api = _api(helper)
    url = f"/api/v1/initiatives/{mine.pk}/"
    assert api.patch(url, {"progress": 55}, format="json").status_code == 200
    refused = api.patch(url, {"description": "x"}, format="json")
    assert refused.status_code == 403
    assert [e["field"] for e in refused.json()["errors"]] == ["description"]


def test_the_owner_plans_milestones_through_the_api(mine, member, team):
    api = _api(member)
    due = (dt.date.today() + dt.timedelta(days=20)).isoformat()
    created = api.post(
        "/api/v1/milestones/",
        {"initiative": mine.pk, "title": "Pilot", "due_date": due},
        format="json",
    )
    assert created.status_code == 201, created.json()
    pk = created.json()["id"]
    assert (
        api.patch(f"/api/v1/milestones/{pk}/", {"title": "Pilot 2"}, format="json").status_code
        == 200
    )
    assert Milestone.objects.get(pk=pk).title == "Pilot 2"
    # A contributor completes milestones but does not plan them.
    helper = UserFactory()
    MembershipFactory(user=helper, team=team)
    mine.contributors.add(helper)
    other = MilestoneFactory(initiative=mine)
    refused = _api(helper).patch(
        f"/api/v1/milestones/{other.pk}/", {"title": "Renamed"}, format="json"
    )
    assert refused.status_code == 403
