"""Issue #15: owners and contributors picked by name with a search (strategy:people-choose,
read through the one people-picker rule ``people_choosable``), the list showing names."""

from __future__ import annotations

import pytest
from django.urls import reverse

from strategy.forms import PICKER_SHOWN
from tests.factories import (
    InitiativeFactory,
    MembershipFactory,
    ObjectiveFactory,
    TeamFactory,
    UserFactory,
)

pytestmark = pytest.mark.django_db
URL = "/people/choose/"


def test_the_search_finds_choosable_people_by_name_and_never_hidden_ones(
    client, member, team, company
):
    ann = UserFactory(username="al", first_name="Ann", last_name="Lee")
    MembershipFactory(user=ann, team=team)
    hidden_team = TeamFactory(parent=company, is_private=True)
    annika = UserFactory(username="ak", first_name="Annika", last_name="Secret")
    MembershipFactory(user=annika, team=hidden_team)
    client.force_login(member)
    found = client.get(URL, {"q": "ann"}).json()
    assert found == {"people": [{"id": ann.pk, "name": "Ann Lee"}], "more": False}
    assert client.get(URL, {"q": "ann le"}).json()["people"] == [{"id": ann.pk, "name": "Ann Lee"}]
    assert client.get(URL, {"q": "secret"}).json()["people"] == []
    assert client.get(URL, {"q": "\x00"}).status_code == 200


def test_someone_without_a_role_finds_nobody(client, outsider, team):
    MembershipFactory(user=UserFactory(first_name="Ann"), team=team)
    client.force_login(outsider)
    assert client.get(URL, {"q": "ann"}).json()["people"] == []
    client.logout()
    assert client.get(URL, {"q": "ann"}).status_code == 302


def test_the_picker_shows_names_the_chosen_and_the_first_ones(
    client, leader, team, django_assert_max_num_queries
):
    people = [UserFactory(first_name=f"P{i:03d}", last_name="Person") for i in range(60)]
    for person in people:
        MembershipFactory(user=person, team=team)
    late = UserFactory(username="zed", first_name="Zoe", last_name="Zed")
    MembershipFactory(user=late, team=team)
    initiative = InitiativeFactory(objective=ObjectiveFactory(team=team), team=team, owner=late)
    initiative.contributors.add(late)
    client.force_login(leader)
    page = client.get(reverse("initiatives:initiative-edit", args=[initiative.pk]))
    html = page.content.decode()
    assert 'data-people-search="/people/choose/"' in html
    assert f'<option value="{late.pk}" selected>Zoe Zed</option>' in html  # chosen: kept
    assert ">zed<" not in html  # names, not usernames
    shown = html.count("Person</option>")
    assert shown <= 2 * PICKER_SHOWN  # owner and contributors lists, each limited
    assert shown < 2 * len(people)
    # Anyone choosable may still be chosen, shown or not.
    form = page.context["form"]
    assert form.fields["owner"].queryset.filter(pk=people[-1].pk).exists()
