"""An initiative's contributors (a many-to-many field) in its history: each change is one
version, whatever the path (the save service, contributors alone, creation, the admin, the
bulk hand-over), and the History tab names who was added or removed."""

from __future__ import annotations

import pytest
from django.urls import reverse

from activity.history import history_for
from initiatives.models import Initiative
from initiatives.services import initiative_contributors_set, initiative_save
from strategy.access import access_for
from strategy.people_services import person_hand_over
from tests.factories import InitiativeFactory, ObjectiveFactory, UserFactory, member_of

pytestmark = pytest.mark.django_db


def _versions(initiative) -> int:
    return Initiative.history.filter(id=initiative.pk).count()


def _contributors_change(initiative, reader):
    history = history_for(kind="initiative", pk=initiative.pk, access=access_for(reader))
    newest = history.versions[0]
    return newest, [c for c in newest.changes if c.field == "contributors"]


@pytest.fixture
def people(team):
    return [
        member_of(team, first_name="Ada", last_name="Lovelace"),
        member_of(team, first_name="Grace", last_name="Hopper"),
    ]


def test_a_save_with_new_contributors_is_one_version(team, admin, people):
    initiative = initiative_save(
        initiative=InitiativeFactory.build(
            objective=ObjectiveFactory(team=team), team=team, owner=None
        ),
        by=admin,
    )
    before = _versions(initiative)
    changed = Initiative.objects.get(pk=initiative.pk)
    changed.title = "Renamed"
    initiative_save(initiative=changed, contributors=people, by=admin)
    assert _versions(initiative) == before + 1
    newest, [change] = _contributors_change(initiative, admin)
    assert {c.field for c in newest.changes} == {"title", "contributors"}
    assert change.before == "—"
    assert change.after == "Ada Lovelace, Grace Hopper"


def test_contributors_alone_are_one_version_and_no_change_none(team, admin, people):
    initiative = InitiativeFactory(objective=ObjectiveFactory(team=team), team=team)
    initiative_contributors_set(initiative=initiative, contributors=people, by=admin)
    before = _versions(initiative)
    assert initiative_contributors_set(initiative=initiative, contributors=people[:1], by=admin)
    assert _versions(initiative) == before + 1
    newest, [change] = _contributors_change(initiative, admin)
    assert newest.by is not None
    assert (change.before, change.after) == ("Ada Lovelace, Grace Hopper", "Ada Lovelace")
    # The same people again: nothing changed, nothing recorded.
    assert not initiative_contributors_set(initiative=initiative, contributors=people[:1])
    initiative_save(initiative=Initiative.objects.get(pk=initiative.pk), contributors=people[:1])
    assert _versions(initiative) == before + 1


def test_a_creation_with_contributors_is_one_version_listing_them(team, admin, people):
    initiative = initiative_save(
        initiative=InitiativeFactory.build(
            objective=ObjectiveFactory(team=team), team=team, owner=None
        ),
        contributors=people,
        by=admin,
    )
    assert _versions(initiative) == 1
    newest, [change] = _contributors_change(initiative, admin)
    assert newest.action == "created"
    assert change.after == "Ada Lovelace, Grace Hopper"


def test_the_admin_records_a_change_with_contributors_once(client, team, admin, people):
    initiative = InitiativeFactory(objective=ObjectiveFactory(team=team), team=team)
    admin.is_staff = admin.is_superuser = True
    admin.save()
    client.force_login(admin)
    url = reverse("admin:initiatives_initiative_change", args=[initiative.pk])
    form = client.get(url).context["adminform"].form
    data = {
        name: value
        for name, value in form.initial.items()
        if value is not None and name not in ("contributors",)
    }
    for formset in client.get(url).context["inline_admin_formsets"]:
        management = formset.formset.management_form
        prefix = management.prefix
        for key in ("TOTAL_FORMS", "INITIAL_FORMS", "MIN_NUM_FORMS", "MAX_NUM_FORMS"):
            data[f"{prefix}-{key}"] = management.initial.get(key, 0)
    data.update({"title": "Renamed in the admin", "contributors": [p.pk for p in people]})
    data = {k: ("" if v is None else (v.pk if hasattr(v, "pk") else v)) for k, v in data.items()}
    before = _versions(initiative)
    response = client.post(url, data)
    assert response.status_code == 302, response.context["adminform"].form.errors
    assert _versions(initiative) == before + 1
    _, [change] = _contributors_change(initiative, admin)
    assert change.after == "Ada Lovelace, Grace Hopper"


def test_the_bulk_hand_over_keeps_the_contributors_in_its_version(team, admin, people):
    leaving, successor = UserFactory(), member_of(team)
    initiative = InitiativeFactory(owner=leaving, objective=ObjectiveFactory(team=team), team=team)
    initiative_contributors_set(initiative=initiative, contributors=people, by=admin)
    before = _versions(initiative)
    person_hand_over(leaving=leaving, successor=successor, by=admin)
    assert _versions(initiative) == before + 1
    newest, contributors = _contributors_change(initiative, admin)
    assert contributors == []  # the same people: no change shown
    assert {c.field for c in newest.changes} == {"owner"}
