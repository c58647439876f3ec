"""Every model is usable from the admin: its list and add pages load for the strategy office."""

from __future__ import annotations

import pytest
from django.contrib import admin
from django.urls import reverse

from tests.factories import (
    AlertFactory,
    CheckInFactory,
    GapScoreFactory,
    KPIFactory,
    MeasurementFactory,
    SpendEntryFactory,
    UserFactory,
)

pytestmark = pytest.mark.django_db

PROJECT_APPS = {"strategy", "initiatives", "metrics"}


@pytest.fixture
def superuser(company):
    return UserFactory(username="root", is_staff=True, is_superuser=True)


@pytest.fixture
def populated(company):
    CheckInFactory()
    SpendEntryFactory()
    MeasurementFactory(kpi=KPIFactory())
    GapScoreFactory()
    AlertFactory()


def _registered():
    return [m for m in admin.site._registry if m._meta.app_label in PROJECT_APPS]


def test_every_project_model_is_in_the_admin_as_a_page_or_an_inline():
    from django.apps import apps

    models = {m for label in PROJECT_APPS for m in apps.get_app_config(label).get_models()}
    inlines = {
        inline.model
        for model_admin in admin.site._registry.values()
        for inline in model_admin.inlines
    }
    assert models <= set(_registered()) | inlines


@pytest.mark.parametrize("model", _registered(), ids=lambda m: m._meta.label)
def test_changelist_and_change_pages_load(client, superuser, populated, model):
    client.force_login(superuser)
    opts = model._meta

    response = client.get(reverse(f"admin:{opts.app_label}_{opts.model_name}_changelist"))
    assert response.status_code == 200

    obj = model.objects.first()
    if obj is not None:
        response = client.get(
            reverse(f"admin:{opts.app_label}_{opts.model_name}_change", args=[obj.pk])
        )
        assert response.status_code == 200


def test_kpi_plan_change_in_admin_requires_a_reason(client, superuser):
    kpi = KPIFactory()
    client.force_login(superuser)
    url = reverse("admin:metrics_kpi_change", args=[kpi.pk])
    data = {
        "key": kpi.key,
        "name": kpi.name,
        "description": "",
        "unit": "%",
        "kind": kpi.kind,
        "direction": kpi.direction,
        "baseline_value": "20",
        "baseline_date": "2026-01-01",
        "target_value": "45",
        "target_date": "2026-12-31",
        "range_low": "",
        "range_high": "",
        "cadence_days": "30",
        "owner": kpi.owner_id,
        "team": kpi.team_id,
        "objective": kpi.objective_id,
        "initiative": "",
        "weight": "1",
        "data_source": "",
        "is_active": "on",
        "revision_reason": "",
        "trajectory-TOTAL_FORMS": "0",
        "trajectory-INITIAL_FORMS": "0",
        "target_revisions-TOTAL_FORMS": "0",
        "target_revisions-INITIAL_FORMS": "0",
    }

    response = client.post(url, data)
    assert response.status_code == 200
    assert "Say why the plan changed" in response.content.decode()
    kpi.refresh_from_db()
    assert kpi.target_value == 40.0

    response = client.post(url, {**data, "revision_reason": "Board raised the bar"})
    assert response.status_code == 302
    kpi.refresh_from_db()
    assert kpi.target_value == 45.0
    assert kpi.target_revisions.get().reason == "Board raised the bar"
