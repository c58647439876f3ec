"""Strict query parameters (``execsupport.query``): an empty or invalid value of a parameter a
list declares is a 400 naming the parameter, never a silently unfiltered 200."""

from __future__ import annotations

import pytest
from rest_framework.test import APIClient


@pytest.fixture
def client(plan, admin):
    api = APIClient()
    api.force_authenticate(admin)
    return api


def _fields(response) -> set[str]:
    assert response.status_code == 400, (response.status_code, response.content[:300])
    body = response.json()
    assert body["code"] == "invalid"
    return {error["field"] for error in body["errors"]}


@pytest.mark.parametrize(
    ("url", "query", "field"),
    [
        ("/api/v1/periods/", "updated_since=", "updated_since"),
        ("/api/v1/initiatives/", "updated_since=", "updated_since"),
        ("/api/v1/measurements/", "as_of_from=", "as_of_from"),
        ("/api/v1/measurements/", "kpi=", "kpi"),
        ("/api/v1/kpis/", "team=", "team"),
        ("/api/v1/webhooks/", "page_size=null", "page_size"),
        ("/api/v1/webhooks/", "page_size=null&page_size=null", "page_size"),
        ("/api/v1/initiatives/", "page_size=0", "page_size"),
        ("/api/v1/initiatives/", "page_size=501", "page_size"),
        ("/api/v1/initiatives/", "page=0", "page"),
        ("/api/v1/initiatives/", "page=x", "page"),
        ("/api/v1/measurements/", "cursor=", "cursor"),
        ("/api/v1/kpis/", "ordering=", "ordering"),
        ("/api/v1/kpis/", "ordering=-nonsense", "ordering"),
        ("/api/v1/kpis/", "is_active=maybe", "is_active"),
        ("/api/v1/kpis/", "format=", "format"),
        ("/api/v1/kpis/", "format=xml", "format"),
        ("/api/v1/kpis/1/", "format=", "format"),
        ("/api/v1/spend/", "date_from=0001-01-01", "date_from"),
        ("/api/v1/alerts/", "updated_since=0001-01-01T00:00:00Z", "updated_since"),
        ("/api/v1/kpis/", "team=0", "team"),
    ],
)
def test_empty_or_invalid_query_value_is_refused_with_the_parameter_named(
    client, url, query, field
):
    assert field in _fields(client.get(f"{url}?{query}"))


def test_several_bad_parameters_are_all_named(client):
    fields = _fields(client.get("/api/v1/initiatives/?updated_since=&page_size=null&ordering=x"))
    assert fields == {"updated_since", "page_size", "ordering"}


@pytest.mark.parametrize(
    "query",
    [
        "ordering=-due_date,title",
        "page_size=500&page=1",
        "is_active=true",
        "updated_since=2026-01-01T00:00:00%2B02:00",
        "format=csv",
        "unknown_parameter=",
    ],
)
def test_valid_values_and_undeclared_parameters_are_accepted(client, query):
    url = "/api/v1/kpis/" if "is_active" in query else "/api/v1/initiatives/"
    assert client.get(f"{url}?{query}").status_code == 200


def test_anonymous_caller_gets_401_before_any_query_check(plan):
    response = APIClient().get("/api/v1/kpis/?format=&page_size=null")
    assert response.status_code == 401
    # An unknown format suffix too (id 0, format "5"): nothing is said before authentication.
    assert APIClient().get("/api/v1/alerts/0.5/").status_code == 401
