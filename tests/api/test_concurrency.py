"""Concurrent writes through the API, run for real: threads, each with its own connection.

On PostgreSQL (CI's second pass) the requests really overlap; on SQLite they overlap up to the
write, which SQLite then serialises (``transaction_mode = IMMEDIATE``).
"""

from __future__ import annotations

from decimal import Decimal

import pytest
from rest_framework.test import APIClient

from initiatives.api import InitiativeViewSet
from initiatives.models import Initiative
from tests.concurrency import after_read, run_concurrently
from tests.factories import InitiativeFactory

pytestmark = pytest.mark.django_db(transaction=True)

ROUNDS = 5
# Eight fields a team leader may change, each with a new value per round.
CHANGES = {
    "title": lambda r: f"Renamed {r}",
    "description": lambda r: f"Described {r}",
    "priority": lambda r: [1, 2, 3, 4, 1][r],
    "progress": lambda r: 50 + r,
    "budget_planned": lambda r: f"{200000 + r}.00",
    "effort_planned_fte": lambda r: f"{3 + r}.50",
    "checkin_cadence_days": lambda r: 20 + r,
    "weight": lambda r: f"{2 + r}.00",
}


def _session(user) -> APIClient:
    client = APIClient()
    client.force_login(user)
    return client


def _stored(initiative: Initiative, name: str):
    value = getattr(Initiative.objects.get(pk=initiative.pk), name)
    return f"{value:.2f}" if isinstance(value, Decimal) else value


def test_eight_concurrent_patches_of_different_fields_lose_nothing(team, leader, monkeypatch):
    """Issue #12: 8 concurrent PATCHes of different fields lost 17 of 40 changes, all 200."""
    initiative = InitiativeFactory(objective__team=team, priority=3)
    clients = [_session(leader) for _ in CHANGES]
    url = f"/api/v1/initiatives/{initiative.pk}/"
    lost: list[str] = []
    for round_ in range(ROUNDS):
        monkeypatch.setattr(
            InitiativeViewSet,
            "get_object",
            after_read(InitiativeViewSet.get_object, parties=len(CHANGES)),
        )
        wanted = {name: change(round_) for name, change in CHANGES.items()}
        responses = run_concurrently(
            *(
                lambda c=client, n=name, v=wanted[name]: c.patch(url, {n: v}, format="json")
                for client, name in zip(clients, CHANGES, strict=True)
            )
        )
        assert [r.status_code for r in responses] == [200] * len(CHANGES)
        lost += [
            f"round {round_}: {name}"
            for name in CHANGES
            if _stored(initiative, name) != wanted[name]
        ]
    assert lost == [], f"{len(lost)} of {ROUNDS * len(CHANGES)} changes lost: {lost}"
