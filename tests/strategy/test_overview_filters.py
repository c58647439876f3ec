"""The overview's theme and team filters apply to every widget (issue #15): the health card
and its trend, the alert counts, the top alerts and the team chart. Each test failed before:
those widgets read the whole strategy whatever the filters."""

from __future__ import annotations

import datetime as dt

import pytest
from django.urls import reverse
from django.utils import timezone

from metrics.models import Alert, GapScore, SubjectType
from strategy.access import access_for
from strategy.selectors import OverviewFilters
from tests.factories import (
    AlertFactory,
    InitiativeFactory,
    KPIFactory,
    MilestoneFactory,
    ObjectiveFactory,
    TeamFactory,
)
from workspace.overview import overview_build

pytestmark = pytest.mark.django_db


def build(access, **filters):
    return overview_build(
        access=access, filters=OverviewFilters(**filters), today=timezone.localdate()
    )


def add_score(subject_type, subject_id, score, status="at_risk", when=None):
    GapScore.objects.filter(
        subject_type=subject_type, subject_id=subject_id, is_latest=True
    ).update(is_latest=False)
    return GapScore.objects.create(
        subject_type=subject_type,
        subject_id=subject_id,
        as_of=timezone.localdate(),
        status=status,
        score=score,
        reason=f"Scored {score}.",
        computed_at=when or timezone.now(),
    )


@pytest.fixture
def scored(plan):
    """Scores for the strategy, each theme and each team, distinct from each other."""
    add_score(SubjectType.STRATEGY, plan.strategy.pk, 77.0)
    for i, theme in enumerate(plan.themes):
        add_score(SubjectType.THEME, theme.pk, 40.0 + i)
    return plan


def test_health_card_and_trend_follow_the_theme_filter(client, scored, leader):
    plan = scored
    theme = plan.themes[1]
    earlier = timezone.now() - dt.timedelta(days=3)
    GapScore.objects.create(
        subject_type=SubjectType.THEME,
        subject_id=theme.pk,
        as_of=timezone.localdate() - dt.timedelta(days=3),
        status="off_track",
        score=30.0,
        is_latest=False,
        computed_at=earlier,
    )
    access = access_for(leader)
    whole = build(access)
    assert whole.strategy_score.score == 77.0
    assert whole.health_label == "Execution health"
    focused = build(access, theme_id=theme.pk)
    assert focused.strategy_score.score == 41.0
    assert focused.health_label == f"Health of {theme.name}"
    assert [score for _, score in focused.trend] == [30.0, 41.0]
    client.force_login(leader)
    body = client.get(reverse("strategy:overview"), {"theme": theme.pk}).content.decode()
    assert f"Health of {theme.name}" in body
    assert "Scored 41.0." in body


def test_health_card_follows_the_team_filter_only_for_a_team_the_reader_sees(
    scored, leader, team, company
):
    add_score(SubjectType.TEAM, team.pk, 55.0)
    secret = TeamFactory(name="Secret", slug="secret", parent=company, is_private=True)
    add_score(SubjectType.TEAM, secret.pk, 12.0)
    access = access_for(leader)
    assert build(access, team_id=team.pk).strategy_score.score == 55.0
    hidden = build(access, team_id=secret.pk)
    assert hidden.strategy_score is None
    assert hidden.trend == []
    assert "Secret" not in hidden.health_label


def test_alert_counts_and_top_alerts_follow_the_theme_filter(scored, leader, team):
    plan = scored
    theme = plan.themes[0]
    access = access_for(leader)
    in_theme = [o for o in plan.objectives if o.theme_id == theme.pk and o.team_id == team.pk]
    objective = in_theme[0]
    initiative = InitiativeFactory(objective=objective, team=team)
    milestone = MilestoneFactory(initiative=initiative)
    kpi_of_initiative = KPIFactory(objective=None, initiative=initiative, team=team)
    subjects = [
        (SubjectType.OBJECTIVE, objective.pk),
        (SubjectType.INITIATIVE, initiative.pk),
        (SubjectType.MILESTONE, milestone.pk),
        (SubjectType.KPI, kpi_of_initiative.pk),
        (SubjectType.THEME, theme.pk),
    ]
    mine = [
        AlertFactory(
            subject_type=kind,
            subject_id=pk,
            team=team if kind != SubjectType.THEME else None,
            severity=Alert.Severity.CRITICAL,
            title=f"In theme {kind}",
        )
        for kind, pk in subjects
    ]
    whole = build(access)
    focused = build(access, theme_id=theme.pk)
    visible = Alert.objects.filter(access.alert_filter(), status__in=Alert.ACTIVE_STATUSES)
    assert whole.alert_counts["total"] == visible.count()
    # Only alerts about the theme's work: the plan's alerts of other themes are left out.
    expected = visible.filter(pk__in=[a.pk for a in mine]).count() + sum(
        1
        for a in plan.alerts
        if a.subject_type == SubjectType.KPI
        and a.subject_id in {k.pk for k in plan.kpis if k.objective.theme_id == theme.pk}
        and access.can_view_alert(a)
    )
    assert focused.alert_counts["total"] == expected
    assert focused.alert_counts["total"] < whole.alert_counts["total"]
    assert focused.alert_counts["critical"] >= len(mine)
    # The top alerts are the most severe of those.
    top_ids = {a.pk for a in focused.alerts}
    other_theme_kpis = {k.pk for k in plan.kpis if k.objective.theme_id != theme.pk}
    assert not [a for a in plan.alerts if a.pk in top_ids and a.subject_id in other_theme_kpis]
    assert any(a.pk in top_ids for a in mine)
    other = build(access, theme_id=plan.themes[2].pk)
    assert not {a.pk for a in mine} & {a.pk for a in other.alerts}


def test_team_chart_follows_the_theme_filter(scored, leader, team, other_team, company):
    plan = scored
    access = access_for(leader)
    add_score(SubjectType.TEAM, team.pk, 60.0)
    add_score(SubjectType.TEAM, other_team.pk, 50.0)
    idle = TeamFactory(name="Idle", slug="idle", parent=company)
    add_score(SubjectType.TEAM, idle.pk, 20.0)
    assert {team.pk, other_team.pk, idle.pk} <= set(build(access).team_scores)
    # A theme whose objectives only one team owns.
    theme = plan.themes[0]
    only = ObjectiveFactory(strategy=plan.strategy, theme=theme, team=idle, title="Idle goal")
    owners = {o.team_id for o in plan.objectives if o.theme_id == theme.pk} | {only.team_id}
    focused = build(access, theme_id=theme.pk)
    assert set(focused.team_scores) == owners & set(build(access).team_scores)
    lonely = plan.themes[2]
    owners = {o.team_id for o in plan.objectives if o.theme_id == lonely.pk}
    assert idle.pk not in build(access, theme_id=lonely.pk).team_scores
    assert set(build(access, theme_id=lonely.pk).team_scores) <= owners


def test_overview_with_theme_filter_runs_the_same_number_of_queries(
    client, scored, leader, django_assert_num_queries
):
    client.force_login(leader)
    # As test_views_pages.LEADER_QUERIES["overview"]: the filters add subqueries, no query.
    with django_assert_num_queries(23):
        response = client.get(
            reverse("strategy:overview"),
            {"theme": scored.themes[0].pk, "period": scored.objectives[0].period_id},
        )
    assert response.status_code == 200
