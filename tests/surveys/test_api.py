"""The surveys API: members answer their own, leaders send and close, results are aggregated
and suppressed exactly like the pages."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from rest_framework.test import APIClient

from surveys.models import Participation

from .conftest import people, send

pytestmark = pytest.mark.django_db

CODES = ["understand_strategy", "know_priorities", "have_resources", "problems_fixed"]
BODY = {"answers": dict.fromkeys([*CODES, "leader_vision_trust"], 3)}


def _client(user) -> APIClient:
    client = APIClient()
    client.force_authenticate(user)
    return client


@pytest.fixture
def open_round(survey, admin, team):
    today = timezone.localdate()
    return send(survey, admin, [team], opens=today, closes=today + dt.timedelta(days=2))


def test_member_answers_once(open_round, member):
    url = f"/api/v1/survey-rounds/{open_round.pk}/answer/"
    assert _client(member).post(url, BODY, format="json").status_code == 204
    again = _client(member).post(url, BODY, format="json")
    assert again.status_code == 409
    assert Participation.objects.filter(person=member).count() == 1


def test_bad_answers_are_400_by_field(open_round, member):
    url = f"/api/v1/survey-rounds/{open_round.pk}/answer/"
    response = _client(member).post(url, {"answers": {"know_priorities": 7}}, format="json")
    assert response.status_code == 400
    response = _client(member).post(url, {"answers": {"know_priorities": 3}}, format="json")
    assert response.status_code == 400
    assert "understand_strategy" in str(response.json()["errors"])
    assert not Participation.objects.exists()


def test_bodies_of_another_json_type_are_400_by_field(survey, open_round, admin, member, team):
    """As on every other write: a number for a text, a text for a number (schemathesis found
    ``{"name": 0}`` creating a survey named "0")."""
    created = _client(admin).post(
        "/api/v1/surveys/", {"template": "execution_pulse", "name": 0}, format="json"
    )
    assert created.status_code == 400
    assert created.json()["errors"][0]["field"] == "name"
    sent = _client(admin).post(
        "/api/v1/survey-rounds/",
        {
            "survey": survey.pk,
            "label": 0,
            "opens_on": "2026-06-01",
            "closes_on": "2026-06-10",
            "team_ids": [str(team.pk)],
        },
        format="json",
    )
    assert sent.status_code == 400
    assert {e["field"] for e in sent.json()["errors"]} >= {"label", "team_ids.0"}
    url = f"/api/v1/survey-rounds/{open_round.pk}/answer/"
    body = {"answers": dict.fromkeys(BODY["answers"], "3")}
    assert _client(member).post(url, body, format="json").status_code == 400
    assert not Participation.objects.exists()


def test_a_four_person_team_gives_nothing_in_the_api(open_round, team, leader):
    from django.utils import timezone

    from surveys import services

    for person in people(team, 4):
        services.response_submit(
            user=person,
            round_=open_round,
            team_id=None,
            scale=dict.fromkeys([*CODES, "leader_vision_trust"], "1"),
            text={"comment": "secret"},
            today=timezone.localdate(),
        )
    body = _client(leader).get(f"/api/v1/survey-rounds/{open_round.pk}/results/").json()
    rows = [r for q in body["questions"] for r in q["results"]]
    assert rows
    assert all(r["suppressed"] for r in rows)
    assert all(r["respondents"] is None and r["distribution"] is None for r in rows)
    assert body["texts_shown"] is False
    assert body["texts"] == []
    assert "secret" not in str(body)
    export = _client(leader).get(f"/api/v1/survey-rounds/{open_round.pk}/results.csv")
    assert export.status_code < 500
    assert b"secret" not in export.content
    assert b",1," not in export.content  # no count of the four answers of 1


def test_leader_send_errors_are_400_by_field(survey, leader, team):
    response = _client(leader).post(
        "/api/v1/survey-rounds/",
        {
            "survey": survey.pk,
            "label": "x",
            "opens_on": "2026-06-10",
            "closes_on": "2026-06-01",
            "team_ids": [team.pk],
        },
        format="json",
    )
    assert response.status_code == 400
    assert "closes_on" in str(response.json()["errors"])


def test_round_list_query_count_is_constant(survey, admin, team, other_team):
    client = _client(admin)
    send(survey, admin, [team, other_team])
    client.get("/api/v1/survey-rounds/")
    with CaptureQueriesContext(connection) as small:
        client.get("/api/v1/survey-rounds/")
    for i in range(4):
        send(survey, admin, [team, other_team], label=f"R{i}")
    with CaptureQueriesContext(connection) as large:
        response = client.get("/api/v1/survey-rounds/")
    assert response.json()["count"] == 5
    assert len(large) == len(small)
