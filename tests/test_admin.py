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

PROJECT_APPS = {"strategy", "initiatives", "metrics", "security", "reviews", "activity", "sheets"}


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


# --- writes go through the services -----------------------------------------------------------
def _marked(initiative) -> bool:
    from metrics.models import DirtySubject, SubjectType

    return DirtySubject.objects.filter(
        subject_type=SubjectType.INITIATIVE, subject_id=initiative.pk
    ).exists()


def _unmark() -> None:
    from metrics.models import DirtySubject

    DirtySubject.objects.all().delete()


def test_a_checkin_added_in_the_admin_sets_progress_and_marks_the_score(client, superuser):
    from initiatives.models import CheckIn
    from tests.factories import InitiativeFactory

    initiative = InitiativeFactory(progress=10)
    _unmark()
    client.force_login(superuser)
    response = client.post(
        reverse("admin:initiatives_checkin_add"),
        {
            "initiative": initiative.pk,
            "author": initiative.owner_id,
            "created_at_0": "2026-05-04",
            "created_at_1": "09:30:00",
            "rag": "amber",
            "confidence": "70",
            "progress": "55",
            "summary": "  Pilot live in two regions.  ",
            "blockers": "",
            "next_steps": "",
        },
    )

    assert response.status_code == 302, response.content.decode()[:2000]
    checkin = CheckIn.objects.get(initiative=initiative)
    assert checkin.summary == "Pilot live in two regions."
    initiative.refresh_from_db()
    assert initiative.progress == 55
    assert initiative.last_checkin_at == checkin.created_at
    assert _marked(initiative)

    # Saving its read-only page again changes nothing.
    initiative.progress = 60
    initiative.save()
    response = client.post(reverse("admin:initiatives_checkin_change", args=[checkin.pk]), {})
    assert response.status_code == 302
    initiative.refresh_from_db()
    assert initiative.progress == 60


def test_spend_and_milestones_saved_in_the_admin_mark_the_score(client, superuser):
    from tests.factories import InitiativeFactory, MilestoneFactory

    initiative = InitiativeFactory()
    milestone = MilestoneFactory(initiative=initiative, title="Beta")
    _unmark()
    client.force_login(superuser)

    response = client.post(
        reverse("admin:initiatives_spendentry_add"),
        {
            "initiative": initiative.pk,
            "date": "2026-05-04",
            "amount": "1250.50",
            "category": "",
            "note": "",
            "entered_by": superuser.pk,
        },
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    initiative.refresh_from_db()
    assert str(initiative.spent) == "1250.50"
    assert _marked(initiative)

    _unmark()
    response = client.post(
        reverse("admin:initiatives_milestone_change", args=[milestone.pk]),
        {
            "initiative": initiative.pk,
            "title": "Beta",
            "due_date": "2026-06-01",
            "completed_on": "2026-05-02",
            "weight": "1",
        },
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    milestone.refresh_from_db()
    assert milestone.completed_on.isoformat() == "2026-05-02"
    assert _marked(initiative)


def test_an_initiative_saved_in_the_admin_follows_the_service_rules(client, superuser):
    from initiatives.models import Initiative
    from tests.factories import InitiativeFactory

    initiative = InitiativeFactory(status=Initiative.Status.ACTIVE, completed_on=None)
    _unmark()
    client.force_login(superuser)
    url = reverse("admin:initiatives_initiative_change", args=[initiative.pk])
    page = client.get(url)
    form = page.context["adminform"].form
    data = {}
    for name, field in form.fields.items():
        value = form.initial.get(name)
        if value is None:
            continue
        if isinstance(value, list):
            data[name] = [getattr(item, "pk", item) for item in value]
        else:
            data[name] = field.prepare_value(value)
    for formset in page.context["inline_admin_formsets"]:
        prefix = formset.formset.prefix
        data |= {f"{prefix}-TOTAL_FORMS": "0", f"{prefix}-INITIAL_FORMS": "0"}
    data["status"] = Initiative.Status.DONE

    response = client.post(url, data)

    assert response.status_code == 302, response.content.decode()[:3000]
    initiative.refresh_from_db()
    assert initiative.status == Initiative.Status.DONE
    assert initiative.completed_on is not None  # set by initiative_save, as on the pages
    assert _marked(initiative)


def test_an_admin_change_form_made_stale_by_another_save_is_refused_keeping_the_entries(
    client, superuser
):
    from strategy.models import Objective
    from strategy.services import objective_save
    from tests.factories import ObjectiveFactory

    objective = ObjectiveFactory(title="Before")
    client.force_login(superuser)
    url = reverse("admin:strategy_objective_change", args=[objective.pk])
    form = client.get(url).context["adminform"].form
    data = {
        name: field.prepare_value(form.initial[name])
        for name, field in form.fields.items()
        if form.initial.get(name) is not None
    }
    assert data["seen_version"] == 1
    data["title"] = "Typed in the admin"
    meanwhile = Objective.objects.get(pk=objective.pk)
    meanwhile.description = "Saved on a page meanwhile"
    objective_save(objective=meanwhile)

    response = client.post(url, data)

    html = response.content.decode()
    assert response.status_code == 200
    assert "Someone else changed this objective" in html
    assert 'value="Typed in the admin"' in html
    stored = Objective.objects.get(pk=objective.pk)
    assert (stored.title, stored.description) == ("Before", "Saved on a page meanwhile")
    response = client.post(url, {**data, "seen_version": stored.version})
    assert response.status_code == 302
    stored = Objective.objects.get(pk=objective.pk)
    assert (stored.title, stored.description) == ("Typed in the admin", "")
