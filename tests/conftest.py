"""Personas and shared fixtures.

The organisation: Acme (company) > Commercial (division) > Sales (team), plus a separate
Engineering team. Personas: ``admin`` (strategy office), ``leader`` (leads Sales), ``member``
(member of Sales), ``viewer`` (viewer of Sales), ``outsider`` (no membership).
"""

from __future__ import annotations

import os

import pytest
from django.contrib.auth.models import Group

from strategy.models import STRATEGY_OFFICE_GROUP, Membership, Team
from tests.factories import MembershipFactory, TeamFactory, UserFactory

IN_CI = os.environ.get("CI", "").lower() == "true"


@pytest.fixture(autouse=True)
def _fast_password_hashing(settings) -> None:
    # PBKDF2's deliberate slowness costs seconds per test; hashing strength is not under test.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture
def company(db) -> Team:
    return TeamFactory(name="Acme", slug="acme", kind=Team.Kind.COMPANY, parent=None)


@pytest.fixture
def division(company) -> Team:
    return TeamFactory(
        name="Commercial", slug="commercial", kind=Team.Kind.DIVISION, parent=company
    )


@pytest.fixture
def team(division) -> Team:
    return TeamFactory(name="Sales", slug="sales", parent=division)


@pytest.fixture
def other_team(company) -> Team:
    return TeamFactory(name="Engineering", slug="engineering", parent=company)


@pytest.fixture
def admin(db, company):
    user = UserFactory(username="office")
    user.groups.add(Group.objects.get(name=STRATEGY_OFFICE_GROUP))
    return user


@pytest.fixture
def leader(team):
    user = UserFactory(username="leader")
    MembershipFactory(user=user, team=team, role=Membership.Role.LEADER)
    return user


@pytest.fixture
def member(team):
    user = UserFactory(username="member")
    MembershipFactory(user=user, team=team, role=Membership.Role.MEMBER)
    return user


@pytest.fixture
def viewer(team):
    user = UserFactory(username="viewer")
    MembershipFactory(user=user, team=team, role=Membership.Role.VIEWER)
    return user


@pytest.fixture
def outsider(db):
    return UserFactory(username="outsider")
