"""The plan import through the API: multipart upload, the preview JSON, ``?apply=1``."""

from __future__ import annotations

import copy
import io

from rest_framework.test import APIClient

from metrics.models import Measurement
from strategy.models import Objective
from tests.sheets.conftest import MEASUREMENTS, csv_bytes, full_plan, xlsx_bytes


def api(user) -> APIClient:
    client = APIClient()
    client.force_authenticate(user)
    return client


def upload(data: bytes, name: str) -> io.BytesIO:
    stream = io.BytesIO(data)
    stream.name = name
    return stream


def test_preview_json_then_apply(base, admin):
    data = xlsx_bytes(full_plan())
    preview = api(admin).post(
        "/api/v1/plan-import/", {"file": upload(data, "plan.xlsx")}, format="multipart"
    )
    assert preview.status_code == 200
    body = preview.json()
    assert body["ok"] is True
    assert body["applied"] is False
    assert body["sheets"][0] == {
        "sheet": "objectives",
        "created": 2,
        "updated": 0,
        "unchanged": 0,
        "rows": [
            {"row": 2, "key": "grow", "action": "created"},
            {"row": 3, "key": "grow-smb", "action": "created"},
        ],
        "ignored_columns": [],
    }
    assert Objective.objects.count() == 0
    applied = api(admin).post(
        "/api/v1/plan-import/?apply=1", {"file": upload(data, "plan.xlsx")}, format="multipart"
    )
    assert applied.status_code == 200
    assert applied.json()["applied"] is True
    assert Objective.objects.count() == 2


def test_preview_lists_bad_rows_and_apply_refuses_them_with_400(base, admin):
    plan = copy.deepcopy(full_plan())
    plan["Objectives"][2][2] = "nope"
    data = xlsx_bytes(plan)
    preview = (
        api(admin)
        .post("/api/v1/plan-import/", {"file": upload(data, "p.xlsx")}, format="multipart")
        .json()
    )
    assert preview["ok"] is False
    assert {
        "sheet": "objectives",
        "row": 3,
        "column": "parent",
        "code": "parent_not_found",
        "message": "No objective has the key “nope”: the parent was not found.",
    } in preview["errors"]
    refused = api(admin).post(
        "/api/v1/plan-import/?apply=1", {"file": upload(data, "p.xlsx")}, format="multipart"
    )
    assert refused.status_code == 400
    assert {
        "field": "objectives.parent",
        "index": 3,
        "code": "parent_not_found",
        "message": "No objective has the key “nope”: the parent was not found.",
    } in refused.json()["errors"]
    assert Objective.objects.count() == 0


def test_csv_measurements_with_an_implausible_value_are_flagged(base, admin):
    api(admin).post(
        "/api/v1/plan-import/?apply=1",
        {"file": upload(xlsx_bytes(full_plan()), "p.xlsx")},
        format="multipart",
    )
    rows = [MEASUREMENTS[0]] + [
        ["smb-revenue", f"2026-03-{d:02d}", str(110 + d % 3), None] for d in range(1, 29)
    ]
    rows.append(["smb-revenue", "2026-04-30", "900000", None])
    body = (
        api(admin)
        .post(
            "/api/v1/plan-import/?apply=1",
            {"file": upload(csv_bytes(rows, bom=True), "m.csv")},
            format="multipart",
        )
        .json()
    )
    assert body["applied"] is True
    assert [(f["row"], f["value"]) for f in body["implausible"]] == [(30, 900000.0)]
    assert Measurement.objects.get(as_of="2026-04-30").value == 900000


def test_no_file_or_an_unreadable_one_is_a_400(base, admin):
    missing = api(admin).post("/api/v1/plan-import/", {}, format="multipart")
    assert missing.status_code == 400
    assert missing.json()["errors"][0]["field"] == "file"
    garbage = api(admin).post(
        "/api/v1/plan-import/", {"file": upload(b"PK\x03\x04junk", "x.xlsx")}, format="multipart"
    )
    assert garbage.status_code == 400
    assert garbage.json()["errors"][0]["code"] == "unreadable"
