"""Database check constraints report at their field, in plain words (#16): the tester's
``PATCH /api/v1/teams/<id>/ {"parent": <same id>}`` answered ``field: ""`` and "Constraint
“team_not_own_parent” is violated."; the page's form said it at the parent field."""

from __future__ import annotations

import pytest
from django.apps import apps
from django.db import models
from rest_framework.test import APIClient

from execsupport.validation import (
    CONSTRAINT_FIELDS,
    CONSTRAINT_MESSAGES,
    CONSTRAINTS_OF_THE_OBJECT,
    FieldConstraintsMixin,
)
from tests.factories import ObjectiveFactory

pytestmark = pytest.mark.django_db


def _check_constraints():
    for model in apps.get_models():
        for constraint in model._meta.constraints:
            if isinstance(constraint, models.CheckConstraint):
                yield model, constraint


def test_every_check_constraint_has_its_field_and_a_plain_message():
    """The kind: a new check constraint must say at which field it is shown (or be listed as
    the whole object's), and in words a reader understands."""
    unmapped = []
    for model, constraint in _check_constraints():
        if constraint.name in CONSTRAINTS_OF_THE_OBJECT:
            continue
        field = getattr(model, "constraint_fields", {}).get(
            constraint.name
        ) or CONSTRAINT_FIELDS.get(constraint.name)
        if field is None:
            unmapped.append(constraint.name)
            continue
        assert issubclass(model, FieldConstraintsMixin), model
        model._meta.get_field(field)  # exists
        own = constraint.violation_error_message
        plain = own and own != constraint.default_violation_error_message
        assert plain or constraint.name in CONSTRAINT_MESSAGES, constraint.name
        assert "Constraint" not in (CONSTRAINT_MESSAGES.get(constraint.name) or own)
    assert unmapped == []


def api(user) -> APIClient:
    client = APIClient()
    client.force_login(user)
    return client


def test_a_team_made_its_own_parent_is_refused_at_the_parent_field(admin, team):
    response = api(admin).patch(f"/api/v1/teams/{team.pk}/", {"parent": team.pk}, format="json")
    assert response.status_code == 400
    assert response.json()["errors"] == [
        {"field": "parent", "code": "inconsistent", "message": "A team cannot be its own parent."}
    ]
    team.refresh_from_db()
    assert team.parent_id != team.pk


def test_an_objective_made_its_own_parent_is_refused_at_the_parent_field(admin, team):
    objective = ObjectiveFactory(team=team)
    response = api(admin).patch(
        f"/api/v1/objectives/{objective.pk}/", {"parent": objective.pk}, format="json"
    )
    assert response.status_code == 400
    fields = {e["field"] for e in response.json()["errors"]}
    assert fields == {"parent"}


def test_a_weight_of_zero_is_refused_at_the_weight_field(admin, team):
    objective = ObjectiveFactory(team=team)
    response = api(admin).patch(
        f"/api/v1/objectives/{objective.pk}/", {"weight": "0"}, format="json"
    )
    assert response.status_code == 400
    [error] = response.json()["errors"]
    assert error["field"] == "weight"
    assert "Constraint" not in error["message"]
