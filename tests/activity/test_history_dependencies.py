"""An initiative's dependencies (``depends_on`` through ``InitiativeDependency``) in its
history: each change is one version whatever the path (the admin's inline, with a change of
fields or alone; ``depends_on.add``; the deletion of the initiative depended on; the bulk
hand-over), and the History tab names them by title through ``strategy.access``."""

from __future__ import annotations

import pytest
from django.urls import reverse

from activity.history import HIDDEN_NAME, history_for
from initiatives.models import Initiative, InitiativeDependency
from initiatives.services import initiative_delete
from strategy.access import access_for
from strategy.people_services import person_hand_over
from tests.factories import (
    InitiativeFactory,
    ObjectiveFactory,
    TeamFactory,
    UserFactory,
    member_of,
)

pytestmark = pytest.mark.django_db


def _versions(initiative) -> int:
    return Initiative.history.filter(id=initiative.pk).count()


def _dependency_change(initiative, reader):
    history = history_for(kind="initiative", pk=initiative.pk, access=access_for(reader))
    newest = history.versions[0]
    return newest, [c for c in newest.changes if c.field == "depends_on"]


@pytest.fixture
def work(team):
    objective = ObjectiveFactory(team=team)
    return [
        InitiativeFactory(objective=objective, team=team, title=title)
        for title in ("Roll out the CRM", "Pick a vendor", "Train the sales team")
    ]


def _admin_post(client, admin, initiative, *, title=None, depends_on=()):
    admin.is_staff = admin.is_superuser = True
    admin.save()
    client.force_login(admin)
    url = reverse("admin:initiatives_initiative_change", args=[initiative.pk])
    context = client.get(url).context
    form = context["adminform"].form
    data = {
        name: value
        for name, value in form.initial.items()
        if value is not None and name not in ("contributors",)
    }
    data["contributors"] = [p.pk for p in initiative.contributors.all()]
    for formset in context["inline_admin_formsets"]:
        management = formset.formset.management_form
        prefix = management.prefix
        for key in ("TOTAL_FORMS", "INITIAL_FORMS", "MIN_NUM_FORMS", "MAX_NUM_FORMS"):
            data[f"{prefix}-{key}"] = management.initial.get(key, 0)
        if formset.formset.model is InitiativeDependency:
            data[f"{prefix}-TOTAL_FORMS"] = len(depends_on)
            for i, other in enumerate(depends_on):
                data[f"{prefix}-{i}-depends_on"] = other.pk
                data[f"{prefix}-{i}-note"] = "needs it"
                data[f"{prefix}-{i}-initiative"] = initiative.pk
    if title:
        data["title"] = title
    data = {k: ("" if v is None else (v.pk if hasattr(v, "pk") else v)) for k, v in data.items()}
    response = client.post(url, data)
    assert response.status_code == 302, response.context["adminform"].form.errors
    return response


def test_the_admin_inline_adding_a_dependency_is_one_version(client, admin, work):
    crm, vendor, _ = work
    before = _versions(crm)
    _admin_post(client, admin, crm, depends_on=[vendor])
    assert _versions(crm) == before + 1
    newest, [change] = _dependency_change(crm, admin)
    assert (change.label, change.before, change.after) == ("depends on", "—", "Pick a vendor")
    assert newest.by is not None
    # Posting the same again changes nothing and records nothing.
    _admin_post(client, admin, crm, depends_on=[])  # the existing row stays (not deleted)
    assert _versions(crm) == before + 1


def test_the_admin_change_of_fields_and_dependencies_is_one_version(client, admin, work):
    crm, vendor, training = work
    before = _versions(crm)
    _admin_post(client, admin, crm, title="Roll out the new CRM", depends_on=[vendor, training])
    assert _versions(crm) == before + 1
    newest, [change] = _dependency_change(crm, admin)
    assert {c.field for c in newest.changes} == {"title", "depends_on"}
    assert change.after == "Pick a vendor, Train the sales team"


def test_add_through_the_manager_and_the_note_are_recorded(admin, work):
    crm, vendor, _ = work
    crm.depends_on.add(vendor, through_defaults={"note": "contract first"})
    record = Initiative.history.filter(id=crm.pk).order_by("-history_id").first()
    rows = list(type(record).depends_on.model.objects.filter(history=record))
    assert [(r.depends_on_id, r.note) for r in rows] == [(vendor.pk, "contract first")]
    _, [change] = _dependency_change(crm, admin)
    assert change.after == "Pick a vendor"


def test_a_dependency_the_reader_cannot_see_is_not_named(client, admin, leader, company, work):
    secret_team = TeamFactory(name="Skunkworks", slug="skunk", parent=company, is_private=True)
    secret = InitiativeFactory(
        objective=ObjectiveFactory(team=secret_team), team=secret_team, title="Secret merger"
    )
    crm = work[0]
    _admin_post(client, admin, crm, depends_on=[secret, work[1]])
    _, [change] = _dependency_change(crm, leader)
    assert "Secret merger" not in change.after
    assert change.after == f"Pick a vendor, {HIDDEN_NAME}"
    _, [change] = _dependency_change(crm, admin)
    assert change.after == "Pick a vendor, Secret merger"
    page = client.get(reverse("activity:history", args=["initiative", crm.pk]))
    assert "Secret merger" in page.content.decode()  # the office sees it
    client.force_login(leader)
    page = client.get(reverse("activity:history", args=["initiative", crm.pk]))
    assert page.status_code == 200
    assert "Secret merger" not in page.content.decode()


def test_deleting_the_initiative_depended_on_is_recorded_in_the_dependent(admin, work):
    crm, vendor, _ = work
    crm.depends_on.add(vendor)
    before = _versions(crm)
    initiative_delete(initiative=vendor)
    assert _versions(crm) == before + 1
    newest, [change] = _dependency_change(crm, admin)
    assert (change.before, change.after) == ("a deleted initiative", "—")
    assert newest.reason == "A dependency was deleted with its initiative."


def test_the_bulk_hand_over_keeps_the_dependencies_in_its_version(admin, work):
    crm, vendor, _ = work
    leaving = UserFactory()
    Initiative.objects.filter(pk=crm.pk).update(owner=leaving)
    crm.depends_on.add(vendor)
    before = _versions(crm)
    person_hand_over(leaving=leaving, successor=member_of(), by=admin)
    assert _versions(crm) == before + 1
    newest, dependencies = _dependency_change(crm, admin)
    assert dependencies == []  # the same dependencies: no change shown
    assert {c.field for c in newest.changes} == {"owner"}
