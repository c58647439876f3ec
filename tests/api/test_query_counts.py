"""Every list endpoint runs the same, pinned number of queries at 3 and at 30 rows."""

from __future__ import annotations

import datetime as dt
import itertools

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from activity.models import Comment
from assessment.api import SingleObjectSchema
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


def _review_meeting(plan):
    """A strategy review of the plan (run by the leader) and one of its meetings."""
    from django.contrib.auth import get_user_model
    from django.utils import timezone

    from reviews.models import Meeting, Review

    review = Review.objects.filter(name="Counted").first()
    if review is None:
        leader = get_user_model().objects.get(username="leader")
        review = Review.objects.create(name="Counted", strategy=plan.strategy, owner=leader)
        review.participants.set([leader])
        Meeting.objects.create(review=review, starts_at=timezone.now())
    return review, review.meetings.first()


def _add_review_row(endpoint: str, plan, i: int) -> None:
    from django.contrib.auth import get_user_model
    from django.utils import timezone

    from reviews.models import Meeting, Review
    from reviews.services import action_item_create, decision_record, pack_freeze

    review, meeting = _review_meeting(plan)
    leader = get_user_model().objects.get(username="leader")
    if endpoint == "reviews":
        Review.objects.create(name=f"R{i}", strategy=plan.strategy, owner=leader)
    elif endpoint == "meetings":
        Meeting.objects.create(review=review, starts_at=timezone.now())
    elif endpoint == "packs":
        pack_freeze(meeting=Meeting.objects.create(review=review, starts_at=timezone.now()))
    elif endpoint == "decisions":
        decision_record(
            meeting=meeting,
            text=f"D{i}",
            decided_by=leader,
            recorded_by=leader,
            kpi_ids=[plan.kpi.pk],
        )
    else:
        action_item_create(
            title=f"A{i}",
            owner=leader,
            due_date=timezone.localdate(),
            created_by=leader,
            meeting=meeting,
        )


def _office():
    from django.contrib.auth import get_user_model

    return get_user_model().objects.get(username="office")


def _survey(plan):
    """The plan's one survey (execution pulse), created by the office."""
    from strategy.access import access_for
    from surveys.models import Survey
    from surveys.services import survey_create

    survey = Survey.objects.filter(strategy=plan.strategy).first()
    if survey is None:
        office = _office()
        survey = survey_create(
            access=access_for(office),
            user=office,
            strategy=plan.strategy,
            template="execution_pulse",
        )
    return survey


_PERIODS = itertools.count()


def _new_period():
    """A period of its own: a strategy has one assessment report per period."""
    return PeriodFactory(name=f"Assessed {next(_PERIODS)}")


def _frozen_report(plan, i: int, barriers: int = 0):
    """A frozen assessment report with ``barriers`` ranked barriers touching both teams."""
    from tests.support.conftest import barrier_dict, frozen_report

    capabilities = ("structure", "leadership", "tools", "talent", "agility")
    return frozen_report(
        strategy=plan.strategy,
        period=_new_period(),
        as_of=dt.date(2026, 6, 1),
        teams={},
        title=f"Report {i}",
        barriers=[
            barrier_dict(
                capabilities[b % 5], rank=b + 1, team_ids=[plan.team.pk, plan.secret_team.pk]
            )
            for b in range(barriers)
        ],
    )


def _add_assessment_row(endpoint: str, plan, i: int) -> None:
    """A row of the capability, survey or support endpoints."""
    from assessment.models import CAPABILITIES, CapabilityAssessment
    from initiatives.models import Initiative
    from strategy.access import access_for
    from support.models import AssessmentReport, Barrier, SupportMeasure
    from support.services import support_measure_create
    from surveys.results import SURVEY_ITEMS
    from surveys.services import round_send, survey_create

    p = plan
    if endpoint == "capability-assessments":
        CapabilityAssessment.objects.create(
            strategy=p.strategy,
            team=(p.team, None)[i % 2],  # the leader's team, the organisation
            assessed_on=dt.date(2026, 1, 1) + dt.timedelta(days=i),
            **{f"{c}_score": 1 + (i % 5) for c in CAPABILITIES},
        )
    elif endpoint == "surveys":
        office = _office()
        survey_create(
            access=access_for(office),
            user=office,
            strategy=p.strategy,
            template="execution_pulse",
            name=f"S{i}",
        )
    elif endpoint == "survey-rounds":
        office = _office()
        round_send(
            access=access_for(office),
            user=office,
            survey=_survey(p),
            label=f"Round {i}",
            opens_on=dt.date(2026, 1, 1),
            closes_on=dt.date(2026, 1, 31),
            team_ids=[p.team.pk, p.secret_team.pk],
        )
    elif endpoint == "assessment-reports":
        if i % 2:
            _frozen_report(p, i, barriers=2)
        else:
            AssessmentReport.objects.create(
                strategy=p.strategy, period=_new_period(), title=f"D{i}"
            )
    elif endpoint == "barriers":
        _frozen_report(p, i, barriers=1)
    else:  # support measures, each on its own barrier, adoption measured three ways
        barrier = (
            Barrier.objects.filter(measures=None).first()
            or _frozen_report(p, i, barriers=5).barriers.order_by("rank").first()
        )
        adoption = (
            SupportMeasure.Adoption.CHECKIN_TIMELINESS,
            SupportMeasure.Adoption.SURVEY_ITEM,
            SupportMeasure.Adoption.KPI,
        )[i % 3]
        support_measure_create(
            barrier=barrier,
            initiative=Initiative(
                objective=p.objective,
                team=p.team,
                title=f"Measure {i}",
                start_date=dt.date(2026, 1, 1),
                due_date=dt.date(2026, 12, 31),
                status=Initiative.Status.ACTIVE,
            ),
            category=SupportMeasure.Category.PERFORMANCE_ROUTINE,
            capability=barrier.capability,
            test_teams=[p.team, p.secret_team],
            test_start=dt.date(2026, 1, 1),
            test_end=dt.date(2026, 3, 31),
            adoption=adoption,
            survey_item=SURVEY_ITEMS[0] if adoption == SupportMeasure.Adoption.SURVEY_ITEM else "",
            kpi=p.kpi if adoption == SupportMeasure.Adoption.KPI else None,
        )


ASSESSMENT_ENDPOINTS = (
    "capability-assessments",
    "surveys",
    "survey-rounds",
    "assessment-reports",
    "barriers",
    "support-measures",
)


def _add(endpoint: str, plan, n: int) -> None:
    p = plan
    if endpoint in ("reviews", "meetings", "packs", "decisions", "action-items"):
        for i in range(n):
            _add_review_row(endpoint, plan, i)
        return
    if endpoint in ASSESSMENT_ENDPOINTS:
        for i in range(n):
            _add_assessment_row(endpoint, plan, i)
        return
    for i in range(n):
        {
            "teams": lambda i: TeamFactory(parent=p.team),
            "people": lambda i: MembershipFactory(team=p.team),
            "memberships": lambda i: MembershipFactory(team=p.team),
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
            "comments": lambda i: Comment.objects.create(
                subject_type="objective", subject_id=p.objective.pk, body=f"Comment {i}"
            ),
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
    "memberships": 7,
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
    # + count, page, the people each mentions (prefetch)
    "comments": 8,
    # office: session, user, office group + count, page
    "webhooks": 5,
    "security-events": 5,
    # + count, page, participants (prefetch)
    "reviews": 8,
    # + count, page (the pack's id joined)
    "meetings": 7,
    # + count, page, the scope labels of the page's packs
    "packs": 8,
    # + count, page, the concerned KPIs' values and scores now, their names
    "decisions": 10,
    # + count, page
    "action-items": 7,
    # + count, page (scoped by team; the organisation's to anyone with a role)
    "capability-assessments": 7,
    # + count, page with the strategy joined, questions (prefetch)
    "surveys": 8,
    # + count, page with the survey joined, the rounds' teams, the survey's questions (prefetch)
    "survey-rounds": 9,
    # + count, page with strategy and period joined (the summary: no content rendered)
    "assessment-reports": 7,
    # + count, page with the report and its strategy joined, the measures each barrier has
    # (prefetch); names of the teams come from the reader's access (already read)
    "barriers": 8,
    # + count, page (the ids), the measures with initiative, owner, team, barrier and report,
    # their test teams, the frozen reports, the adoption KPIs' latest scores, check-in
    # timeliness (initiatives, last check-ins), capability assessments, and the rounds of each
    # standard survey item (one per item, not per row)
    "support-measures": 20,
}


# Endpoints whose ``list`` answers one computed report object, not rows (``SingleObjectSchema``
# documents it so): their counts are pinned below, as the organisation's data grows.
SINGLE_OBJECTS = {"capability-evidence", "calibration"}


def test_every_list_endpoint_has_a_pinned_count():
    # Endpoints without a list (``me``: the reader's own settings; ``plan-import``: an upload)
    # have no rows to count.
    lists = {prefix for prefix, viewset, _ in router.registry if hasattr(viewset, "list")}
    assert lists - SINGLE_OBJECTS == set(EXPECTED)
    assert {"me", "plan-import"}.isdisjoint(lists)
    for prefix, viewset, _ in router.registry:
        assert (prefix in SINGLE_OBJECTS) == isinstance(viewset.schema, SingleObjectSchema), prefix


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


def _add_assessed_team(plan, i: int) -> None:
    """A team under the leader's with its own leader, objective, a closed initiative with an
    early check-in (its confidence is calibrated), a live one with a red check-in and tagged
    blockers, a KPI measured by the API and scored with a forecast, an alert with an event and
    two capability assessments: every source of the evidence and the calibration."""
    from django.utils import timezone

    from assessment.models import CAPABILITIES, CapabilityAssessment
    from initiatives.models import CheckIn, Initiative
    from metrics.models import AlertEvent, Measurement
    from tests.factories import UserFactory

    now = timezone.now()
    team = TeamFactory(parent=plan.team)
    boss = UserFactory()
    MembershipFactory(user=boss, team=team, role="leader")
    objective = ObjectiveFactory(theme=plan.theme, period=plan.period, team=team, owner=boss)
    done = InitiativeFactory(
        objective=objective,
        team=team,
        owner=boss,
        status=Initiative.Status.DONE,
        due_date=dt.date(2026, 5, 1),
        completed_on=dt.date(2026, 4, 1),
    )
    CheckInFactory(initiative=done, confidence=70, created_at=now - dt.timedelta(days=300))
    live = InitiativeFactory(objective=objective, team=team, owner=boss)
    CheckInFactory(
        initiative=live,
        rag=CheckIn.Rag.RED,
        blockers="Need a data engineer",
        blocker_tags="skills",
        created_at=now - dt.timedelta(days=3),
    )
    kpi = KPIFactory(objective=objective, team=team, owner=boss)
    MeasurementFactory(kpi=kpi, source=Measurement.Source.API)
    GapScoreFactory(
        subject_id=kpi.pk,
        data_quality={"confidence": "fair"},
        forecast={"method": "trend", "probability_on_target": 0.5},
    )
    alert = AlertFactory(team=team, subject_id=900_000_000 + team.pk)
    AlertEvent.objects.create(alert=alert, kind="opened", severity=2, at=now)
    for day in (dt.date(2026, 3, 1), dt.date(2026, 6, 1)):
        CapabilityAssessment.objects.create(
            strategy=plan.strategy,
            team=team,
            assessed_on=day,
            **{f"{c}_score": 1 + i % 5 for c in CAPABILITIES},
        )


# The session request's five queries (as above), then the report's own over what the reader
# sees, never per team or row. ``?team=`` adds the team. Evidence (26): the current strategy,
# the team tree (twice), the ownership figures of objectives, initiatives, KPIs and teams (one
# aggregate each), the survey rounds of its items (twice), the check-ins and their authors'
# memberships, comments, check-in cadence, the KPIs' latest measurement sources, names and data
# quality, whether there are check-ins, blocker tags, alert events, initiatives' first
# check-ins and due-date history.
# Calibration (10): the current strategy, the team tree, the closed initiatives' check-ins with
# owner and team, the team tree again, the KPIs' forecasts and their outcomes.
SINGLE_OBJECT_EXPECTED = {
    "capability-evidence": 26,
    "capability-evidence?team": 27,
    "calibration": 10,
    "calibration?team": 11,
}


@pytest.mark.parametrize("report", sorted(SINGLE_OBJECT_EXPECTED))
def test_single_object_report_query_count_is_constant(report, plan, leader, client):
    client.force_login(leader)
    endpoint, _, scoped = report.partition("?")
    url = f"/api/v1/{endpoint}/" + (f"?team={plan.team.pk}" if scoped else "")
    counts = []
    for teams in (3, 27):  # 3 assessed teams, then 30
        for i in range(teams):
            _add_assessed_team(plan, i)
        with CaptureQueriesContext(connection) as ctx:
            response = client.get(url)
        assert response.status_code == 200, response.content
        counts.append(len(ctx.captured_queries))
    sql = "\n".join(q["sql"][:200] for q in ctx.captured_queries)
    assert counts == [SINGLE_OBJECT_EXPECTED[report]] * 2, f"{report}: {counts}\n{sql}"
