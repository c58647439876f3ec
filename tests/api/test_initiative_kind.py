"""Initiative kind (plan/support) through the API: filterable, and read-only said out loud."""

from __future__ import annotations

from initiatives.models import Initiative
from tests.api.conftest import token_client
from tests.factories import InitiativeFactory


def test_initiatives_filter_by_kind(plan, admin):
    support = InitiativeFactory(
        objective=plan.initiative.objective, team=plan.initiative.team, kind="support"
    )
    client = token_client(admin, "read")
    rows = client.get("/api/v1/initiatives/", {"kind": "support"}).json()["results"]
    assert [r["id"] for r in rows] == [support.pk]
    rows = client.get("/api/v1/initiatives/", {"kind": "plan"}).json()["results"]
    assert support.pk not in [r["id"] for r in rows]
    assert plan.initiative.pk in [r["id"] for r in rows]


def test_patching_the_kind_is_refused_not_silently_ignored(plan, admin):
    client = token_client(admin, "read", "write:initiatives")
    url = f"/api/v1/initiatives/{plan.initiative.pk}/"
    response = client.patch(url, {"kind": "support"}, format="json")
    assert response.status_code == 400, response.content
    assert "read-only" in str(response.json())
    assert Initiative.objects.get(pk=plan.initiative.pk).kind == "plan"
    same = client.patch(url, {"kind": "plan", "title": "Same kind"}, format="json")
    assert same.status_code == 200, same.content


def test_the_initiatives_list_kind_filter_says_plan_or_support(client, plan, admin):
    client.force_login(admin)
    html = client.get("/initiatives/").content.decode()
    assert "Plan or support" in html
    assert "Leading or lagging" not in html
