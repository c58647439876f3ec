"""The assessment report, its barriers, the support plan and its tracking (pages and API)."""

from __future__ import annotations

import datetime as dt

import pytest
from django.urls import reverse
from django.utils import timezone

from assessment.models import CapabilityAssessment
from initiatives.models import Initiative
from metrics.models import GapScore, SubjectType
from strategy.access import access_for
from support.models import AssessmentReport, Barrier, SupportMeasure
from support.selectors import plan_read
from support.services import support_measure_create
from tests.factories import PeriodFactory, TeamFactory
from tests.support.conftest import barrier_dict, frozen_report

pytestmark = pytest.mark.django_db

TODAY = timezone.localdate()


def _assess(strategy, team, **scores):
    values = {f"{c}_score": 5 for c in ("structure", "leadership", "tools", "talent", "agility")}
    values.update({f"{c}_score": s for c, s in scores.items()})
    return CapabilityAssessment.objects.create(
        strategy=strategy, team=team, assessed_on=TODAY, **values
    )


def _team_score(team, score):
    GapScore.objects.filter(subject_type=SubjectType.TEAM, subject_id=team.pk).update(
        is_latest=False
    )
    GapScore.objects.create(
        subject_type=SubjectType.TEAM,
        subject_id=team.pk,
        as_of=TODAY,
        status="at_risk",
        score=score,
        is_latest=True,
    )


def _measure(barrier, objective, team, tests, **extra):
    initiative = Initiative(
        objective=objective,
        team=team,
        title=extra.pop("title", "Weekly check-in routine"),
        start_date=TODAY - dt.timedelta(days=30),
        due_date=TODAY + dt.timedelta(days=60),
        status=Initiative.Status.ACTIVE,
    )
    fields = {
        "category": "performance_routine",
        "capability": barrier.capability,
        "test_start": TODAY - dt.timedelta(days=30),
        "test_end": TODAY + dt.timedelta(days=30),
        "adoption": "checkin_timeliness",
    }
    fields.update(extra)
    return support_measure_create(
        barrier=barrier, initiative=initiative, test_teams=tests, **fields
    )


def test_freezing_stores_the_ranked_barriers(client, plan, leader, team, other_team):
    _assess(plan.strategy, team, tools=1)
    _assess(plan.strategy, other_team, tools=3)
    _team_score(team, 40)
    _team_score(other_team, 90)
    report = AssessmentReport.objects.create(
        strategy=plan.strategy, period=plan.objectives[0].period, title="Q assessment"
    )
    client.force_login(leader)

    response = client.post(reverse("support:report-freeze", args=[report.pk]))

    assert response.status_code == 302
    report.refresh_from_db()
    assert report.is_frozen
    barrier = Barrier.objects.get(report=report)
    # tools: organisation 2.0 (mean of 1 and 3; shortfall 0.75); the team at 1 is affected
    # (health 40: gap 0.6), 1 of 2 teams: 0.35 * 0.6 + 0.30 * 0.75 + 0.10 * 0.5 = 0.485.
    assert (barrier.rank, barrier.capability, barrier.team_ids) == (1, "tools", [team.pk])
    assert barrier.score == pytest.approx(0.485)
    assert report.data["teams"][str(team.pk)]["capability"]["tools"] == 1.0
    page = client.get(report.get_absolute_url()).content.decode()
    assert "#1 Tools" in page
    assert reverse("support:measure-new", args=[barrier.pk]) in page
    # Frozen: a second freeze changes nothing.
    client.post(reverse("support:report-freeze", args=[report.pk]))
    assert Barrier.objects.filter(report=report).count() == 1


def test_a_member_cannot_freeze_or_write_notes(client, plan, member):
    report = AssessmentReport.objects.create(
        strategy=plan.strategy, period=plan.objectives[0].period, title="Q"
    )
    client.force_login(member)
    assert client.get(report.get_absolute_url()).status_code == 200
    assert client.post(reverse("support:report-freeze", args=[report.pk])).status_code == 403
    response = client.post(
        reverse("support:report-notes", args=[report.pk]), {"customer_input": "x"}
    )
    assert response.status_code == 403
    report.refresh_from_db()
    assert not report.is_frozen
    assert report.customer_input == ""


def test_leaders_notes_are_saved_and_shown(client, plan, leader):
    report = AssessmentReport.objects.create(
        strategy=plan.strategy, period=plan.objectives[0].period, title="Q"
    )
    client.force_login(leader)
    client.post(
        reverse("support:report-notes", args=[report.pk]),
        {"customer_input": "Churn up in SMB.", "market_trends": "Price war."},
    )
    report.refresh_from_db()
    assert (report.customer_input, report.market_trends) == ("Churn up in SMB.", "Price war.")
    assert "Price war." in client.get(report.get_absolute_url()).content.decode()


def _frozen_with_barrier(plan, team, capability="tools"):
    report = frozen_report(
        strategy=plan.strategy,
        period=plan.objectives[0].period,
        as_of=TODAY - dt.timedelta(days=90),
        teams={},
        barriers=[barrier_dict(capability, team_ids=[team.pk])],
    )
    return report, report.barriers.get()


def test_a_leader_adds_a_support_measure_from_a_barrier(client, plan, leader, team, other_team):
    _report, barrier = _frozen_with_barrier(plan, team)
    client.force_login(leader)
    url = reverse("support:measure-new", args=[barrier.pk])
    form = {
        "title": "Kanban board for every team",
        "objective": plan.objectives[0].pk,
        "team": team.pk,
        "owner": leader.pk,
        "start_date": TODAY.isoformat(),
        "due_date": (TODAY + dt.timedelta(days=90)).isoformat(),
        "category": "enabling_technology",
        "capability": "tools",
        "test_teams": [team.pk],
        "test_start": TODAY.isoformat(),
        "test_end": (TODAY + dt.timedelta(days=30)).isoformat(),
        "adoption": "checkin_timeliness",
    }
    # Bad input: a test ending before it starts; nothing is written, the typed title is kept.
    bad = client.post(url, {**form, "test_end": (TODAY - dt.timedelta(days=1)).isoformat()})
    assert bad.status_code == 400
    assert "Kanban board for every team" in bad.content.decode()
    assert not Initiative.objects.filter(title="Kanban board for every team").exists()

    response = client.post(url, form)

    assert response.status_code == 302
    measure = SupportMeasure.objects.get()
    assert measure.barrier == barrier
    assert measure.initiative.kind == Initiative.Kind.SUPPORT
    assert list(measure.test_teams.all()) == [team]
    plan_page = client.get(reverse("support:plan")).content.decode()
    assert "Kanban board for every team" in plan_page
    assert "not a causal estimate" in plan_page


def test_a_survey_adoption_measure_needs_its_item(client, plan, leader, team):
    _report, barrier = _frozen_with_barrier(plan, team)
    with pytest.raises(Exception, match="survey item"):
        _measure(barrier, plan.objectives[0], team, [team], adoption="survey_item")
    assert not Initiative.objects.filter(kind="support").exists()


def test_members_cannot_add_support_measures(client, plan, member, team):
    _report, barrier = _frozen_with_barrier(plan, team)
    client.force_login(member)
    assert client.get(reverse("support:measure-new", args=[barrier.pk])).status_code == 403


def test_the_plan_compares_the_test_teams_with_the_others_between_assessments(
    client, plan, leader, team, other_team
):
    """The before/after on a fixture: two assessments' stored figures; the test runs in
    ``team``; ``other_team`` and a third team are the reference."""
    third = TeamFactory(parent=team.parent)
    before = {
        team.pk: {"timeliness": 40.0, "capability": {"tools": 2}, "survey": {}},
        other_team.pk: {"timeliness": 60.0, "capability": {"tools": 3}, "survey": {}},
        third.pk: {"timeliness": 80.0, "capability": {"tools": 3}, "survey": {}},
    }
    after = {
        team.pk: {"timeliness": 90.0, "capability": {"tools": 4}, "survey": {}},
        other_team.pk: {"timeliness": 70.0, "capability": {"tools": 3}, "survey": {}},
        third.pk: {"timeliness": 80.0, "capability": {"tools": 2}, "survey": {}},
    }
    first = frozen_report(
        strategy=plan.strategy,
        period=plan.objectives[0].period,
        as_of=TODAY - dt.timedelta(days=90),
        teams=before,
        barriers=[barrier_dict("tools", team_ids=[team.pk])],
    )
    frozen_report(
        strategy=plan.strategy,
        period=PeriodFactory(name="Later"),
        as_of=TODAY,
        teams=after,
        title="B",
    )
    measure = _measure(first.barriers.get(), plan.objectives[0], team, [team])

    (view,) = plan_read(access=access_for(leader), strategy=plan.strategy, today=TODAY)

    assert view.measure == measure
    assert view.after_label.startswith("assessment of")
    adoption = view.rows[0]
    assert adoption.label == "Adoption: check-ins on time"
    m = adoption.movement
    assert (m.test_before, m.test_after, m.test_change) == (40.0, 90.0, 50.0)
    assert (m.others_before, m.others_after, m.others_change, m.others_n) == (70.0, 75.0, 5.0, 2)
    assert m.difference == 45.0
    tools = view.rows[1]
    assert tools.label == "Tools score"
    assert (tools.movement.test_change, tools.movement.others_change) == (2.0, -0.5)

    client.force_login(leader)
    page = client.get(reverse("support:plan")).content.decode()
    assert "40 → 90 %" in page
    assert "not a causal estimate" in page
    # The second assessment opens with what changed for the barrier and its measure.
    second = AssessmentReport.objects.get(title="B")
    report_page = client.get(second.get_absolute_url()).content.decode()
    assert "What changed since the last assessment" in report_page
    assert "no longer a barrier" in report_page
    assert measure.initiative.title in report_page


@pytest.mark.parametrize("extra", [1, 4])
def test_the_plan_page_and_api_run_a_constant_number_of_queries(
    client, plan, leader, team, other_team, extra, django_assert_num_queries
):
    report, barrier = _frozen_with_barrier(plan, team)
    for i in range(extra):
        _measure(barrier, plan.objectives[0], team, [team, other_team], title=f"Measure {i}")
    client.force_login(leader)
    client.get(reverse("support:plan"))  # warm the per-user caches
    for url, queries in QUERIES.items():
        with django_assert_num_queries(queries):
            assert client.get(url.format(report=report.pk)).status_code == 200


# Session and user (2), the reader's access (memberships, teams: 2), then the page's own:
# the plan: the measures with their initiative, owner, team, barrier and report, their test
# teams, the frozen reports, the adoption KPIs' scores, and the live per-team figures (check-in
# timeliness 2, capability assessments 1, survey items 5 each when a round exists); the report
# adds the gap engine's rows, the names of what it mentions, the live evidence figures and
# the calibration (assessment), and "what changed" (previous report, its barriers, measures).
QUERIES = {
    "/support/": 19,
    "/api/v1/support-measures/": 19,
    "/support/assessments/{report}/": 35,
    "/support/assessments/": 8,
    "/api/v1/barriers/": 9,
    "/api/v1/assessment-reports/": 7,
    "/api/v1/assessment-reports/{report}/": 9,
}


def test_the_api_renders_the_report_and_its_barriers_for_the_reader(client, plan, viewer, team):
    hidden = TeamFactory(name="Secret Lab", parent=team.parent, is_private=True)
    report = frozen_report(
        strategy=plan.strategy,
        period=plan.objectives[0].period,
        as_of=TODAY,
        teams={},
        barriers=[barrier_dict("tools", team_ids=[team.pk, hidden.pk])],
    )
    client.force_login(viewer)
    body = client.get(f"/api/v1/assessment-reports/{report.pk}/").json()
    (barrier,) = body["barriers"]
    assert barrier["teams"] == [team.name]
    assert barrier["hidden_teams"] == 1
    # The viewer does not see every team: the survey part and the score are not shown.
    assert barrier["score"] is None
    assert barrier["components"]["survey_shortfall"] is None
    listed = client.get("/api/v1/barriers/").json()["results"]
    assert listed[0]["hidden_teams"] == 1
    assert "Secret Lab" not in str(listed)


def test_the_report_is_a_pdf_where_weasyprint_runs_and_says_why_not_elsewhere(client, plan, leader):
    from execsupport.pdf import PdfUnavailable, weasyprint_module

    report = AssessmentReport.objects.create(
        strategy=plan.strategy, period=plan.objectives[0].period, title="Printable"
    )
    client.force_login(leader)
    response = client.get(reverse("support:report-pdf", args=[report.pk]))
    try:
        weasyprint_module()
    except PdfUnavailable:
        assert response.status_code == 503
        assert "not available" in response.content.decode()
    else:
        assert response.status_code == 200
        assert response["Content-Type"] == "application/pdf"
        assert response.content.startswith(b"%PDF")


def test_a_figure_that_cannot_be_computed_says_why(client, plan, leader, team, other_team):
    """The first assessment had organisation-level capability scores only (no team has one) and
    its survey round did not ask the talent item: the rows say so instead of "— (0 teams)";
    timeliness is compared (test 40 -> 90, others 60 -> 70); a survey item only the others
    answered says the test has no figure at both dates."""
    before = {
        team.pk: {"timeliness": 40.0, "capability": {}, "survey": {}},
        other_team.pk: {"timeliness": 60.0, "capability": {}, "survey": {"have_resources": 3.0}},
    }
    after = {
        team.pk: {"timeliness": 90.0, "capability": {"talent": 4}, "survey": {}},
        other_team.pk: {
            "timeliness": 70.0,
            "capability": {"talent": 3},
            "survey": {"have_resources": 3.5},
        },
    }
    first = frozen_report(
        strategy=plan.strategy,
        period=plan.objectives[0].period,
        as_of=TODAY - dt.timedelta(days=90),
        teams=before,
        barriers=[barrier_dict("talent", team_ids=[team.pk])],
    )
    frozen_report(
        strategy=plan.strategy, period=PeriodFactory(name="Later"), as_of=TODAY, teams=after
    )
    _measure(first.barriers.get(), plan.objectives[0], team, [team])

    (view,) = plan_read(access=access_for(leader), strategy=plan.strategy, today=TODAY)

    rows = {row.label: row for row in view.rows}
    assert rows["Adoption: check-ins on time"].reason == ""
    talent = rows["Talent development score"]
    assert talent.reason == (
        "Not computable: no team-level assessment yet at the "
        f"assessment of {TODAY - dt.timedelta(days=90):%-d %b %Y}."
    )
    skills = rows["“I am building the skills our strategy needs from me.”"]
    assert skills.reason.startswith("Not computable: the survey did not ask this item")
    assert "nor at the" in skills.reason  # neither assessment has it
    resources = rows["“I have the resources I need.”"]
    assert resources.reason == ""
    assert resources.test_missing == "no team in the test has this figure at both dates"
    assert (resources.movement.others_before, resources.movement.others_after) == (3.0, 3.5)

    client.force_login(leader)
    page = client.get(reverse("support:plan")).content.decode()
    assert "no team-level assessment yet" in page
    assert "the survey did not ask this item" in page
    assert "40 → 90 %" in page
    assert "— → —" not in page
    api = client.get("/api/v1/support-measures/").json()
    rows_api = (api["results"] if isinstance(api, dict) else api)[0]["tracking"]
    assert any(r["reason"].startswith("Not computable: no team-level") for r in rows_api)
