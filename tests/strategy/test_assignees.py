"""Nobody is named on what they cannot see (privacy): an owner, a contributor, an action
item's owner, a check-in's author — on the pages, in the API and in a plan import, one rule
(``strategy.access.assignees_check``, after ``Access.can_view_subject``), the one @mentions
use. A refusal is a field error naming the person (the one naming them sees the object)."""

from __future__ import annotations

import datetime as dt
import io

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils import timezone
from rest_framework.test import APIClient

from initiatives.models import Initiative
from metrics.models import KPI
from reviews.services import action_item_create
from sheets.plan_import import plan_import
from strategy.access import Access, access_for
from strategy.models import Membership, Objective
from tests.factories import (
    InitiativeFactory,
    KPIFactory,
    MembershipFactory,
    ObjectiveFactory,
    TeamFactory,
    UserFactory,
)
from tests.sheets.conftest import xlsx_bytes

pytestmark = pytest.mark.django_db


@pytest.fixture
def secret(company):
    return TeamFactory(name="Skunkworks", slug="skunkworks", parent=company, is_private=True)


@pytest.fixture
def insider(secret):
    user = UserFactory(username="insider", first_name="Ida", last_name="Inside")
    MembershipFactory(user=user, team=secret, role=Membership.Role.MEMBER)
    return user


@pytest.fixture
def stranger(other_team):
    """A member of another team: sees the public plan, not Skunkworks."""
    user = UserFactory(username="stranger", first_name="Sam", last_name="Stranger")
    MembershipFactory(user=user, team=other_team, role=Membership.Role.MEMBER)
    return user


def api(user) -> APIClient:
    client = APIClient()
    client.force_login(user)
    return client


def test_the_rule_is_the_one_of_access(secret, stranger, insider, company):
    from strategy.access import people_blind_to

    objective = ObjectiveFactory(team=secret)
    assert people_blind_to(people=[stranger, insider], subject=objective) == [stranger]
    assert access_for(insider).can_view_subject(objective)
    assert not Access(user_id=None, is_office=False).can_view_subject(objective)


def test_the_objective_form_refuses_an_owner_who_cannot_see_it(client, admin, secret, stranger):
    objective = ObjectiveFactory(team=secret, title="Stealth launch")
    client.force_login(admin)
    url = reverse("strategy:objective-edit", args=[objective.pk])
    form = client.get(url).context["form"]
    data = {k: v for k, v in form.initial.items() if v is not None}
    data = {k: (v.pk if hasattr(v, "pk") else v) for k, v in data.items()}
    data.update(owner=stranger.pk, title="Stealth launch, renamed")
    response = client.post(url, data)
    html = response.content.decode()
    assert response.status_code in (200, 400)  # the form again, with its errors
    assert "Sam Stranger cannot see this objective, so cannot own it." in html
    assert 'value="Stealth launch, renamed"' in html  # what was typed is kept
    objective.refresh_from_db()
    assert (objective.owner_id, objective.title) != (stranger.pk, "Stealth launch, renamed")


@pytest.mark.parametrize("kind", ["objective", "initiative", "kpi"])
def test_the_api_refuses_an_owner_who_cannot_see_it(admin, secret, stranger, insider, kind):
    objective = ObjectiveFactory(team=secret)
    if kind == "objective":
        obj, url = objective, f"/api/v1/objectives/{objective.pk}/"
    elif kind == "initiative":
        obj = InitiativeFactory(team=secret, objective=objective)
        url = f"/api/v1/initiatives/{obj.pk}/"
    else:
        obj = KPIFactory(team=secret, objective=objective)
        url = f"/api/v1/kpis/{obj.key}/"
    response = api(admin).patch(url, {"owner": stranger.pk}, format="json")
    assert response.status_code == 400, response.json()
    [error] = response.json()["errors"]
    assert (error["field"], error["code"]) == ("owner", "cannot_see")
    obj.refresh_from_db()
    assert obj.owner_id != stranger.pk
    # Someone who may see it is fine.
    assert api(admin).patch(url, {"owner": insider.pk}, format="json").status_code == 200


def test_contributors_who_cannot_see_the_initiative_are_refused(admin, secret, stranger, insider):
    initiative = InitiativeFactory(team=secret, objective=ObjectiveFactory(team=secret))
    url = f"/api/v1/initiatives/{initiative.pk}/"
    response = api(admin).patch(url, {"contributors": [insider.pk, stranger.pk]}, format="json")
    assert response.status_code == 400
    [error] = response.json()["errors"]
    assert error["field"] == "contributors"
    assert "Sam Stranger cannot see this initiative" in error["message"]
    assert not initiative.contributors.exists()


def test_moving_work_into_a_team_its_owner_cannot_see_is_refused(admin, team, secret, stranger):
    objective = ObjectiveFactory(team=team, owner=stranger)
    response = api(admin).patch(
        f"/api/v1/objectives/{objective.pk}/", {"team": secret.pk}, format="json"
    )
    assert response.status_code == 400
    assert response.json()["errors"][0]["field"] == "owner"
    objective.refresh_from_db()
    assert objective.team_id == team.pk


def test_an_unrelated_edit_keeps_an_owner_named_before_the_rule(admin, secret, stranger):
    """A team made private after its owner was named: other edits still save (the owner is
    not named anew); only naming someone is checked."""
    objective = ObjectiveFactory(team=secret, owner=stranger)
    response = api(admin).patch(
        f"/api/v1/objectives/{objective.pk}/", {"title": "Still mine"}, format="json"
    )
    assert response.status_code == 200


def test_an_action_item_of_a_private_team_is_not_given_to_an_outsider(admin, secret, stranger):
    with pytest.raises(ValidationError) as refused:
        action_item_create(
            title="Follow up",
            owner=stranger,
            due_date=timezone.localdate() + dt.timedelta(days=3),
            created_by=admin,
            team_id=secret.pk,
        )
    assert "owner" in refused.value.message_dict


def test_the_plan_import_refuses_an_owner_who_cannot_see_the_row(admin, secret, stranger):
    from strategy.models import Period, Strategy, Theme

    strategy = Strategy.objects.create(
        name="S",
        horizon_start=dt.date(2026, 1, 1),
        horizon_end=dt.date(2028, 12, 31),
        status=Strategy.Status.ACTIVE,
    )
    Theme.objects.create(strategy=strategy, name="Growth")
    Period.objects.create(
        name="FY2026", kind="year", start_date=dt.date(2026, 1, 1), end_date=dt.date(2026, 12, 31)
    )
    stranger.email = "sam@example.com"
    stranger.save()
    sheets = {
        "Objectives": [
            ["key", "title", "theme", "period", "team", "owner", "start_date", "due_date"],
            [
                "stealth",
                "Stealth launch",
                "Growth",
                "FY2026",
                "skunkworks",
                "sam@example.com",
                "2026-01-01",
                "2026-12-31",
            ],
        ]
    }
    result = plan_import(
        stream=io.BytesIO(xlsx_bytes(sheets)),
        filename="plan.xlsx",
        user=admin,
        apply=True,
        today=dt.date(2026, 6, 1),
    )
    assert not result.applied
    [error] = result.errors
    assert (error.sheet.lower(), error.row, error.column, error.code) == (
        "objectives",
        2,
        "owner",
        "cannot_see",
    )
    assert "cannot see this objective" in error.message
    assert not Objective.objects.exists()
    assert not Initiative.objects.exists()
    assert not KPI.objects.exists()
