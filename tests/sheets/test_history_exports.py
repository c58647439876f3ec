"""History is exported with the object: the Excel exports of the objectives, initiatives and
KPIs lists and the plan export carry a History sheet of the exported objects (the History
tab's rows, read through ``strategy.access``); a list's CSV offers it as a second file
(``/<list>/history.csv``, same filters). A fixed number of queries at two sizes."""

from __future__ import annotations

import csv
import io

import openpyxl
import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from activity.history import HIDDEN_NAME
from initiatives.models import Initiative
from sheets.columns import OBJECT_HISTORY
from sheets.plan_import import plan_import
from strategy.models import Objective
from strategy.services import objective_save
from tests.factories import (
    InitiativeFactory,
    KPIFactory,
    MilestoneFactory,
    ObjectiveFactory,
    TeamFactory,
)

pytestmark = pytest.mark.django_db


def client_for(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def _sheets(content: bytes) -> dict[str, list[dict]]:
    book = openpyxl.load_workbook(io.BytesIO(content), read_only=True)
    found = {}
    for sheet in book.worksheets:
        header, *rows = list(sheet.iter_rows(values_only=True))
        found[sheet.title] = [dict(zip(header, row, strict=False)) for row in rows]
    return found


@pytest.fixture
def renamed(team, leader, admin):
    objective = ObjectiveFactory(team=team, owner=leader, title="Grow the business", key="grow")
    changed = Objective.objects.get(pk=objective.pk)
    changed.title = "Grow the business faster"
    objective_save(objective=changed, by=admin)
    return objective


def test_the_objectives_excel_export_has_their_history(client, renamed, leader):
    response = client_for(leader).get("/objectives/export.xlsx")
    sheets = _sheets(response.content)
    assert list(sheets) == ["Objectives", "History"]
    rows = [r for r in sheets["History"] if r["object_id"] == renamed.pk]
    title = [r for r in rows if r["field"] == "title"]
    assert [(r["action"], r["before"], r["after"]) for r in title] == [
        ("changed", "Grow the business", "Grow the business faster"),
        ("created", None, "Grow the business"),
    ]
    assert {r["kind"] for r in rows} == {"objective"}
    assert {r["key"] for r in rows} == {"grow"}
    assert title[0]["by"]
    assert title[0]["sealed"] == "no"
    assert list(sheets["History"][0]) == OBJECT_HISTORY.headers


def test_the_history_is_read_through_access(company, team, leader, admin):
    secret_team = TeamFactory(name="Skunkworks", slug="skunk", parent=company, is_private=True)
    secret = InitiativeFactory(
        objective=ObjectiveFactory(team=secret_team), team=secret_team, title="Secret merger"
    )
    crm = InitiativeFactory(objective=ObjectiveFactory(team=team), team=team, title="CRM")
    crm.depends_on.add(secret)
    content = client_for(leader).get("/initiatives/export.xlsx").content
    history = _sheets(content)["History"]
    assert {r["object"] for r in history} == {"CRM"}  # the private initiative: not exported
    [dependency] = [r for r in history if r["field"] == "depends_on"]
    assert dependency["after"] == HIDDEN_NAME
    assert b"Secret merger" not in _unzipped(content)
    office = _sheets(client_for(admin).get("/initiatives/export.xlsx").content)["History"]
    assert "Secret merger" in {r["after"] for r in office if r["field"] == "depends_on"}


def _unzipped(content: bytes) -> bytes:
    import zipfile

    with zipfile.ZipFile(io.BytesIO(content)) as archive:
        return b"".join(archive.read(name) for name in archive.namelist())


def test_a_list_csv_offers_its_history_as_a_second_file(renamed, team, other_team, leader):
    ObjectiveFactory(team=other_team, title="Engineering goal")
    client = client_for(leader)
    page = client.get("/objectives/").content.decode()
    assert "/objectives/history.csv" in page
    response = client.get(f"/objectives/history.csv?team={team.pk}")
    assert response.status_code == 200
    assert response["Content-Disposition"] == 'attachment; filename="objectives-history.csv"'
    raw = response.content
    assert raw.startswith(b"\xef\xbb\xbfkind,key,object_id,object,at,action,")
    rows = list(csv.DictReader(io.StringIO(raw.decode("utf-8-sig"))))
    assert {r["object"] for r in rows} == {"Grow the business faster"}  # the team filter
    assert ("Grow the business", "Grow the business faster") in {
        (r["before"], r["after"]) for r in rows
    }


def test_the_plan_export_has_the_history_and_imports_back_unchanged(renamed, team, admin):
    initiative = InitiativeFactory(objective=renamed, team=team, key="crm")
    MilestoneFactory(initiative=initiative, title="Pilot live")
    KPIFactory(initiative=initiative, objective=None, team=team, key="adoption")
    content = client_for(admin).get("/plan/export.xlsx").content
    history = _sheets(content)["History"]
    assert {r["kind"] for r in history} == {"objective", "initiative", "kpi", "milestone"}
    report = plan_import(stream=io.BytesIO(content), filename="plan.xlsx", user=admin, apply=False)
    assert report.ok, report.errors
    assert report.changes == 0


def _grow(n: int, *, team, leader, admin) -> None:
    for i in range(n):
        objective = ObjectiveFactory(team=team, owner=leader)
        objective.title = f"Renamed {i}"
        objective_save(objective=objective, by=admin)
        initiative = InitiativeFactory(objective=objective, team=team, owner=leader)
        initiative.depends_on.add(*Initiative.objects.exclude(pk=initiative.pk)[:2])
        KPIFactory(initiative=initiative, objective=None, team=team, owner=leader)
        MilestoneFactory(initiative=initiative)


@pytest.mark.parametrize(
    "url",
    ["/objectives/export.xlsx", "/initiatives/export.xlsx", "/kpis/export.xlsx",
     "/objectives/history.csv", "/initiatives/history.csv", "/kpis/history.csv",
     "/plan/export.xlsx"],
)  # fmt: skip
def test_history_exports_queries_do_not_grow(url, team, leader, admin):
    client = client_for(leader)
    counts = []
    for n in (2, 10):
        _grow(n, team=team, leader=leader, admin=admin)
        with CaptureQueriesContext(connection) as queries:
            response = client.get(url)
        assert response.status_code == 200
        if url.endswith(".xlsx"):
            assert len(_sheets(response.content)["History"]) >= 2 * n
        else:
            assert len(response.content.decode().splitlines()) > 2 * n
        counts.append(len(queries))
    assert counts[0] == counts[1], counts
