"""The history of an object through the REST API (``/api/v1/history/<kind>-<id>/``, read only)
and its export from the History tab (CSV with a byte-order mark, XLSX), both read through
``strategy.access`` like the page: old values of a private object stay sealed."""

from __future__ import annotations

import io

import openpyxl
import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from rest_framework.test import APIClient

from strategy.models import Objective, Team
from strategy.services import objective_save, team_save
from tests.factories import ObjectiveFactory, PeriodFactory, TeamFactory, ThemeFactory

pytestmark = pytest.mark.django_db


def api(user) -> APIClient:
    client = APIClient()
    client.force_login(user)
    return client


def _moved_out_of_a_private_team(company, team, admin) -> Objective:
    """Created in a private team (with secret values), then moved to ``team`` and renamed;
    then the private team is made public."""
    secret_team = team_save(team=TeamFactory.build(parent=company, is_private=True))
    objective = objective_save(
        objective=ObjectiveFactory.build(
            team=secret_team,
            title="Canary-Secret-Plan",
            theme=(theme := ThemeFactory()),
            strategy=theme.strategy,
            period=PeriodFactory(),
            owner=admin,
        ),
        by=admin,
    )
    moved = Objective.objects.get(pk=objective.pk)
    moved.team, moved.title = team, "Public plan"
    objective_save(objective=moved, by=admin)
    opened = Team.objects.get(pk=secret_team.pk)
    opened.is_private = False
    team_save(team=opened)
    return objective


def test_api_history_lists_versions_with_before_and_after(company, team, leader, admin):
    objective = _moved_out_of_a_private_team(company, team, admin)
    body = api(admin).get(f"/api/v1/history/objective-{objective.pk}/").json()
    assert body["kind"] == "objective"
    assert body["id"] == objective.pk
    assert body["count"] == 2
    newest = body["results"][0]
    assert newest["action"] == "changed"
    assert {"field": "title", "label": "title", "before": "Canary-Secret-Plan",
            "after": "Public plan"} in newest["changes"]  # fmt: skip

    # The leader of the team it moved to: the version recorded while private stays sealed,
    # also now that the team is public.
    text = api(leader).get(f"/api/v1/history/objective-{objective.pk}/").content.decode()
    assert "Canary-Secret" not in text
    seen = api(leader).get(f"/api/v1/history/objective-{objective.pk}/").json()
    assert [v["sealed"] for v in seen["results"]] == [False, True]
    assert seen["results"][1]["changes"] == []
    assert seen["results"][1]["by"] is None


def test_api_history_of_what_you_may_not_see_is_not_found(company, leader):
    secret = ObjectiveFactory(team=TeamFactory(parent=company, is_private=True))
    client = api(leader)
    assert client.get(f"/api/v1/history/objective-{secret.pk}/").status_code == 404
    assert client.get("/api/v1/history/objective-999999999/").status_code == 404
    assert client.get("/api/v1/history/objective-99999999999999999999/").status_code == 404
    assert client.get(f"/api/v1/history/secret-{secret.pk}/").status_code == 404


def test_history_is_never_editable_through_the_api(team, admin):
    objective = ObjectiveFactory(team=team, title="Before")
    objective_save(objective=objective, by=admin)
    before = list(Objective.history.filter(id=objective.pk).values())
    client = api(admin)
    url = f"/api/v1/history/objective-{objective.pk}/"
    for method in ("put", "patch", "delete"):
        response = getattr(client, method)(url, {"results": []}, format="json")
        assert response.status_code == 405, method
    assert client.post("/api/v1/history/", {"kind": "objective"}, format="json").status_code in (
        404,
        405,
    )
    assert "GET" in client.options(url)["Allow"]
    assert "PATCH" not in client.options(url)["Allow"]
    assert list(Objective.history.filter(id=objective.pk).values()) == before


def test_api_history_queries_do_not_grow_with_versions(team, admin):
    objective = objective_save(objective=ObjectiveFactory(team=team), by=admin)
    client = api(admin)
    counts = []
    for n in (2, 12):
        for i in range(n):
            changed = Objective.objects.get(pk=objective.pk)
            changed.title = f"Title {n}-{i}"
            objective_save(objective=changed, by=admin)
        with CaptureQueriesContext(connection) as queries:
            assert client.get(f"/api/v1/history/objective-{objective.pk}/").status_code == 200
        counts.append(len(queries))
    assert counts[0] == counts[1], counts


def test_history_exports_as_csv_and_xlsx_with_the_page_rules(client, company, team, leader, admin):
    objective = _moved_out_of_a_private_team(company, team, admin)
    client.force_login(admin)
    raw = client.get(f"/history/objective/{objective.pk}/export.csv").content
    assert raw.startswith(b"\xef\xbb\xbfat,action,by,reason,field,label,before,after,sealed,")
    assert "title,title,Canary-Secret-Plan,Public plan,no," in raw.decode("utf-8")

    client.force_login(leader)
    text = client.get(f"/history/objective/{objective.pk}/export.csv").content.decode()
    assert "Canary-Secret" not in text
    assert ",yes," in text  # the sealed version: a row, no values
    book = openpyxl.load_workbook(
        io.BytesIO(client.get(f"/history/objective/{objective.pk}/export.xlsx").content),
        read_only=True,
    )
    rows = list(book.active.iter_rows(values_only=True))
    assert rows[0][:3] == ("at", "action", "by")
    assert "Public plan" in repr(rows)
    assert "Canary-Secret" not in repr(rows)
    page = client.get(f"/history/objective/{objective.pk}/").content.decode()
    assert f"/history/objective/{objective.pk}/export.csv" in page

    secret = ObjectiveFactory(team=TeamFactory(parent=company, is_private=True))
    assert client.get(f"/history/objective/{secret.pk}/export.csv").status_code == 404
