from __future__ import annotations

import pytest
from django.urls import reverse

from metrics.models import SubjectType
from strategy.models import Objective, Strategy
from tests.factories import (
    GapScoreFactory,
    InitiativeFactory,
    KPIFactory,
    MeasurementFactory,
    MembershipFactory,
    ObjectiveFactory,
    PeriodFactory,
    ThemeFactory,
    UserFactory,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def objective(team):
    theme = ThemeFactory(strategy__status=Strategy.Status.ACTIVE)
    owner = UserFactory()  # a member of the team: the owner picker offers only visible people
    MembershipFactory(user=owner, team=team)
    return ObjectiveFactory(theme=theme, team=team, owner=owner, title="Win the Nordics")


def test_objective_page_explains_its_score_and_lists_what_hangs_below(client, viewer, objective):
    child = ObjectiveFactory(
        theme=objective.theme, team=objective.team, parent=objective, title="Open Oslo office"
    )
    InitiativeFactory(objective=objective, title="Hire a country manager")
    kpi = KPIFactory(objective=objective, team=objective.team, name="Nordic revenue")
    for value in (1, 2, 3):
        MeasurementFactory(kpi=kpi, value=value)
    GapScoreFactory(
        subject_type=SubjectType.OBJECTIVE,
        subject_id=objective.pk,
        status="at_risk",
        reason="Behind because KPI Nordic revenue is 30 % below trajectory.",
        components={
            "kpis": {
                "key": "kpis",
                "label": "Its KPIs",
                "score": 60.0,
                "weight": 1.0,
                "status": "at_risk",
                "detail": "1 KPI",
            }
        },
        contributors=[
            {
                "label": "Nordic revenue",
                "gap_points": 14.0,
                "explanation": "KPI Nordic revenue is 30 % below trajectory",
            }
        ],
    )
    client.force_login(viewer)
    html = client.get(objective.get_absolute_url()).content.decode()
    assert "Behind because KPI Nordic revenue is 30 % below trajectory." in html
    assert "Its KPIs" in html  # components keyed by name are shown too
    assert child.title in html
    assert "Hire a country manager" in html
    assert '<svg class="sparkline"' in html
    assert "Edit objective" not in html


def test_breadcrumb_reaches_the_top(client, leader, objective):
    middle = ObjectiveFactory(
        theme=objective.theme, team=objective.team, parent=objective, title="Open Oslo"
    )
    leaf = ObjectiveFactory(
        theme=objective.theme, team=objective.team, parent=middle, title="Sign the lease"
    )
    client.force_login(leader)
    html = client.get(leaf.get_absolute_url()).content.decode()
    crumbs = html[html.index('class="crumbs"') :]
    assert crumbs.index(objective.title) < crumbs.index(middle.title) < crumbs.index(leaf.title)


def _data(objective, **changes):
    data = {
        "title": objective.title,
        "description": "",
        "theme": objective.theme_id,
        "period": objective.period_id,
        "team": objective.team_id,
        "parent": objective.parent_id or "",
        "owner": objective.owner_id or "",
        "priority": objective.priority,
        "weight": "1",
        "status": objective.status,
        "start_date": objective.start_date.isoformat(),
        "due_date": objective.due_date.isoformat(),
    }
    data.update(changes)
    return data


def test_leader_edits_objective_and_cycles_are_refused(client, leader, objective):
    child = ObjectiveFactory(theme=objective.theme, team=objective.team, parent=objective)
    client.force_login(leader)
    url = reverse("strategy:objective-edit", args=[objective.pk])
    response = client.post(url, _data(objective, title="Win the Nordics and Baltics"))
    assert response.status_code == 302
    response = client.post(url, _data(objective, parent=child.pk, title="Cycle attempt"))
    assert response.status_code == 200
    assert "would make a cycle" in response.content.decode()
    assert 'value="Cycle attempt"' in response.content.decode()
    objective.refresh_from_db()
    assert (objective.title, objective.parent_id) == ("Win the Nordics and Baltics", None)


def test_member_and_other_leaders_cannot_edit(client, member, objective, other_team):
    client.force_login(member)
    assert client.get(reverse("strategy:objective-edit", args=[objective.pk])).status_code == 403
    theirs = ObjectiveFactory(theme=objective.theme, team=other_team)

    other_leader = UserFactory()
    MembershipFactory(user=other_leader, team=other_team, role="leader")
    client.force_login(other_leader)
    assert client.get(reverse("strategy:objective-edit", args=[objective.pk])).status_code == 403
    assert client.get(reverse("strategy:objective-edit", args=[theirs.pk])).status_code == 200


def test_leader_creates_an_objective_in_their_team(client, leader, objective, team, other_team):
    client.force_login(leader)
    url = reverse("strategy:objective-new")
    data = _data(objective, title="Grow partner sales", period=PeriodFactory().pk)
    response = client.post(url, {**data, "team": other_team.pk})
    assert response.status_code == 200  # not a team they lead
    assert client.post(url, data).status_code == 302
    assert Objective.objects.filter(title="Grow partner sales", team=team).exists()
