"""Pages and API of the capability map and calibration: rules, bad input, query counts."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from assessment.evidence import FIGURES
from assessment.models import CAPABILITIES, CapabilityAssessment
from initiatives.models import CheckIn, Initiative
from metrics.models import AlertEvent, Measurement
from strategy.models import Strategy
from tests.factories import (
    AlertFactory,
    CheckInFactory,
    GapScoreFactory,
    InitiativeFactory,
    KPIFactory,
    MeasurementFactory,
    MembershipFactory,
    ObjectiveFactory,
    StrategyFactory,
    TeamFactory,
    ThemeFactory,
    UserFactory,
)

pytestmark = pytest.mark.django_db
SCORES = {f"{c}_score": 3 for c in CAPABILITIES}


@pytest.fixture
def strategy(db) -> Strategy:
    return StrategyFactory(status=Strategy.Status.ACTIVE)


def _assess(strategy, team, day=dt.date(2026, 6, 1), **scores) -> CapabilityAssessment:
    return CapabilityAssessment.objects.create(
        strategy=strategy, team=team, assessed_on=day, **{**SCORES, **scores}
    )


def _grow(strategy, division, size: int) -> None:
    """``size`` teams, each with a leader, an objective, a closed and an open initiative with
    check-ins (tagged blockers, a red one), a KPI measured and scored, an alert with events and
    two assessments."""
    theme = ThemeFactory(strategy=strategy)
    now = timezone.now()
    for n in range(size):
        team = TeamFactory(parent=division)
        boss = UserFactory()
        MembershipFactory(user=boss, team=team, role="leader")
        objective = ObjectiveFactory(theme=theme, team=team, owner=boss)
        done = InitiativeFactory(objective=objective, team=team, owner=boss,
                                 status=Initiative.Status.DONE, due_date=dt.date(2026, 5, 1),
                                 completed_on=dt.date(2026, 4, 1))  # fmt: skip
        CheckInFactory(initiative=done, confidence=70, created_at=now - dt.timedelta(days=300))
        live = InitiativeFactory(objective=objective, team=team, owner=boss)
        CheckInFactory(initiative=live, rag=CheckIn.Rag.RED, blockers="Need a data engineer",
                       blocker_tags="skills", created_at=now - dt.timedelta(days=3))  # fmt: skip
        kpi = KPIFactory(objective=objective, team=team, owner=boss)
        MeasurementFactory(kpi=kpi, source=Measurement.Source.API)
        GapScoreFactory(subject_id=kpi.pk, data_quality={"confidence": "fair"},
                        forecast={"method": "trend", "probability_on_target": 0.5})  # fmt: skip
        alert = AlertFactory(team=team, subject_id=800_000_000 + n * 10 + size)
        AlertEvent.objects.create(alert=alert, kind="opened", severity=2, at=now)
        _assess(strategy, team, day=dt.date(2026, 3, 1))
        _assess(strategy, team, structure_score=4)


def _queries(client, urls: list[str]) -> dict[str, int]:
    """Queries per page, keyed by the URL without its ids."""
    counts = {}
    for url in urls:
        with CaptureQueriesContext(connection) as ctx:
            response = client.get(url)
        assert response.status_code == 200, (url, response.status_code)
        key = url if "/assessment/" not in url or not url.rstrip("/")[-1].isdigit() else "detail"
        counts[key] = len(ctx.captured_queries)
    return counts


def _urls(division) -> list[str]:
    latest = CapabilityAssessment.objects.order_by("-id").first()
    return [
        "/assessment/",
        f"/assessment/{latest.pk}/",
        "/assessment/calibration/",
        f"/assessment/calibration/?team={division.pk}",
        *(f"/assessment/evidence/{code}/" for code in sorted(FIGURES)),
        "/api/v1/capability-assessments/",
        "/api/v1/capability-evidence/",
        f"/api/v1/capability-evidence/?team={division.pk}",
        "/api/v1/calibration/",
    ]


def test_query_counts_do_not_grow_with_the_organisation(client, strategy, division, admin,
                                                        leader):  # fmt: skip
    _grow(strategy, division, 1)
    client.force_login(admin)
    small = _queries(client, _urls(division))
    _grow(strategy, division, 4)
    large = _queries(client, _urls(division))
    assert small == large
    client.force_login(leader)
    assert _queries(client, _urls(division)) == _queries(client, _urls(division))


def test_leader_records_for_their_team_only(client, strategy, team, other_team, leader):
    client.force_login(leader)
    assert client.get("/assessment/new/").status_code == 200
    form = {"assessed_on": "2026-06-01", **{k: str(v) for k, v in SCORES.items()}}
    response = client.post("/assessment/new/", {**form, "team": other_team.pk})
    assert response.status_code == 400
    response = client.post("/assessment/new/", {**form, "team": ""})
    assert response.status_code == 400
    assert not CapabilityAssessment.objects.exists()
    response = client.post("/assessment/new/", {**form, "team": team.pk, "tools_notes": "Hi"})
    assert response.status_code == 302
    saved = CapabilityAssessment.objects.get()
    assert (saved.team, saved.assessor, saved.tools_notes) == (team, leader, "Hi")
    page = client.get(saved.get_absolute_url()).content.decode()
    assert "Scores and evidence" in page
    assert "not tracked yet" in page  # the survey items, before the surveys exist


def test_bad_input_keeps_what_was_typed(client, strategy, team, leader):
    client.force_login(leader)
    response = client.post("/assessment/new/", {
        "assessed_on": "2026-06-01", "team": team.pk, **SCORES, "agility_score": "9",
        "structure_notes": "Typed text stays",
    })  # fmt: skip
    assert response.status_code == 400
    body = response.content.decode()
    assert "Typed text stays" in body
    assert not CapabilityAssessment.objects.exists()


def test_member_and_outsider_cannot_record(client, strategy, team, member, outsider):
    client.force_login(member)
    assert client.get("/assessment/new/").status_code == 403
    assert client.get("/assessment/").status_code == 200
    client.force_login(outsider)
    assert client.get("/assessment/").status_code == 403


def test_office_assesses_the_organisation_and_compares(client, strategy, admin):
    first = _assess(strategy, None, day=dt.date(2026, 3, 1), tools_score=2)
    second = _assess(strategy, None, day=dt.date(2026, 6, 1), tools_score=4)
    client.force_login(admin)
    body = client.get(second.get_absolute_url()).content.decode()
    assert "up 2 (was 2)" in body
    assert first.get_absolute_url() in body
    response = client.post(f"/assessment/{second.pk}/edit/", {
        "assessed_on": "2026-06-01", "team": "", **SCORES, "seen_version": second.version,
    })  # fmt: skip
    assert response.status_code == 302
    second.refresh_from_db()
    assert second.tools_score == 3


def test_private_team_assessment_is_a_404_for_others(client, strategy, team, member):
    secret = TeamFactory(parent=team.parent, is_private=True)
    hidden = _assess(strategy, secret)
    client.force_login(member)
    assert client.get(hidden.get_absolute_url()).status_code == 404
    assert client.get(f"/api/v1/capability-assessments/{hidden.pk}/").status_code == 404
    assert client.get(f"/api/v1/capability-evidence/?team={secret.pk}").status_code == 400


def test_api_write_rules_and_field_errors(api_client, strategy, team, other_team, leader):
    api_client.force_authenticate(leader)
    body = {"assessed_on": "2026-06-01", "team": team.pk, **SCORES}
    response = api_client.post("/api/v1/capability-assessments/", {**body, "tools_score": 0},
                               format="json")  # fmt: skip
    assert response.status_code == 400
    assert response.json()["errors"][0]["field"] == "tools_score"
    other = {**body, "team": other_team.pk}
    assert (
        api_client.post("/api/v1/capability-assessments/", other, format="json").status_code == 403
    )
    organisation = {**body, "team": None}
    assert (
        api_client.post("/api/v1/capability-assessments/", organisation, format="json").status_code
        == 403
    )
    created = api_client.post("/api/v1/capability-assessments/", body, format="json")
    assert created.status_code == 201
    assert created.json()["assessor"] == leader.pk
    evidence = api_client.get("/api/v1/capability-evidence/", {"team": team.pk}).json()
    assert [c["capability"] for c in evidence["capabilities"]] == list(CAPABILITIES)
    assert api_client.get("/api/v1/capability-evidence/?as_of=junk").status_code == 400
    calibration = api_client.get("/api/v1/calibration/").json()
    assert calibration["confidence"]["enough"] is False


def test_checkin_blocker_tags_through_api_and_form(api_client, client, member, team):
    initiative = InitiativeFactory(objective=ObjectiveFactory(team=team), owner=member)
    api_client.force_authenticate(member)
    body = {"initiative": initiative.pk, "rag": "amber", "confidence": 60, "progress": 10,
            "summary": "Slow", "blocker_tags": ["decision", "skills"]}  # fmt: skip
    response = api_client.post("/api/v1/checkins/", body, format="json")
    assert response.status_code == 201, response.json()
    assert response.json()["blocker_tags"] == ["skills", "decision"]
    assert CheckIn.objects.get().blocker_tags == "skills,decision"
    bad = api_client.post("/api/v1/checkins/", {**body, "blocker_tags": ["luck"]}, format="json")
    assert bad.status_code == 400
    assert bad.json()["errors"][0]["field"].startswith("blocker_tags")
    client.force_login(member)
    response = client.post(f"/initiatives/{initiative.pk}/check-ins/", {
        "rag": "red", "confidence": "20", "progress": "10", "summary": "Stuck",
        "blocker_tags": ["resources"],
    })  # fmt: skip
    assert response.status_code == 302
    assert CheckIn.objects.order_by("-id").first().blocker_tags == "resources"
