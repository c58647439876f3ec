"""Bulk measurement ingestion: all or nothing, idempotent, corrections, every bad row reported."""

from __future__ import annotations

import datetime as dt
import json

import pytest
from django.utils import timezone

from metrics.models import DirtySubject, Measurement, MeasurementCorrection
from strategy.models import ApiToken
from tests.api.conftest import token_client
from tests.factories import KPIFactory

URL = "/api/v1/measurements/ingest/"


@pytest.fixture
def api(plan, member):
    return token_client(member, ApiToken.Scope.WRITE_MEASUREMENTS)


@pytest.fixture
def second_kpi(plan, member):
    return KPIFactory(key="pipeline", objective=plan.objective, owner=member)


def post(client, rows):
    return client.post(URL, {"measurements": rows}, format="json")


def rows_for(kpis, days=5):
    start = dt.date(2026, 3, 1)
    return [
        {"kpi": k, "as_of": (start + dt.timedelta(days=d)).isoformat(), "value": 20 + d}
        for k in kpis
        for d in range(days)
    ]


def test_batch_is_recorded_and_scores_marked_once_per_kpi(api, plan, second_kpi):
    DirtySubject.objects.all().delete()
    response = post(api, rows_for(["win-rate", "pipeline"]))
    assert response.status_code == 200, response.json()
    assert response.json() == {
        "received": 10,
        "created": 10,
        "updated": 0,
        "unchanged": 0,
        "kpis": ["pipeline", "win-rate"],
        "implausible": [],  # 20-24 on each KPI: no outlier
    }
    assert Measurement.objects.filter(kpi=second_kpi).count() == 5
    m = Measurement.objects.get(kpi=plan.kpi, as_of=dt.date(2026, 3, 3))
    assert m.value == 22.0
    assert m.source == Measurement.Source.API
    assert set(DirtySubject.objects.values_list("subject_type", "subject_id")) == {
        ("kpi", plan.kpi.pk),
        ("kpi", second_kpi.pk),
    }


def test_resending_the_same_batch_changes_nothing(api, plan, second_kpi):
    rows = rows_for(["win-rate", "pipeline"])
    assert post(api, rows).status_code == 200
    before = list(Measurement.objects.order_by("id").values())
    DirtySubject.objects.all().delete()
    response = post(api, rows)
    assert response.json()["unchanged"] == 10
    assert response.json()["kpis"] == []
    assert list(Measurement.objects.order_by("id").values()) == before
    assert not MeasurementCorrection.objects.exists()
    assert not DirtySubject.objects.exists()


def test_new_value_updates_and_is_recorded_as_correction(api, plan, member):
    assert (
        post(api, [{"kpi": "win-rate", "as_of": "2026-02-01", "value": 22.0}]).json()["unchanged"]
        == 1
    )
    response = post(api, [{"kpi": "win-rate", "as_of": "2026-02-01", "value": 25.5}])
    assert response.json()["updated"] == 1
    plan.measurement.refresh_from_db()
    assert plan.measurement.value == 25.5
    correction = MeasurementCorrection.objects.get()
    assert (correction.old_value, correction.new_value) == (22.0, 25.5)
    assert correction.changed_by == member
    assert correction.source == "api"


def test_one_bad_row_rejects_the_whole_batch_and_every_error_is_listed(api, plan):
    rows = rows_for(["win-rate"], days=4)
    rows[1]["value"] = "12"
    rows[3]["as_of"] = "2026-02-30"
    response = post(api, rows)
    assert response.status_code == 400
    body = response.json()
    assert body["code"] == "invalid"
    assert [(e["index"], e["field"]) for e in body["errors"]] == [(1, "value"), (3, "as_of")]
    assert Measurement.objects.count() == 1  # only the fixture's


BAD_ROWS = [
    ({"kpi": "nope", "as_of": "2026-03-01", "value": 1}, "kpi", "unknown"),
    ({"kpi": "secret-kpi", "as_of": "2026-03-01", "value": 1}, "kpi", "unknown"),
    ({"kpi": 12, "as_of": "2026-03-01", "value": 1}, "kpi", "invalid"),
    ({"kpi": "bad key!", "as_of": "2026-03-01", "value": 1}, "kpi", "invalid"),
    ({"kpi": "win\u0000rate", "as_of": "2026-03-01", "value": 1}, "kpi", "invalid"),
    ({"as_of": "2026-03-01", "value": 1}, "kpi", "required"),
    ({"kpi": "win-rate", "as_of": "2026-13-01", "value": 1}, "as_of", "invalid"),
    ({"kpi": "win-rate", "as_of": "01/03/2026", "value": 1}, "as_of", "invalid"),
    ({"kpi": "win-rate", "as_of": 20260301, "value": 1}, "as_of", "invalid"),
    ({"kpi": "win-rate", "as_of": "1850-01-01", "value": 1}, "as_of", "out_of_range"),
    ({"kpi": "win-rate", "as_of": "2999-01-01", "value": 1}, "as_of", "future"),
    ({"kpi": "win-rate", "value": 1}, "as_of", "required"),
    ({"kpi": "win-rate", "as_of": "2026-03-01", "value": "NaN"}, "value", "invalid"),
    ({"kpi": "win-rate", "as_of": "2026-03-01", "value": "Infinity"}, "value", "invalid"),
    ({"kpi": "win-rate", "as_of": "2026-03-01", "value": True}, "value", "invalid"),
    ({"kpi": "win-rate", "as_of": "2026-03-01", "value": None}, "value", "required"),
    ({"kpi": "win-rate", "as_of": "2026-03-01", "value": [1]}, "value", "invalid"),
    ({"kpi": "win-rate", "as_of": "2026-03-01", "value": 1e300}, "value", "out_of_range"),
    ({"kpi": "win-rate", "as_of": "2026-03-01", "value": 10**30}, "value", "out_of_range"),
    ({"kpi": "win-rate", "as_of": "2026-03-01", "value": 1, "vlaue": 2}, "vlaue", "unknown_field"),
    ({"kpi": "win-rate", "as_of": "2026-03-01", "value": 1, "note": 5}, "note", "invalid"),
    (
        {"kpi": "win-rate", "as_of": "2026-03-01", "value": 1, "note": "x" * 301},
        "note",
        "max_length",
    ),
    (
        {"kpi": "win-rate", "as_of": "2026-03-01", "value": 1, "note": "a\u0000b"},
        "note",
        "null_characters",
    ),
    ("not an object", "", "invalid"),
]


@pytest.mark.parametrize(("row", "field", "code"), BAD_ROWS)
def test_bad_row_is_reported_by_index_and_field(api, plan, row, field, code):
    good = {"kpi": "win-rate", "as_of": "2026-03-02", "value": 3}
    response = post(api, [good, row])
    assert response.status_code == 400, response.json()
    errors = response.json()["errors"]
    assert {"index": 1, "field": field, "code": code} in [
        {k: e[k] for k in ("index", "field", "code")} for e in errors
    ]
    assert all(e["index"] == 1 for e in errors)
    assert not Measurement.objects.filter(as_of=dt.date(2026, 3, 2)).exists()


def test_kpi_not_owned_by_member_is_refused_as_forbidden_row(api, plan):
    KPIFactory(key="theirs", objective=plan.objective)
    response = post(api, [{"kpi": "theirs", "as_of": "2026-03-01", "value": 1}])
    assert response.json()["errors"][0]["code"] == "permission_denied"


def test_duplicate_kpi_and_date_in_one_batch_is_an_error(api, plan):
    row = {"kpi": "win-rate", "as_of": "2026-03-01", "value": 1}
    response = post(api, [row, {**row, "value": 2}])
    assert response.json()["errors"] == [
        {
            "index": 1,
            "field": "as_of",
            "code": "duplicate",
            "message": "Row 0 already gives KPI 'win-rate' a value for 2026-03-01.",
        }
    ]


@pytest.mark.parametrize(
    "raw",
    [
        b'{"measurements": [{"kpi": "win-rate", "as_of": "2026-03-01", "value": NaN}]}',
        b'{"measurements": [{"kpi": "win-rate", "as_of": "2026-03-01", "value": Infinity}]}',
        b'{"measurements": [{"kpi": "win-rate", "as_of": "2026-03-01", "value": 1e400}]}',
        b'{"measurements": [',
    ],
)
def test_non_json_numbers_and_broken_json_are_refused(api, plan, raw):
    response = api.generic("POST", URL, raw, content_type="application/json")
    assert response.status_code == 400
    assert response.json()["code"] == "invalid"
    assert "Invalid JSON" in response.json()["detail"]


def test_more_than_ten_thousand_rows_are_refused_whole(api, plan):
    day = dt.date(2026, 1, 1)
    rows = [{"kpi": "win-rate", "as_of": "2026-01-01", "value": i} for i in range(10_001)]
    response = post(api, rows)
    assert response.status_code == 400
    assert response.json()["errors"][0]["code"] == "too_many_rows"
    assert not Measurement.objects.filter(as_of=day).exists()


def test_ten_thousand_bad_rows_are_all_reported(api, plan):
    rows = [{"kpi": "win-rate", "as_of": "2026-01-01", "value": "x"}] * 10_000
    response = post(api, rows)
    assert response.status_code == 400
    assert len(response.json()["errors"]) == 10_000


def test_missing_envelope_is_a_field_error(api, plan):
    response = api.post(URL, [{"kpi": "win-rate"}], format="json")
    assert response.status_code == 400
    assert response.json()["errors"][0]["field"] == "measurements"


def test_viewer_cannot_ingest(viewer, plan):
    client = token_client(viewer, ApiToken.Scope.READ)
    response = client.post(URL, {"measurements": []}, format="json")
    assert response.status_code == 403


def test_today_is_accepted(api, plan):
    today = timezone.localdate().isoformat()
    response = post(api, [{"kpi": "win-rate", "as_of": today, "value": 1.25}])
    assert response.status_code == 200, response.json()


def test_body_is_json_encoded_in_docs_example(api, plan):
    body = json.dumps({"measurements": [{"kpi": "win-rate", "as_of": "2026-03-01", "value": 7}]})
    response = api.generic("POST", URL, body, content_type="application/json")
    assert response.json()["created"] == 1
