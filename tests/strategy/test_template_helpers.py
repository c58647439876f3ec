"""Template helpers that replace slower Django equivalents must give the same output."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import User
from django.test import override_settings
from django.urls import set_script_prefix

from strategy.people import person_name
from strategy.templatetags.ui import detail_url, person
from tests.factories import InitiativeFactory, ObjectiveFactory

pytestmark = pytest.mark.django_db


def test_detail_url_is_the_absolute_url(team):
    objective = ObjectiveFactory(team=team)
    initiative = InitiativeFactory(objective=objective)
    for obj in (objective, initiative):
        assert detail_url(obj) == obj.get_absolute_url()
    assert detail_url(objective.pk, "objective") == objective.get_absolute_url()


@override_settings(FORCE_SCRIPT_NAME="/execsupport/")
def test_detail_url_follows_the_script_prefix(team):
    objective = ObjectiveFactory(team=team)
    set_script_prefix("/execsupport/")
    try:
        assert detail_url(objective) == objective.get_absolute_url()
        assert detail_url(objective).startswith("/execsupport/")
    finally:
        set_script_prefix("/")


@pytest.mark.parametrize(
    ("first", "last", "expected"),
    [("Ada", "Lovelace", "Ada Lovelace"), ("Ada", "", "Ada"), ("", "", "ada"), ("", "L", "L")],
)
def test_person_name_is_what_user_full_name_gives(first, last, expected):
    user = User(username="ada", first_name=first, last_name=last)
    assert person_name(first_name=first, last_name=last, username="ada") == expected
    assert (user.get_full_name() or user.get_username()) == expected == person(user)
