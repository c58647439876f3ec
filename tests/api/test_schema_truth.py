"""The OpenAPI schema tells the rules the server enforces, and the server keeps them
(issue #12 §5): one test per kind of mismatch schemathesis found, each checking both sides."""

from __future__ import annotations

import re

import pytest
from django.core.exceptions import ValidationError
from rest_framework.test import APIClient

from execsupport.validation import MAX_ID
from metrics.models import KPI_KEY_TAKEN
from tests.factories import KPIFactory


@pytest.fixture
def schema(plan, admin) -> dict:
    client = APIClient()
    client.force_login(admin)
    response = client.get("/api/schema/?format=json")
    assert response.status_code == 200
    return response.json()


@pytest.fixture
def office(plan, admin) -> APIClient:
    client = APIClient()
    client.force_login(admin)
    return client


def _parameter(schema: dict, path: str, name: str, method: str = "get") -> dict:
    for parameter in schema["paths"][path][method]["parameters"]:
        if parameter["name"] == name:
            return parameter["schema"]
    raise AssertionError(f"{name} is not a parameter of {method.upper()} {path}")


def _request_schema(schema: dict, component: str) -> dict:
    return schema["components"]["schemas"][component]["properties"]


def _matches(pattern: str, value: str) -> bool:
    return re.search(pattern, value) is not None


# --- ids --------------------------------------------------------------------------------------
def test_id_filter_is_described_from_1_and_0_is_refused(schema, office):
    described = _parameter(schema, "/api/v1/kpis/", "team")
    assert described == {"type": "integer", "minimum": 1, "maximum": MAX_ID}
    response = office.get("/api/v1/kpis/?team=0")
    assert response.status_code == 400
    assert [error["field"] for error in response.json()["errors"]] == ["team"]


def test_relation_in_a_body_is_described_from_1(schema):
    assert _request_schema(schema, "InitiativeRequest")["team"]["minimum"] == 1
    assert _request_schema(schema, "InitiativeRequest")["contributors"]["items"]["minimum"] == 1
    assert _parameter(schema, "/api/v1/objectives/tree/", "strategy")["minimum"] == 1
    assert _parameter(schema, "/api/v1/scores/history/", "subject_id")["minimum"] == 1


# --- rules the server enforces ----------------------------------------------------------------
def test_dates_from_1900_are_described_and_enforced(schema, office, plan):
    date = _request_schema(schema, "PeriodRequest")["start_date"]
    assert date["format"] == "date"
    assert _matches(date["pattern"], "1900-01-01")
    assert _matches(date["pattern"], "2199-12-31")
    assert not _matches(date["pattern"], "1899-12-31")
    assert not _matches(date["pattern"], "0001-01-01")
    assert _parameter(schema, "/api/v1/spend/", "date_from")["pattern"] == date["pattern"]
    since = _parameter(schema, "/api/v1/kpis/", "updated_since")
    assert since["format"] == "date-time"
    assert since["pattern"] == date["pattern"]
    body = {"name": "Old", "kind": "year", "start_date": "1899-01-01", "end_date": "1899-12-31"}
    response = office.post("/api/v1/periods/", body, format="json")
    assert response.status_code == 400
    assert {error["field"] for error in response.json()["errors"]} == {"start_date", "end_date"}
    assert office.get("/api/v1/spend/?date_from=1899-12-31").status_code == 400


def test_nul_in_a_text_is_described_and_refused(schema, office, plan):
    title = _request_schema(schema, "PatchedInitiativeRequest")["title"]
    assert not _matches(title["pattern"], "a\x00b")
    assert _matches(title["pattern"], "ab")
    assert not _matches(_parameter(schema, "/api/v1/measurements/", "kpi")["pattern"], "\x00")
    response = office.patch(
        f"/api/v1/initiatives/{plan.initiative.pk}/", {"title": "a\x00b"}, format="json"
    )
    assert response.status_code == 400
    assert response.json()["errors"][0]["field"] == "title"
    assert office.get("/api/v1/measurements/?kpi=a%00b").status_code == 400


def test_decimals_need_a_digit_and_weights_are_positive(schema, office, plan):
    weight = _request_schema(schema, "PatchedInitiativeRequest")["weight"]["pattern"]
    assert [_matches(weight, v) for v in ("", "0", "0.00", "-1", "0.01", "1.5", "9999.99")] == [
        False,
        False,
        False,
        False,
        True,
        True,
        True,
    ]
    amount = _request_schema(schema, "SpendEntryRequest")["amount"]["pattern"]
    assert [_matches(amount, v) for v in ("0", "0.0", "-12.50", "3")] == [False, False, True, True]
    url = f"/api/v1/initiatives/{plan.initiative.pk}/"
    assert office.patch(url, {"weight": ""}, format="json").status_code == 400
    response = office.post(
        "/api/v1/spend/",
        {"initiative": plan.initiative.pk, "date": "2026-01-02", "amount": "0"},
        format="json",
    )
    assert response.status_code == 400
    assert response.json()["errors"][0] == {
        "field": "amount",
        "code": "zero",
        "message": "Enter an amount other than zero.",
    }


def test_values_are_described_below_the_limit_and_the_limit_is_refused(schema, office, plan):
    value = _request_schema(schema, "MeasurementRequest")["value"]
    assert value["maximum"] == 1e15
    assert value["exclusiveMaximum"] is True
    response = office.post(
        "/api/v1/measurements/",
        {"kpi": plan.kpi.key, "as_of": "2026-02-02", "value": 1e15},
        format="json",
    )
    assert response.status_code == 400


def test_rules_between_fields_answer_the_code_inconsistent(office, plan):
    """The one kind of refusal the schema cannot announce has its own code, so a client (and
    the schemathesis run) can tell it from a field the schema describes wrongly."""
    response = office.patch(
        f"/api/v1/objectives/{plan.objective.pk}/", {"due_date": "2000-01-01"}, format="json"
    )
    assert response.status_code == 400
    assert response.json()["errors"] == [
        {
            "field": "due_date",
            "code": "inconsistent",
            "message": "The due date must be after the start date.",
        }
    ]
    response = office.post(
        "/api/v1/teams/",
        {"name": "Root 2", "slug": "root-2", "kind": "company", "parent": plan.team.pk},
        format="json",
    )
    assert response.status_code == 400
    assert [(e["field"], e["code"]) for e in response.json()["errors"]] == [
        ("parent", "inconsistent")
    ]


def test_ingest_rows_are_described_closed_and_with_the_key_pattern(schema):
    row = schema["components"]["schemas"]["IngestRowRequest"]
    assert row["additionalProperties"] is False
    assert row["properties"]["kpi"]["pattern"] == "^[-a-zA-Z0-9_]{1,80}$"


# --- JSON types -------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("field", "value"),
    [("summary", 0), ("progress", "50"), ("initiative", "1"), ("rag", 1), ("confidence", True)],
)
def test_a_json_value_of_another_type_than_described_is_refused(office, plan, field, value):
    body = {"initiative": plan.initiative.pk, "rag": "green", "summary": "ok", field: value}
    response = office.post("/api/v1/checkins/", body, format="json")
    assert response.status_code == 400, response.content
    assert [error["field"] for error in response.json()["errors"]] == [field]


# --- query values -----------------------------------------------------------------------------
def test_query_parameters_are_described_as_strictly_as_they_are_parsed(schema):
    assert _parameter(schema, "/api/v1/kpis/", "page_size") == {
        "type": "integer",
        "minimum": 1,
        "maximum": 500,
    }
    assert _parameter(schema, "/api/v1/kpis/", "page")["minimum"] == 1
    assert _parameter(schema, "/api/v1/measurements/", "cursor")["minLength"] == 1
    assert _parameter(schema, "/api/v1/measurements/", "kpi")["minLength"] == 1
    ordering = _parameter(schema, "/api/v1/kpis/", "ordering")["pattern"]
    assert _matches(ordering, "-updated_at,name")
    assert not _matches(ordering, "secret")
    assert _parameter(schema, "/api/v1/kpis/", "is_active") == {"type": "boolean"}


# --- CSV --------------------------------------------------------------------------------------
def test_csv_responses_are_described_as_text(schema, office):
    content = schema["paths"]["/api/v1/kpis/"]["get"]["responses"]["200"]["content"]
    assert content["text/csv"]["schema"]["type"] == "string"
    assert "$ref" in content["application/json"]["schema"]
    response = office.get("/api/v1/kpis/?format=csv")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/csv")


# --- If-Match ---------------------------------------------------------------------------------
@pytest.mark.parametrize("header", ["12.3", '"unterminated', "W/12", '"a" "b"', ""])
def test_malformed_if_match_is_a_400_not_a_412(office, plan, header):
    url = f"/api/v1/initiatives/{plan.initiative.pk}/"
    response = office.patch(url, {"progress": 10}, format="json", HTTP_IF_MATCH=header)
    assert response.status_code == 400, response.content
    error = response.json()["errors"][0]
    assert error["field"] == "If-Match"
    assert "malformed" in error["message"]
    plan.initiative.refresh_from_db()
    assert plan.initiative.progress != 10


def test_well_formed_stale_if_match_is_a_412_and_the_current_one_writes(schema, office, plan):
    url = f"/api/v1/initiatives/{plan.initiative.pk}/"
    etag = office.get(url)["ETag"]
    stale = office.patch(url, {"progress": 10}, format="json", HTTP_IF_MATCH='"0.0", W/"x"')
    assert stale.status_code == 412
    fresh = office.patch(url, {"progress": 11}, format="json", HTTP_IF_MATCH=f'"0.0", {etag}')
    assert fresh.status_code == 200
    pattern = _parameter(schema, "/api/v1/initiatives/{id}/", "If-Match", method="patch")["pattern"]
    assert _matches(pattern, etag)
    assert _matches(pattern, "*")
    assert not _matches(pattern, "12.3")


def test_idempotency_key_is_described_and_parsed_alike(schema, office, plan):
    pattern = _parameter(schema, "/api/v1/checkins/", "Idempotency-Key", method="post")["pattern"]
    assert _matches(pattern, "a")
    assert _matches(pattern, "x" * 255)
    assert not _matches(pattern, "")
    assert not _matches(pattern, "x" * 256)
    body = {"initiative": plan.initiative.pk, "rag": "green", "summary": "ok"}
    response = office.post("/api/v1/checkins/", body, format="json", HTTP_IDEMPOTENCY_KEY="é")
    assert response.status_code == 400


# --- KPI keys: no existence oracle ------------------------------------------------------------
def test_a_key_taken_by_a_private_kpi_is_refused_without_naming_or_confirming_it(plan, leader):
    """Keys are unique organisation-wide (URLs and ingest use them), so a taken key must be
    refused; the refusal is the same neutral sentence whether the holder is a KPI the person
    sees or one of a private team: it neither names it nor says that a KPI holds the key."""
    client = APIClient()
    client.force_login(leader)
    body = {
        "name": "Attrition",
        "kind": "lagging",
        "direction": "decrease",
        "baseline_value": 10.0,
        "baseline_date": "2026-01-01",
        "target_value": 5.0,
        "target_date": "2026-12-31",
        "cadence_days": 30,
        "team": plan.team.pk,
        "objective": plan.objective.pk,
    }
    hidden = client.post("/api/v1/kpis/", {**body, "key": plan.secret_kpi.key}, format="json")
    visible = client.post("/api/v1/kpis/", {**body, "key": plan.kpi.key}, format="json")
    assert hidden.status_code == visible.status_code == 400
    assert (
        hidden.json()["errors"]
        == visible.json()["errors"]
        == [{"field": "key", "code": "unique", "message": KPI_KEY_TAKEN}]
    )
    text = hidden.content.decode()
    assert "exist" not in text
    assert plan.secret_kpi.name not in text
    assert client.post(
        "/api/v1/kpis/", {**body, "key": "fresh-key"}, format="json"
    ).status_code == (201)


def test_kpi_form_refuses_a_taken_key_with_the_same_neutral_sentence(plan, admin):
    from metrics.forms import KPIForm
    from strategy.access import access_for

    KPIFactory(key="taken-key", objective=plan.secret_objective)
    form = KPIForm(data={"key": "taken-key"}, access=access_for(admin))
    form.is_valid()
    assert form.errors["key"] == [KPI_KEY_TAKEN]


@pytest.mark.parametrize("kind", ["kpi", "objective", "initiative"])
def test_keys_differing_only_in_case_are_refused_by_forms_and_the_api(kind, admin, plan):
    """One check (strategy.keys.KeyUniqueIgnoringCase) for every door: "NPS" when "nps" is
    taken is refused with the same neutral sentence, at the key field."""
    from initiatives.models import Initiative
    from metrics.models import KPI
    from strategy.keys import KEY_TAKEN
    from strategy.models import Objective

    model, endpoint = {
        "kpi": (KPI, "/api/v1/kpis/"),
        "objective": (Objective, "/api/v1/objectives/"),
        "initiative": (Initiative, "/api/v1/initiatives/"),
    }[kind]
    existing = model.objects.order_by("pk").first()
    taken = existing.key.upper()
    assert taken != existing.key
    # The service door (full_clean), which the API, commands and pages use.
    clone = model.objects.get(pk=existing.pk)
    clone.pk = None
    clone.key = taken
    with pytest.raises(ValidationError) as refused:
        clone.full_clean()
    assert refused.value.message_dict["key"] == [KEY_TAKEN]
    # The API: a 400 at the key field.
    api = APIClient()
    api.force_authenticate(admin)
    body = api.get(f"{endpoint}{existing.pk if kind != 'kpi' else existing.key}/").json()
    body["key"] = taken
    response = api.post(endpoint, body, format="json")
    assert response.status_code == 400, response.json()
    assert {e["field"]: e["code"] for e in response.json()["errors"]}.get("key") == "unique"
    assert not model.objects.filter(key=taken).exists()
    if kind == "kpi":  # the page's form (objectives' and initiatives' share the model's check)
        from metrics.forms import KPIForm
        from strategy.access import access_for

        form = KPIForm(data={"key": taken}, access=access_for(admin))
        form.is_valid()
        assert form.errors["key"] == [KEY_TAKEN]
