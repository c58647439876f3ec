"""Personas and shared fixtures.

The organisation: Acme (company) > Commercial (division) > Sales (team), plus a separate
Engineering team. Personas: ``admin`` (strategy office), ``leader`` (leads Sales), ``member``
(member of Sales), ``viewer`` (viewer of Sales), ``outsider`` (no membership).
"""

from __future__ import annotations

import ipaddress
import os
import socket

import pytest
from django.contrib.auth.models import Group

from strategy.models import STRATEGY_OFFICE_GROUP, Membership, Team
from tests.factories import MembershipFactory, TeamFactory, UserFactory

IN_CI = os.environ.get("CI", "").lower() == "true"


class OutsideNetworkRefused(OSError):
    """A test tried to reach an address outside this machine."""


def _loopback_only(connect):
    def guarded(sock, address, *args):
        host = address[0] if isinstance(address, tuple) else None
        if host is not None:
            try:
                inside = ipaddress.ip_address(host.split("%")[0]).is_loopback
            except ValueError:
                inside = host == "localhost"
            if not inside:
                raise OutsideNetworkRefused(f"tests reach only loopback, not {host}")
        return connect(sock, address, *args)

    return guarded


@pytest.fixture(autouse=True, scope="session")
def _no_outside_network():
    """Tests talk to PostgreSQL, Redis, workers and test servers on loopback only: a webhook
    (or anything else) aimed at a public address fails as unreachable instead of leaving the
    machine. Unix sockets are untouched."""
    originals = socket.socket.connect, socket.socket.connect_ex
    socket.socket.connect = _loopback_only(originals[0])
    socket.socket.connect_ex = _loopback_only(originals[1])
    yield
    socket.socket.connect, socket.socket.connect_ex = originals


@pytest.fixture(autouse=True)
def _fast_password_hashing(settings) -> None:
    # PBKDF2's deliberate slowness costs seconds per test; hashing strength is not under test.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture(autouse=True)
def _empty_cache():
    """Pages cache rendered parts (keyed by data fingerprints): start each test empty."""
    from django.core.cache import cache

    cache.clear()
    yield
    cache.clear()


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
    # get_or_create: the group may be gone in a test that deleted it (a flush re-creates it).
    user.groups.add(Group.objects.get_or_create(name=STRATEGY_OFFICE_GROUP)[0])
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


@pytest.fixture
def plan(team, other_team, leader, member, viewer):
    """A small scored plan (2 objectives per theme) touching every page."""
    from tests.plan_data import plan_build

    return plan_build(size=2, team=team, other_team=other_team, member=member, leader=leader)


@pytest.hookimpl(tryfirst=True)
def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Under pytest-xdist (``make test`` runs ``-n auto --dist loadgroup``), keep the tests that
    share one Redis database and start real Celery workers (tests/integration) on one worker:
    each flushes that database, and a worker started for one xdist worker's database would
    consume the other's tasks.

    ``tryfirst``: xdist's own hook turns the ``xdist_group`` mark into the ``@group`` suffix of
    the node id that ``loadgroup`` schedules by, so the mark must be there before it runs.
    Under pytest 9.2 that suffix is lost (pytest-xdist issue #1386; pyproject.toml keeps pytest
    below 9.2): both xdist workers ran integration tests at once and CI failed on Celery
    workers that "did not recompute within 30 s". tests/integration/conftest.py now fails any
    integration test that runs outside the group.

    It also refuses ``serialized_rollback``, whose outcome depends on the tests run before."""
    for item in items:
        if "integration" in item.path.parts:
            item.add_marker(pytest.mark.xdist_group("integration"))
        marker = item.get_closest_marker("django_db")
        if (marker and marker.kwargs.get("serialized_rollback")) or (
            "django_db_serialized_rollback" in getattr(item, "fixturenames", ())
        ):
            # Its reload at the test's start collides with the content types that the flush
            # of any transactional test before it on the same xdist worker re-created (CI
            # failed so, by test order). A flush leaves what migrate leaves (strategy.apps).
            raise pytest.UsageError(
                f"{item.nodeid}: serialized_rollback depends on the tests run before it; use "
                "transaction=True alone (a flush keeps what migrations create)."
            )


# The project's packages, as `.importlinter` lists them (tests/test_import_layers.py).
APPS = (
    "demo",
    "execsupport",
    "strategy",
    "initiatives",
    "metrics",
    "workspace",
    "activity",
    "assessment",
    "reviews",
    "security",
    "sheets",
    "support",
    "surveys",
)


@pytest.fixture(scope="session")
def import_graph():
    """The import graph of the apps (grimp), imports inside functions included as import-linter
    reads them, ``if TYPE_CHECKING:`` imports left out (they never run); no cache written."""
    import grimp

    return grimp.build_graph(
        *APPS, include_external_packages=True, exclude_type_checking_imports=True, cache_dir=None
    )
