"""Concurrent writes through the API, run for real: threads, each with its own connection.

On PostgreSQL (CI's second pass) the requests really overlap; on SQLite they overlap up to the
write, which SQLite then serialises (``transaction_mode = IMMEDIATE``).
"""

from __future__ import annotations

from decimal import Decimal

import pytest
from rest_framework.test import APIClient

from initiatives.models import Initiative
from tests.concurrency import after_read, run_concurrently
from tests.factories import InitiativeFactory
from workspace.initiative_api import InitiativeViewSet

# Threads use their own connections, so the data must be committed: a transactional test. Its
# flush leaves what migrate leaves (the strategy office group included: strategy.apps), so no
# serialized rollback (whose reload collided with the content types that flush re-creates).
threaded = pytest.mark.django_db(transaction=True)

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


@threaded
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


# --- ETag and If-Match ---------------------------------------------------------------------
def test_detail_get_and_patch_send_the_version_as_etag(team, leader):
    initiative = InitiativeFactory(objective__team=team)
    client = _session(leader)
    url = f"/api/v1/initiatives/{initiative.pk}/"
    read = client.get(url)
    assert read["ETag"] == f'"{initiative.pk}.1"'
    changed = client.patch(url, {"title": "Renamed"}, format="json")
    assert changed.status_code == 200
    assert changed["ETag"] == f'"{initiative.pk}.2"'
    assert client.get(url)["ETag"] == changed["ETag"]


def test_patch_with_a_stale_if_match_is_refused_with_412_and_writes_nothing(team, leader):
    initiative = InitiativeFactory(objective__team=team, title="Before")
    client = _session(leader)
    url = f"/api/v1/initiatives/{initiative.pk}/"
    stale = client.get(url)["ETag"]
    assert (
        client.patch(url, {"progress": 70}, format="json", HTTP_IF_MATCH=stale).status_code == 200
    )
    refused = client.patch(url, {"title": "Mine"}, format="json", HTTP_IF_MATCH=stale)
    assert refused.status_code == 412
    body = refused.json()
    assert body["code"] == "precondition_failed"
    assert "changed by someone else" in body["detail"]
    assert refused["ETag"] == f'"{initiative.pk}.2"'  # the current version, to retry with
    stored = Initiative.objects.get(pk=initiative.pk)
    assert (stored.title, stored.progress, stored.version) == ("Before", 70, 2)
    retried = client.patch(url, {"title": "Mine"}, format="json", HTTP_IF_MATCH=refused["ETag"])
    assert retried.status_code == 200
    assert Initiative.objects.get(pk=initiative.pk).title == "Mine"


@pytest.mark.parametrize("header", ['"{pk}.1"', 'W/"{pk}.1"', '"x", "{pk}.1"', "*"])
def test_if_match_naming_the_current_version_or_any_allows_the_write(team, leader, header):
    initiative = InitiativeFactory(objective__team=team)
    response = _session(leader).patch(
        f"/api/v1/initiatives/{initiative.pk}/",
        {"title": "Renamed"},
        format="json",
        HTTP_IF_MATCH=header.format(pk=initiative.pk),
    )
    assert response.status_code == 200, response.json()
    assert Initiative.objects.get(pk=initiative.pk).title == "Renamed"


def test_kpi_by_key_objective_and_milestone_honour_if_match(plan, leader):
    client = _session(leader)
    for url, change in (
        (f"/api/v1/kpis/{plan.kpi.key}/", {"name": "Renamed"}),
        (f"/api/v1/objectives/{plan.objective.pk}/", {"title": "Renamed"}),
        (f"/api/v1/milestones/{plan.milestone.pk}/", {"title": "Renamed"}),
    ):
        etag = client.get(url)["ETag"]
        assert client.patch(url, change, format="json", HTTP_IF_MATCH=etag).status_code == 200
        stale = client.patch(url, change, format="json", HTTP_IF_MATCH=etag)
        assert stale.status_code == 412, url


def test_capability_assessment_honours_if_match(plan, leader):
    from assessment.models import CAPABILITIES, CapabilityAssessment

    assessment = CapabilityAssessment.objects.create(
        strategy=plan.strategy,
        team=plan.team,
        assessed_on="2026-06-01",
        **{f"{c}_score": 3 for c in CAPABILITIES},
    )
    client = _session(leader)
    url = f"/api/v1/capability-assessments/{assessment.pk}/"
    etag = client.get(url)["ETag"]
    assert etag == f'"{assessment.pk}.1"'
    changed = client.patch(url, {"tools_score": 4}, format="json", HTTP_IF_MATCH=etag)
    assert changed.status_code == 200, changed.json()
    assert changed["ETag"] == f'"{assessment.pk}.2"'
    stale = client.patch(url, {"tools_score": 1}, format="json", HTTP_IF_MATCH=etag)
    assert stale.status_code == 412
    assert stale.json()["code"] == "precondition_failed"
    assert stale["ETag"] == changed["ETag"]
    stored = CapabilityAssessment.objects.get(pk=assessment.pk)
    assert (stored.tools_score, stored.version) == (4, 2)


@threaded
def test_two_concurrent_patches_with_the_same_if_match_one_wins_one_gets_412(
    team, leader, monkeypatch
):
    """Both read version 1 before either writes: the version check and the write are one step
    under the row's lock, so exactly one of them writes."""
    initiative = InitiativeFactory(objective__team=team, title="Before", progress=10)
    url = f"/api/v1/initiatives/{initiative.pk}/"
    etag = f'"{initiative.pk}.1"'
    monkeypatch.setattr(
        InitiativeViewSet, "get_object", after_read(InitiativeViewSet.get_object, parties=2)
    )
    clients = [_session(leader), _session(leader)]
    changes = [{"title": "First"}, {"progress": 90}]
    responses = run_concurrently(
        *(
            lambda c=c, d=d: c.patch(url, d, format="json", HTTP_IF_MATCH=etag)
            for c, d in zip(clients, changes, strict=True)
        )
    )
    assert sorted(r.status_code for r in responses) == [200, 412]
    stored = Initiative.objects.get(pk=initiative.pk)
    won = changes[[r.status_code for r in responses].index(200)]
    assert (stored.title, stored.progress) == (
        won.get("title", "Before"),
        won.get("progress", 10),
    )
    assert stored.version == 2


def test_schema_documents_etag_if_match_and_412_for_every_editable_object(client, admin):
    client.force_login(admin)
    paths = client.get("/api/schema/?format=json").json()["paths"]
    editable = [path for path, operations in paths.items() if "{" in path and "patch" in operations]
    assert len(editable) == 15  # teams, memberships, periods, strategies, themes, objectives,
    # initiatives, milestones, KPIs, webhooks, comments, reviews, meetings, action items,
    # capability assessments (surveys, rounds, reports, barriers and measures: no PATCH)
    for path in editable:
        patch = paths[path]["patch"]
        assert any(p["name"] == "If-Match" and p["in"] == "header" for p in patch["parameters"])
        assert "412" in patch["responses"], path
        assert "ETag" in patch["responses"]["200"]["headers"], path
        assert "ETag" in paths[path]["get"]["responses"]["200"]["headers"], path
