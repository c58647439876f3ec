"""The API's CSV: a byte-order mark, and the named columns of the pages' exports (people, teams,
themes and parents by name next to the API's ids), from the same column definitions
(``sheets.columns``, ``Column.api``), for the reader (a hidden parent stays unnamed)."""

from __future__ import annotations

import csv
import io

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from rest_framework.test import APIClient

from sheets.columns import ALERTS, CHECKINS, INITIATIVES, KPIS, MEASUREMENTS, OBJECTIVES, SPEND
from tests.factories import (
    AlertFactory,
    CheckInFactory,
    InitiativeFactory,
    KPIFactory,
    MeasurementFactory,
    ObjectiveFactory,
    SpendEntryFactory,
    UserFactory,
)


def _csv(user, url: str) -> list[dict]:
    client = APIClient()
    client.force_login(user)
    response = client.get(url)
    assert response.status_code == 200, response.content
    raw = response.content
    assert raw.startswith(b"\xef\xbb\xbf")
    return list(csv.DictReader(io.StringIO(raw.decode("utf-8-sig"))))


@pytest.fixture
def work(team, other_team, leader):
    leader.first_name, leader.last_name, leader.email = "Åsa", "Öberg", "asa@example.com"
    leader.save()
    hidden_parent = ObjectiveFactory(team=other_team, key="hidden-goal", title="Hidden goal")
    other_team.is_private = True
    other_team.save()
    goal = ObjectiveFactory(team=team, owner=leader, key="grow", title="Grow")
    child = ObjectiveFactory(team=team, parent=hidden_parent, key="child", title="Child")
    initiative = InitiativeFactory(objective=goal, team=team, owner=leader, key="crm")
    kpi = KPIFactory(objective=goal, team=team, owner=leader, key="revenue")
    return {"goal": goal, "child": child, "initiative": initiative, "kpi": kpi}


def test_objectives_csv_names_people_teams_themes_and_parents(work, leader):
    rows = {r["id"]: r for r in _csv(leader, "/api/v1/objectives/?format=csv")}
    goal = rows[str(work["goal"].pk)]
    assert goal["owner"] == str(leader.pk)  # the API's own columns stay
    assert goal["owner_name"] == "Åsa Öberg"
    assert goal["owner_email"] == "asa@example.com"
    assert goal["team_slug"] == "sales"
    assert goal["team_name"] == "Sales"
    assert goal["theme_name"] == work["goal"].theme.name
    assert goal["period_name"] == work["goal"].period.name
    assert goal["strategy_name"] == work["goal"].strategy.name
    child = rows[str(work["child"].pk)]
    # The parent is in a private team: the API's id is what it always showed; never its name.
    assert child["parent_key"] == ""
    assert child["parent_title"] == ""
    assert "Hidden goal" not in repr(rows)


def test_every_exported_kind_names_its_references(work, team, leader):
    CheckInFactory(initiative=work["initiative"], author=leader)
    SpendEntryFactory(initiative=work["initiative"], entered_by=leader)
    MeasurementFactory(kpi=work["kpi"], entered_by=leader)
    AlertFactory(team=team, owner=leader)
    expected = {
        "initiatives": (INITIATIVES, {"objective_key": "grow", "owner_name": "Åsa Öberg"}),
        "kpis": (KPIS, {"objective_key": "grow", "team_slug": "sales"}),
        "checkins": (CHECKINS, {"initiative_key": "crm", "author_email": "asa@example.com"}),
        "spend": (SPEND, {"initiative_key": "crm", "entered_by_name": "Åsa Öberg"}),
        "measurements": (MEASUREMENTS, {"kpi_key": "revenue", "entered_by_name": "Åsa Öberg"}),
        "alerts": (ALERTS, {"owner_email": "asa@example.com", "team_name": "Sales"}),
    }
    for endpoint, (sheet, values) in expected.items():
        rows = _csv(leader, f"/api/v1/{endpoint}/?format=csv")
        assert rows, endpoint
        # Every named column of the sheet, under its API name.
        assert {c.api for c in sheet.columns if c.api} <= set(rows[0]), endpoint
        assert {k: rows[0][k] for k in values} == values, endpoint
    assert {c.api for c in OBJECTIVES.columns if c.api} >= {"theme_name", "parent_title"}


def test_json_is_unchanged(work, leader):
    client = APIClient()
    client.force_login(leader)
    row = client.get("/api/v1/objectives/").json()["results"][0]
    assert "owner_name" not in row
    assert "team_slug" not in row


def test_named_columns_cost_a_fixed_number_of_queries(team, leader):
    client = APIClient()
    client.force_login(leader)
    counts = []
    for n in (2, 12):
        for _ in range(n):
            ObjectiveFactory(team=team, owner=UserFactory())
        with CaptureQueriesContext(connection) as queries:
            assert client.get("/api/v1/objectives/?format=csv").status_code == 200
        counts.append(len(queries))
    assert counts[0] == counts[1], counts
