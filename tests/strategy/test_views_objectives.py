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


def test_a_period_that_does_not_match_the_dates_is_a_field_error(client, leader, objective):
    """Issue #15: a Q3 period for an objective dated in Q1 is refused at the period field,
    what was typed kept, on the page and in the API (one rule: Objective.clean)."""
    from rest_framework.test import APIClient

    q3 = PeriodFactory(
        name="Q3 2026", kind="quarter", start_date="2026-07-01", end_date="2026-09-30"
    )
    client.force_login(leader)
    url = reverse("strategy:objective-edit", args=[objective.pk])
    data = _data(
        objective,
        title="Nordics in Q1",
        period=q3.pk,
        start_date="2026-01-05",
        due_date="2026-03-31",
    )
    response = client.post(url, data)
    assert response.status_code == 200
    form = response.context["form"]
    assert list(form.errors) == ["period"]
    assert "Q3 2026 runs" in form.errors["period"][0]
    html = response.content.decode()
    assert 'value="Nordics in Q1"' in html
    assert 'value="2026-01-05"' in html
    objective.refresh_from_db()
    assert objective.title == "Win the Nordics"
    # The same dates in a period they fall in are accepted.
    q1 = PeriodFactory(
        name="Q1 2026", kind="quarter", start_date="2026-01-01", end_date="2026-03-31"
    )
    assert client.post(url, {**data, "period": q1.pk}).status_code == 302
    # The API refuses alike, with field detail.
    api = APIClient()
    api.force_login(leader)
    refused = api.patch(f"/api/v1/objectives/{objective.pk}/", {"period": q3.pk}, format="json")
    assert refused.status_code == 400
    assert [(e["field"], e["code"]) for e in refused.json()["errors"]] == [
        ("period", "inconsistent")
    ]
    objective.refresh_from_db()
    assert objective.period_id == q1.pk


def test_dates_are_shown_and_read_in_the_readers_locale(client, leader, objective):
    """Issue #15: the reader's locale (Accept-Language) decides how dates are written on the
    forms' messages and how typed dates are read; ISO dates (the date inputs) always work."""
    from django.utils import translation

    from security.forms import TokenCreateForm

    q3 = PeriodFactory(
        name="Q3 2026", kind="quarter", start_date="2026-07-01", end_date="2026-09-30"
    )
    client.force_login(leader)
    url = reverse("strategy:objective-edit", args=[objective.pk])
    data = _data(objective, period=q3.pk, start_date="2026-01-05", due_date="2026-03-31")
    uk = client.post(url, data, headers={"accept-language": "en-GB,en;q=0.8"})
    assert "runs 01/07/2026 to 30/09/2026" in uk.context["form"].errors["period"][0]
    us = client.post(url, data, headers={"accept-language": "en-US"})
    assert "runs 07/01/2026 to 09/30/2026" in us.context["form"].errors["period"][0]
    for language, typed in (("en-gb", "31/12/2026"), ("en", "12/31/2026"), ("en", "2026-12-31")):
        with translation.override(language):
            form = TokenCreateForm(
                {"name": "x", "scopes": ["read"], "expires_on": typed},
                can_contribute=True,
                max_days=90,
            )
            assert form.is_valid(), (language, typed, form.errors)
            assert form.cleaned_data["expires_on"].isoformat() == "2026-12-31"
