"""Issue #15, the KPI form: a key proposed from the name (server-side, also for the form's
script), still editable and unique; range bounds only for keep-within-range KPIs (cleared on
the page for other directions, refused by the model, so by the API)."""

from __future__ import annotations

import pytest
from django.urls import reverse
from rest_framework.test import APIClient

from metrics.models import KPI
from metrics.selectors import kpi_key_propose
from tests.factories import KPIFactory
from tests.metrics.test_views_metrics import _kpi_data

pytestmark = pytest.mark.django_db


@pytest.fixture
def kpi(team, member):
    return KPIFactory(team=team, owner=member, key="nps", name="Net promoter score")


def test_the_proposal_is_a_unique_slug_of_the_name(kpi):
    assert kpi_key_propose(name="Customer satisfaction (CSAT)") == "customer-satisfaction-csat"
    assert kpi_key_propose(name="NPS") == "nps-2"
    KPIFactory(objective=kpi.objective, team=kpi.team, key="nps-2", name="Other")
    assert kpi_key_propose(name="nps") == "nps-3"
    assert kpi_key_propose(name="!!!") == "kpi"
    assert len(kpi_key_propose(name="x" * 300)) <= 80
    assert kpi_key_propose(name="NPS", exclude_id=kpi.pk) == "nps"


def test_a_new_kpi_without_a_key_gets_the_proposal(client, leader, kpi):
    client.force_login(leader)
    url = reverse("metrics:kpi-new")
    page = client.get(url).content.decode()
    assert 'data-key-proposal="/kpi-keys/proposal/"' in page
    response = client.post(url, _kpi_data(kpi, key="", name="Net Promoter Score"))
    assert response.status_code == 302
    assert KPI.objects.filter(key="nps").count() == 1
    assert KPI.objects.get(name="Net Promoter Score").key == "net-promoter-score"
    # An edited key is kept, and a taken one refused as before (what was typed kept).
    taken = client.post(url, _kpi_data(kpi, key="nps", name="Another"))
    assert taken.status_code == 200
    assert "key" in taken.context["form"].errors
    assert 'value="Another"' in taken.content.decode()


def test_the_proposal_endpoint(client, leader, member, kpi):
    url = reverse("metrics:kpi-key-proposal")
    client.force_login(leader)
    assert client.get(url, {"name": "NPS"}).json() == {"key": "nps-2"}
    assert client.get(url, {"name": "a\x00b"}).json() == {"key": "ab"}
    client.force_login(member)  # who may not define KPIs is not told of keys
    assert client.get(url, {"name": "NPS"}).status_code == 403


def test_range_fields_only_for_range_kpis(client, leader, kpi):
    client.force_login(leader)
    url = reverse("metrics:kpi-edit", args=[kpi.key])
    page = client.get(url).content.decode()
    assert 'data-show-when="id_direction=range"' in page
    # Bounds typed for an increasing KPI (fields hidden by the script) are not kept.
    response = client.post(url, _kpi_data(kpi, range_low="1", range_high="9"))
    assert response.status_code == 302, response.context["form"].errors
    kpi.refresh_from_db()
    assert (kpi.range_low, kpi.range_high) == (None, None)
    # A range KPI still needs both bounds, in order.
    bad = client.post(
        url, _kpi_data(kpi, direction="range", range_low="9", range_high="1", reason="Band")
    )
    assert bad.status_code == 200
    assert "range_high" in bad.context["form"].errors
    # The API refuses bounds on a KPI that does not keep within a range.
    api = APIClient()
    api.force_login(leader)
    refused = api.patch(f"/api/v1/kpis/{kpi.key}/", {"range_low": 1.0}, format="json")
    assert refused.status_code == 400
    assert [e["field"] for e in refused.json()["errors"]] == ["range_low"]
