"""Turning an action item into an initiative from the pages: the button on the item's row,
the form, the permission check, and the result (a proposed initiative; the item done and
linked)."""

from __future__ import annotations

import datetime as dt

import pytest
from django.urls import reverse
from django.utils import timezone

from initiatives.models import Initiative
from reviews.models import ActionItem
from reviews.services import action_item_create


@pytest.fixture
def item(meeting, member, team):
    # About the team's work: its leaders may update it (strategy-wide items: owner and office).
    return action_item_create(
        team_id=team.pk,
        title="Pilot the new onboarding",
        owner=member,
        due_date=timezone.localdate() + dt.timedelta(days=20),
        created_by=member,
        meeting=meeting,
    )


def test_my_work_row_links_to_the_form_and_a_leader_turns_it_into_an_initiative(
    client, item, leader, member, private_plan, team
):
    client.force_login(member)
    html = client.get(reverse("initiatives:my-work")).content.decode()
    url = reverse("reviews:action-item-to-initiative", args=[item.pk])
    assert url in html
    objective = next(o for o in private_plan.objectives if o.team_id == team.pk)
    client.force_login(leader)
    page = client.get(url)
    assert page.status_code == 200
    assert f'value="{objective.pk}"' in page.content.decode()
    response = client.post(url, {"objective": objective.pk})
    initiative = Initiative.objects.get(title="Pilot the new onboarding")
    assert response.status_code == 302
    assert response["Location"] == initiative.get_absolute_url()
    assert initiative.objective == objective
    assert initiative.owner == member
    assert initiative.status == Initiative.Status.PROPOSED
    item.refresh_from_db()
    assert item.status == ActionItem.Status.DONE
    assert item.initiative_id == initiative.pk


def test_a_member_who_leads_no_team_cannot_propose_it(client, item, member, private_plan, team):
    client.force_login(member)
    url = reverse("reviews:action-item-to-initiative", args=[item.pk])
    page = client.get(url)
    assert page.status_code == 200
    assert "You lead no team" in page.content.decode()
    objective = next(o for o in private_plan.objectives if o.team_id == team.pk)
    response = client.post(url, {"objective": objective.pk})
    assert response.status_code == 400
    assert not Initiative.objects.filter(title="Pilot the new onboarding").exists()
    item.refresh_from_db()
    assert item.status == ActionItem.Status.OPEN


def test_others_get_403_or_404_and_a_closed_item_is_not_turned(
    client, item, viewer, outsider, leader, private_plan, team
):
    url = reverse("reviews:action-item-to-initiative", args=[item.pk])
    client.force_login(outsider)
    assert client.get(url).status_code == 404
    client.force_login(viewer)
    assert client.get(url).status_code == 403
    item.status = ActionItem.Status.DROPPED
    item.save()
    client.force_login(leader)
    objective = next(o for o in private_plan.objectives if o.team_id == team.pk)
    assert client.post(url, {"objective": objective.pk}).status_code == 302
    assert not Initiative.objects.filter(title="Pilot the new onboarding").exists()


def test_a_private_teams_objective_is_not_offered_nor_accepted(
    client, item, leader, private_plan, other_team
):
    hidden = next(o for o in private_plan.objectives if o.team_id == other_team.pk)
    url = reverse("reviews:action-item-to-initiative", args=[item.pk])
    client.force_login(leader)
    assert f'value="{hidden.pk}"' not in client.get(url).content.decode()
    assert client.post(url, {"objective": hidden.pk}).status_code == 400
    assert not Initiative.objects.filter(title="Pilot the new onboarding").exists()
