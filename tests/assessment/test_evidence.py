"""Every evidence figure on a hand-computed fixture, its rows page, and privacy."""

from __future__ import annotations

import datetime as dt
import statistics

import pytest
from django.utils import timezone

from activity.models import Comment
from assessment.evidence import (
    CAPABILITIES,
    FIGURES,
    capability_evidence,
    evidence_rows,
    evidence_scope,
)
from initiatives.models import CheckIn, Initiative
from metrics.models import AlertEvent, GapScore, Measurement, SubjectType
from strategy.access import access_for
from strategy.models import Membership, Objective
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
AS_OF = dt.date(2026, 6, 15)


def at(day: int, hour: int = 9, month: int = 6) -> dt.datetime:
    return timezone.make_aware(dt.datetime(2026, month, day, hour))


@pytest.fixture
def world(team, other_team, leader, member, admin):
    """Sales (led by ``leader``) and Engineering (no leader) with a hand-counted plan."""
    strategy = StrategyFactory()
    theme = ThemeFactory(strategy=strategy)
    gone = UserFactory(is_active=False)
    # Objectives: Sales owned (yes), Sales owned by an inactive account (no), Engineering
    # without owner (no), Sales achieved (left out): 1 of 3.
    o1 = ObjectiveFactory(theme=theme, team=team, owner=member)
    o2 = ObjectiveFactory(theme=theme, team=team, owner=gone)
    o3 = ObjectiveFactory(theme=theme, team=other_team, owner=None)
    ObjectiveFactory(theme=theme, team=team, owner=member, status=Objective.Status.ACHIEVED)
    # Another strategy's objective counts nowhere.
    ObjectiveFactory(team=team, owner=None)
    # Initiatives (open ones for ownership): a (Sales, member), b (Sales, none), c (Eng,
    # member); d done, e cancelled: open 3, owned 2.
    a = InitiativeFactory(objective=o1, team=team, owner=member, checkin_cadence_days=14)
    b = InitiativeFactory(objective=o1, team=team, owner=None, checkin_cadence_days=7)
    c = InitiativeFactory(objective=o3, team=other_team, owner=member, checkin_cadence_days=14)
    InitiativeFactory(objective=o1, team=team, status=Initiative.Status.DONE,
                      completed_on=dt.date(2026, 5, 1))  # fmt: skip
    InitiativeFactory(objective=o1, team=team, status=Initiative.Status.CANCELLED)
    # KPIs (active, of the strategy): k1 Sales owned, k2 Eng owned by gone, k3 inactive: 1 of 2.
    k1 = KPIFactory(objective=o1, team=team, owner=member)
    k2 = KPIFactory(objective=o3, team=other_team, owner=gone)
    KPIFactory(objective=o1, team=team, owner=member, is_active=False)
    # Measurements: k1 latest by API (an older manual one), k2 latest manual: 1 of 2 by API.
    MeasurementFactory(kpi=k1, as_of=dt.date(2026, 5, 1), source=Measurement.Source.MANUAL)
    MeasurementFactory(kpi=k1, as_of=dt.date(2026, 6, 1), source=Measurement.Source.API)
    MeasurementFactory(kpi=k2, as_of=dt.date(2026, 6, 1), source=Measurement.Source.MANUAL)
    # A measurement after as_of does not count.
    MeasurementFactory(kpi=k2, as_of=dt.date(2026, 6, 30), source=Measurement.Source.API)
    # Data quality: k1 good, k2 poor: 1 of 2 flagged.
    GapScoreFactory(subject_id=k1.pk, data_quality={"confidence": "good"})
    GapScoreFactory(subject_id=k2.pk, data_quality={"confidence": "poor"})
    # Check-ins. a: 10 Jun (within 14 x 1.5 days: on time); b: 1 May (cadence 7: late);
    # c: 12 Jun (below): on time. Timeliness 2 of 3.
    # Blockers: a's check-in of 1 Jun reports one (text) — answered by the leader on 3 Jun
    # (2 days; a member's comment on 2 Jun does not count); b's of 1 May (tag decision) and
    # c's of 12 Jun (tags) are answered by nobody: median 2.0 days, 1 of 3 answered.
    CheckInFactory(initiative=a, created_at=at(1), blockers="Waiting for legal.", rag="red")
    CheckInFactory(initiative=a, created_at=at(10), rag="amber")
    CheckInFactory(initiative=b, author=leader, created_at=at(1, month=5), blocker_tags="decision")
    Comment.objects.create(subject_type="initiative", subject_id=a.pk, author=member,
                           body="Me too", created_at=at(2))  # fmt: skip
    Comment.objects.create(subject_type="initiative", subject_id=a.pk, author=leader,
                           body="On it", created_at=at(3))  # fmt: skip
    # Skills: a's latest check-in (10 Jun) has no tag, b's latest has "decision", and c gets
    # one tagged "skills,resources" on 12 Jun: 1 of 3 open initiatives blocked for skills.
    CheckInFactory(initiative=c, created_at=at(12), blocker_tags="skills,resources",
                   rag="red")  # fmt: skip
    # Re-plan: a went red on 1 Jun, its due date moved on 5 Jun 09:00 -> 4.0 days; c went red
    # on 12 Jun and was not re-planned: median 4.0, 1 of 2.
    a.due_date = dt.date(2027, 3, 31)
    a.save()
    a.history.filter(history_date__gte=timezone.now() - dt.timedelta(minutes=5)).update(
        history_date=at(5)
    )
    for record in a.history.order_by("history_id")[:1]:  # its creation, before the signal
        a.history.filter(history_id=record.history_id).update(history_date=at(1, month=1))
    # Alerts (Sales): one acknowledged after 2 h and resolved after 10 h, one acknowledged
    # after 4 h and never resolved, one only opened: ack median 3.0 h (2 of 3), resolve 10.0 h.
    for ack, resolved in ((2, 10), (4, None), (None, None)):
        alert = AlertFactory(team=team)
        AlertEvent.objects.create(alert=alert, kind="opened", severity=2, at=at(1, 8))
        if ack:
            AlertEvent.objects.create(
                alert=alert, kind="acknowledged", severity=2, at=at(1, 8 + ack)
            )
        if resolved:
            AlertEvent.objects.create(
                alert=alert, kind="resolved", severity=2, at=at(1, 8 + resolved)
            )
    MembershipFactory(user=UserFactory(is_active=False), team=other_team, role="leader")
    return {"strategy": strategy, "a": a, "b": b, "c": c, "k1": k1, "k2": k2,
            "objectives": (o1, o2, o3)}  # fmt: skip


def _by_code(figures):
    return {f.code: f for fs in figures.values() for f in fs}


def test_every_figure_matches_the_hand_computed_fixture(world, admin):
    figures = capability_evidence(access=access_for(admin), strategy=world["strategy"],
                                  as_of=AS_OF)  # fmt: skip
    assert list(figures) == list(CAPABILITIES)
    f = _by_code(figures)
    assert f["owned_objectives"].value == pytest.approx(100 / 3)
    assert f["owned_initiatives"].value == pytest.approx(200 / 3)
    assert f["owned_kpis"].value == pytest.approx(50.0)
    # Teams: Acme, Commercial, Sales (a leader), Engineering (an inactive leader): 1 of 4.
    assert f["teams_with_leader"].value == pytest.approx(25.0)
    assert f["blocker_response"].value == pytest.approx(2.0)
    assert f["blocker_response"].detail.startswith("1 of 3 blockers answered")
    assert f["checkin_timeliness"].value == pytest.approx(200 / 3)
    assert f["kpis_by_api"].value == pytest.approx(50.0)
    assert f["data_quality"].value == pytest.approx(50.0)
    assert f["blocked_for_skills"].value == pytest.approx(100 / 3)
    assert f["alert_ack"].value == pytest.approx(3.0)
    assert f["alert_resolve"].value == pytest.approx(10.0)
    assert f["replan"].value == pytest.approx(4.0)
    assert f["replan"].detail.startswith("1 of 2 initiatives")
    for code in ("vision_trust", "resources"):
        assert f[code].tracked is False
        assert f[code].value is None
        assert f[code].display == "not tracked yet"
        assert f[code].rows_url is None
    for code, figure in f.items():
        if figure.tracked:
            assert figure.rows_url.startswith(f"/assessment/evidence/{code}/?as_of=2026-06-15")


def test_team_scope_counts_only_the_team_and_below(world, admin, team):
    f = _by_code(capability_evidence(access=access_for(admin), strategy=world["strategy"],
                                     team=team, as_of=AS_OF))  # fmt: skip
    assert f["owned_objectives"].value == pytest.approx(50.0)  # o1 yes, o2 no
    assert f["owned_initiatives"].value == pytest.approx(50.0)  # a yes, b no
    assert f["teams_with_leader"].value == pytest.approx(100.0)
    assert f["blocked_for_skills"].value == pytest.approx(0.0)  # c is Engineering's
    assert f["replan"].value == pytest.approx(4.0)
    assert f["replan"].detail.startswith("1 of 1")


def test_without_data_the_figures_say_not_tracked_yet(admin, team):
    strategy = StrategyFactory()
    f = _by_code(capability_evidence(access=access_for(admin), strategy=strategy, as_of=AS_OF))
    for code in ("blocker_response", "blocked_for_skills", "alert_ack", "alert_resolve",
                 "replan", "vision_trust", "resources"):  # fmt: skip
        assert f[code].tracked is False, code
        assert f[code].value is None
    # Always tracked (the plan and its KPIs exist), with nothing to measure: no value.
    for code in ("owned_objectives", "owned_initiatives", "owned_kpis", "checkin_timeliness",
                 "kpis_by_api", "data_quality"):  # fmt: skip
        assert f[code].tracked is True, code
        assert f[code].value is None, code
        assert f[code].display == "—", code
    # Teams exist (Acme, Commercial, Sales): none has a leader.
    assert f["teams_with_leader"].value == pytest.approx(0.0)


def test_as_of_counts_only_what_happened_by_then(world, admin):
    """On 2 Jun: the leader's answer (3 Jun), the re-plan (5 Jun) and c's tagged check-in
    (12 Jun) have not happened yet."""
    f = _by_code(capability_evidence(access=access_for(admin), strategy=world["strategy"],
                                     as_of=dt.date(2026, 6, 2)))  # fmt: skip
    assert f["blocker_response"].tracked is True
    assert f["blocker_response"].value is None
    assert f["blocker_response"].detail.startswith("0 of 2 blockers answered")
    assert f["replan"].value is None
    assert f["replan"].detail.startswith("0 of 1 initiatives")
    assert f["blocked_for_skills"].value == pytest.approx(0.0)  # b's "decision" tag only
    assert f["kpis_by_api"].value == pytest.approx(50.0)
    f = _by_code(capability_evidence(access=access_for(admin), strategy=world["strategy"],
                                     as_of=dt.date(2026, 5, 31)))  # fmt: skip
    # Before any alert was raised, and before k1's measurement by the API (1 Jun).
    assert f["alert_ack"].tracked is False
    assert f["kpis_by_api"].value == pytest.approx(0.0)
    assert f["kpis_by_api"].detail.startswith("Of 1 measured KPIs")


def test_rows_are_those_the_figure_counted(world, admin):
    scope = evidence_scope(access=access_for(admin), strategy=world["strategy"], as_of=AS_OF)
    _figure, rows = evidence_rows(scope=scope, code="checkin_timeliness")
    assert {r.pk: r.counted for r in rows} == {
        world["a"].pk: True, world["b"].pk: False, world["c"].pk: True
    }  # fmt: skip
    _, rows = evidence_rows(scope=scope, code="kpis_by_api")
    assert {r.pk: r.counted for r in rows} == {world["k1"].pk: True, world["k2"].pk: False}
    _, rows = evidence_rows(scope=scope, code="data_quality")
    assert {r.pk: r.counted for r in rows} == {world["k1"].pk: False, world["k2"].pk: True}


def test_a_private_team_is_neither_counted_nor_named_for_an_outside_reader(world, member, team):
    secret = TeamFactory(name="Skunkworks", slug="skunk", parent=team.parent, is_private=True)
    objective = ObjectiveFactory(theme=world["a"].objective.theme, team=secret, owner=None,
                                 title="Canary objective")  # fmt: skip
    assert objective.strategy == world["strategy"]
    scope = evidence_scope(access=access_for(member), strategy=world["strategy"], as_of=AS_OF)
    figure, rows = evidence_rows(scope=scope, code="owned_objectives")
    assert all(r.name != "Canary objective" for r in rows)
    assert figure.value == pytest.approx(100 / 3)  # as without the private team


def test_rows_page_lists_the_rows_and_refuses_bad_queries(client, world, admin):
    client.force_login(admin)
    world["strategy"].status = "active"
    world["strategy"].save()
    response = client.get("/assessment/evidence/checkin_timeliness/?as_of=2026-06-15")
    assert response.status_code == 200
    assert world["a"].title in response.content.decode()
    assert client.get("/assessment/evidence/nope/").status_code == 404
    assert client.get("/assessment/evidence/replan/?as_of=junk").status_code == 400
    assert client.get("/assessment/evidence/replan/?team=99999999").status_code == 404


def test_blocker_tags_reach_the_model(world):
    checkin = CheckIn.objects.get(initiative=world["c"])
    assert checkin.blocker_tags == "skills,resources"
    assert GapScore.objects.filter(subject_type=SubjectType.KPI).count() == 2
    assert Membership.objects.filter(role="leader").count() == 2


def _number(value: str) -> float:
    return float(value.split()[0])


def test_every_figures_rows_agree_with_the_figure(world, admin, company, division, team,
                                                  other_team):  # fmt: skip
    """Each figure's rows, hand-listed, and the figure recomputed from them: a share is the
    counted rows over all rows, a median the median of the rows' measured values."""
    scope = evidence_scope(access=access_for(admin), strategy=world["strategy"], as_of=AS_OF)
    a, b, c, o = world["a"], world["b"], world["c"], world["objectives"]
    rows = {code: evidence_rows(scope=scope, code=code) for code in FIGURES}
    counted = {code: {r.pk: r.counted for r in rs} for code, (_f, rs) in rows.items()}
    values = {code: [r.value for r in rs] for code, (_f, rs) in rows.items()}
    assert counted["owned_objectives"] == {o[0].pk: True, o[1].pk: False, o[2].pk: False}
    assert counted["owned_initiatives"] == {a.pk: True, b.pk: False, c.pk: True}
    assert counted["owned_kpis"] == {world["k1"].pk: True, world["k2"].pk: False}
    assert counted["teams_with_leader"] == {
        company.pk: False, division.pk: False, team.pk: True, other_team.pk: False
    }  # fmt: skip
    assert counted["blocked_for_skills"] == {a.pk: False, b.pk: False, c.pk: True}
    # Medians: the rows carry the measured values, oldest first.
    assert values["blocker_response"] == ["not answered yet", "2.0 days", "not answered yet"]
    assert [r.name.split(" (")[0] for r in rows["blocker_response"][1]] == [
        b.title, a.title, c.title
    ]  # fmt: skip
    assert values["alert_ack"] == ["2.0 hours", "4.0 hours", "not yet"]
    assert values["alert_resolve"] == ["10.0 hours", "not yet", "not yet"]
    assert {r.pk: r.value for r in rows["replan"][1]} == {
        a.pk: "4.0 days", c.pk: "not re-planned yet"
    }  # fmt: skip
    assert rows["vision_trust"][1] == []
    assert rows["resources"][1] == []
    for code, (figure, figure_rows) in rows.items():
        if not figure.tracked:
            assert figure_rows == [], code
        elif figure.unit == "%":
            hit = sum(1 for r in figure_rows if r.counted)
            assert figure.value == pytest.approx(100 * hit / len(figure_rows)), code
        else:
            measured = [_number(r.value) for r in figure_rows if r.value[0].isdigit()]
            assert figure.value == pytest.approx(statistics.median(measured), abs=0.05), code


def test_every_figure_has_a_hand_computed_test():
    """A new figure must join the fixtures above (and the survey ones in
    ``test_evidence_surveys.py``)."""
    assert set(FIGURES) == {
        "owned_objectives", "owned_initiatives", "owned_kpis", "teams_with_leader",
        "vision_trust", "blocker_response", "checkin_timeliness", "kpis_by_api",
        "data_quality", "resources", "blocked_for_skills", "alert_ack", "alert_resolve",
        "replan",
    }  # fmt: skip
