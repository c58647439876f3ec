"""Edit forms carry the version they were opened on: a form made stale by someone else's save
says so, saves nothing and keeps what was typed; saving it again then keeps the typed values."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from types import SimpleNamespace

import pytest
from django.urls import reverse

from initiatives.models import Initiative, Milestone
from initiatives.services import checkin_create, milestone_save
from metrics.models import KPI
from metrics.services import kpi_save
from strategy.models import Objective
from strategy.services import objective_save
from tests.factories import InitiativeFactory, KPIFactory, MilestoneFactory, ObjectiveFactory


def form_data(response) -> dict:
    """What a browser would post back from the form the page rendered, untouched."""
    data = {}
    for field in response.context["form"]:
        value = field.value()
        if isinstance(value, bool):
            if value:
                data[field.html_name] = "on"
        elif isinstance(value, list | tuple):
            data[field.html_name] = [str(v) for v in value]
        elif isinstance(value, dt.date):
            data[field.html_name] = value.isoformat()
        else:
            data[field.html_name] = "" if value is None else str(value)
    return data


def _change_objective(objective: Objective, member) -> None:
    fresh = Objective.objects.get(pk=objective.pk)
    fresh.description = "Changed meanwhile"
    objective_save(objective=fresh)


def _change_initiative(initiative: Initiative, member) -> None:
    # A check-in moves the initiative's progress, which the edit form shows too.
    checkin_create(
        initiative=initiative, author=member, rag="green", confidence=80, progress=77, summary="x"
    )


def _change_kpi(kpi: KPI, member) -> None:
    fresh = KPI.objects.get(pk=kpi.pk)
    fresh.description = "Changed meanwhile"
    kpi_save(kpi=fresh, changed_by=member)


def _change_milestone(milestone: Milestone, member) -> None:
    fresh = Milestone.objects.get(pk=milestone.pk)
    fresh.weight = Decimal("3")
    milestone_save(milestone=fresh)


def _plan(team, member) -> SimpleNamespace:
    objective = ObjectiveFactory(team=team)
    initiative = InitiativeFactory(objective=objective, owner=member)
    return SimpleNamespace(team=team, objective=objective, initiative=initiative)


@pytest.mark.parametrize("kind", ["objective", "initiative", "kpi", "milestone"])
def test_a_stale_edit_form_says_changed_meanwhile_and_keeps_what_was_typed(
    client, team, leader, member, kind
):
    plan = _plan(team, member)
    obj, url, typed_field, change, check = {
        "objective": (
            plan.objective,
            reverse("strategy:objective-edit", args=[plan.objective.pk]),
            "title",
            _change_objective,
            lambda o: o.description == "Changed meanwhile",
        ),
        "initiative": (
            plan.initiative,
            reverse("initiatives:initiative-edit", args=[plan.initiative.pk]),
            "title",
            _change_initiative,
            lambda o: o.progress == 77,
        ),
        "kpi": (
            (kpi := KPIFactory(objective=plan.objective, team=plan.team, owner=member)),
            reverse("metrics:kpi-edit", args=[kpi.key]),
            "name",
            _change_kpi,
            lambda o: o.description == "Changed meanwhile",
        ),
        "milestone": (
            (milestone := MilestoneFactory(initiative=plan.initiative)),
            reverse("initiatives:milestone-edit", args=[plan.initiative.pk, milestone.pk]),
            "title",
            _change_milestone,
            lambda o: o.weight == Decimal("3"),
        ),
    }[kind]
    client.force_login(leader)
    data = form_data(client.get(url))
    assert data["seen_version"] == "1"
    data[typed_field] = "Typed while someone else saved"
    change(obj, member)

    response = client.post(url, data)
    html = response.content.decode()
    assert response.status_code == 409
    assert "Someone else changed this" in html
    assert 'value="Typed while someone else saved"' in html
    stored = type(obj).objects.get(pk=obj.pk)
    assert getattr(stored, typed_field) != "Typed while someone else saved"
    assert check(stored)  # the other change is intact

    # The form now carries the current version: saving again keeps the typed values.
    again = form_data(response)
    assert again["seen_version"] == str(stored.version)
    assert again[typed_field] == "Typed while someone else saved"
    assert client.post(url, again).status_code == 302
    assert getattr(type(obj).objects.get(pk=obj.pk), typed_field) == again[typed_field]


def test_the_conflict_names_what_the_other_person_saved(client, team, leader, member):
    plan = _plan(team, member)
    url = reverse("initiatives:initiative-edit", args=[plan.initiative.pk])
    client.force_login(leader)
    data = form_data(client.get(url))
    _change_initiative(plan.initiative, member)
    html = client.post(url, data).content.decode()
    assert "Where the saved version differs from them, it has Progress: 77." in html
