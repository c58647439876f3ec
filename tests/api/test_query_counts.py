"""Every list endpoint runs the same, pinned number of queries at 3 and at 30 rows."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from execsupport.api_urls import router
from metrics.models import SubjectType
from security.models import SecurityEvent
from strategy.derived import part, ref
from tests.factories import (
    AlertFactory,
    CheckInFactory,
    GapScoreFactory,
    InitiativeFactory,
    KPIFactory,
    MeasurementFactory,
    MembershipFactory,
    MilestoneFactory,
    ObjectiveFactory,
    PeriodFactory,
    SpendEntryFactory,
    StrategyFactory,
    TeamFactory,
    ThemeFactory,
    WebhookFactory,
)


def _add(endpoint: str, plan, n: int) -> None:
    p = plan
    for i in range(n):
        {
            "teams": lambda i: TeamFactory(parent=p.team),
            "people": lambda i: MembershipFactory(team=p.team),
            "periods": lambda i: PeriodFactory(
                name=f"P{i}", start_date=dt.date(2030, 1, 1), end_date=dt.date(2030, 2, 1)
            ),
            "strategies": lambda i: StrategyFactory(),
            "themes": lambda i: ThemeFactory(strategy=p.strategy),
            "objectives": lambda i: GapScoreFactory(
                subject_type=SubjectType.OBJECTIVE,
                subject_id=ObjectiveFactory(theme=p.theme, period=p.period, team=p.team).pk,
            ),
            "initiatives": lambda i: GapScoreFactory(
                subject_type=SubjectType.INITIATIVE,
                subject_id=InitiativeFactory(objective=p.objective).pk,
            ),
            "milestones": lambda i: MilestoneFactory(initiative=p.initiative),
            "checkins": lambda i: CheckInFactory(initiative=p.initiative),
            "spend": lambda i: SpendEntryFactory(initiative=p.initiative),
            "kpis": lambda i: GapScoreFactory(
                subject_type=SubjectType.KPI, subject_id=KPIFactory(objective=p.objective).pk
            ),
            "measurements": lambda i: MeasurementFactory(kpi=p.kpi),
            "scores": lambda i: GapScoreFactory(
                subject_type=SubjectType.INITIATIVE,
                subject_id=InitiativeFactory(objective=p.objective).pk,
                # mentions another subject, as the engine stores it
                reason_parts=part("Behind because of {0}.", **{"0": ref("kpi", p.kpi.pk)}),
            ),
            "alerts": lambda i: AlertFactory(
                team=p.team,
                title_parts=part("KPI off track: {0}", **{"0": ref("kpi", p.kpi.pk)}),
            ),
            "webhooks": lambda i: WebhookFactory(),
            "security-events": lambda i: SecurityEvent.objects.create(
                kind=SecurityEvent.Kind.SIGN_IN, actor_name="leader", subject_name="leader"
            ),
        }[endpoint](i)


# Queries of a session request by a non-office person: session, user, then strategy.access's
# office-group check, memberships and teams; then the endpoint's own. For the office (webhooks): session, user, groups.
EXPECTED = {
    # + count, page, memberships of those people (prefetch)
    "people": 8,
    # + count, page
    "teams": 7,
    "periods": 7,
    "strategies": 7,
    "themes": 7,
    "milestones": 7,
    "checkins": 7,
    "spend": 7,
    # + count, page, the labels of what the alerts mention (one UNION, strategy.derived)
    "alerts": 8,
    # + count, page, latest scores
    "objectives": 8,
    # + version (rows, which counts them for the page), version (scores), page, contributors,
    # latest scores
    "initiatives": 10,
    # + version (rows, which counts them for the page), version (scores), page, latest scores
    "kpis": 9,
    # + cursor page with the KPI joined (no count)
    "measurements": 6,
    # + version (which counts the rows), page, the labels of what the scores mention (one
    # UNION, strategy.derived)
    "scores": 8,
    # office: session, user, office group + count, page
    "webhooks": 5,
    "security-events": 5,
}


def test_every_list_endpoint_has_a_pinned_count():
    assert {prefix for prefix, _, _ in router.registry} == set(EXPECTED)


@pytest.mark.parametrize("endpoint", sorted(EXPECTED))
def test_list_query_count_is_constant(endpoint, plan, leader, admin, client):
    client.force_login(admin if endpoint in ("webhooks", "security-events") else leader)
    url = f"/api/v1/{endpoint}/?page_size=100"
    counts = []
    for rows in (3, 27):  # 3 rows, then 30
        _add(endpoint, plan, rows)
        with CaptureQueriesContext(connection) as ctx:
            response = client.get(url)
        assert response.status_code == 200
        results = response.json()["results"]
        assert len(results) >= rows
        counts.append(len(ctx.captured_queries))
    sql = "\n".join(q["sql"][:200] for q in ctx.captured_queries)
    assert counts == [EXPECTED[endpoint]] * 2, f"{endpoint}: {counts}\n{sql}"
