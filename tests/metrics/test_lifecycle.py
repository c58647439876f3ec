"""Closed and paused work (issue #14 §1): cancelled parts leave the weights, closed work raises
no KPI alert, paused initiatives raise no schedule/check-in/burn alert and are judged fairly
when they resume, the status history, earlier-period parts, and a new KPI's grace."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core import mail
from django.utils import timezone

from initiatives.models import Initiative
from initiatives.services import initiative_save
from metrics.engine import full_recompute
from metrics.models import Alert, GapScore, SubjectType
from metrics.scoring import InitiativeFacts, initiative_score
from metrics.scoring.initiative import initiative_elapsed
from strategy.lifecycle import initiative_pause_track
from strategy.models import Objective, StatusTransition
from strategy.services import objective_save
from tests.factories import (
    InitiativeFactory,
    KPIFactory,
    MeasurementFactory,
    ObjectiveFactory,
    PeriodFactory,
    ThemeFactory,
)
from tests.metrics.conftest import TODAY


def latest(subject_type: str, subject_id: int) -> GapScore:
    return GapScore.objects.get(subject_type=subject_type, subject_id=subject_id, is_latest=True)


def _on_plan_kpi(**kwargs):
    """A KPI measured monthly exactly on its linear plan up to ``TODAY``: on track, 100."""
    kpi = KPIFactory(**kwargs)
    start, end = kpi.baseline_date, kpi.target_date
    day = start
    while day <= TODAY:
        share = (day - start).days / (end - start).days
        MeasurementFactory(kpi=kpi, as_of=day, value=20 + 20 * share)
        day += dt.timedelta(days=30)
    return kpi


def _reread(instance):
    return type(instance).objects.get(pk=instance.pk)


@pytest.mark.parametrize("cancelled", ["objectives", "initiatives"])
def test_cancelled_parts_leave_the_parent_weights(team, leader, cancelled):
    theme = ThemeFactory()
    parent = ObjectiveFactory(theme=theme, team=team)
    if cancelled == "objectives":
        children = [ObjectiveFactory(theme=theme, team=team, parent=parent) for _ in range(3)]
        for child in children:
            _on_plan_kpi(objective=child, team=team)
    else:
        _on_plan_kpi(objective=parent, team=team)
        children = [InitiativeFactory(objective=parent, team=team) for _ in range(2)]
    for child in children[-2:]:
        child = _reread(child)
        child.status = "cancelled"
        if cancelled == "objectives":
            objective_save(objective=child, by=leader)
        else:
            initiative_save(initiative=child, by=leader)

    full_recompute(today=TODAY)

    score = latest(SubjectType.OBJECTIVE, parent.id)
    assert score.status == "on_track", score.reason
    assert score.score == pytest.approx(100)
    assert score.components["coverage"] == pytest.approx(1.0)
    # The cancelled parts are still listed, weighing nothing.
    weights = {i["key"]: i["weight"] for i in score.components["items"]}
    assert [weights[f"{cancelled[:-1]}:{c.id}"] for c in children[-2:]] == [0, 0]


def test_kpis_of_a_closed_objective_raise_no_alert_and_open_ones_resolve(
    team, leader, django_capture_on_commit_callbacks
):
    objective = ObjectiveFactory(team=team)
    kpi = KPIFactory(objective=objective, team=team)
    for month in range(6):
        MeasurementFactory(kpi=kpi, as_of=dt.date(2026, 1 + month, 1), value=20)
    with django_capture_on_commit_callbacks(execute=True):
        full_recompute(today=TODAY)
    assert Alert.objects.filter(subject_type="kpi", kind="kpi_off_track", status="open").exists()
    sent = len(mail.outbox)

    objective = _reread(objective)
    objective.status = Objective.Status.CANCELLED
    objective_save(objective=objective, by=leader)
    MeasurementFactory(kpi=kpi, as_of=dt.date(2026, 6, 10), value=15)
    with django_capture_on_commit_callbacks(execute=True):
        full_recompute(today=TODAY)

    assert not Alert.objects.filter(subject_type="kpi", status__in=Alert.ACTIVE_STATUSES).exists()
    assert Alert.objects.filter(subject_type="kpi", kind="kpi_off_track", status="resolved")
    assert len(mail.outbox) == sent  # nobody e-mailed


@pytest.mark.parametrize("status", ["achieved", "missed", "done"])
def test_kpis_of_closed_work_raise_no_alert(team, leader, status):
    objective = ObjectiveFactory(team=team)
    if status == "done":
        initiative = InitiativeFactory(objective=objective, team=team)
        kpi = KPIFactory(objective=None, initiative=initiative, team=team)
        initiative = _reread(initiative)
        initiative.status = status
        initiative_save(initiative=initiative, by=leader)
    else:
        kpi = KPIFactory(objective=objective, team=team)
        objective = _reread(objective)
        objective.status = status
        objective_save(objective=objective, by=leader)
    MeasurementFactory(kpi=kpi, as_of=dt.date(2026, 6, 1), value=20)

    full_recompute(today=TODAY)

    assert not Alert.objects.filter(subject_type="kpi", subject_id=kpi.id).exists()


def test_a_paused_initiative_raises_no_schedule_checkin_or_burn_alert(team, leader):
    initiative = InitiativeFactory(
        objective=ObjectiveFactory(team=team), team=team, progress=5, owner=leader
    )
    from tests.factories import SpendEntryFactory

    SpendEntryFactory(initiative=initiative, amount=60000)
    full_recompute(today=TODAY)
    kinds = set(Alert.objects.filter(subject_id=initiative.id).values_list("kind", flat=True))
    assert {"initiative_stale", "schedule_slip", "budget_burn"} <= kinds

    initiative = _reread(initiative)
    initiative.status = Initiative.Status.ON_HOLD
    initiative_save(initiative=initiative, by=leader)
    full_recompute(today=TODAY)

    active = Alert.objects.filter(
        subject_type="initiative", subject_id=initiative.id, status__in=Alert.ACTIVE_STATUSES
    )
    assert set(active.values_list("kind", flat=True)) == set()
    score = latest(SubjectType.INITIATIVE, initiative.id)
    assert score.reason.startswith("Paused (on hold)")


def _facts(**kwargs) -> InitiativeFacts:
    base = {
        "title": "Pilot",
        "status": "active",
        "start_date": dt.date(2026, 1, 1),
        "due_date": dt.date(2026, 12, 31),
        "reported_progress": 0.3,
        "last_checkin_on": dt.date(2026, 3, 31),
    }
    return InitiativeFacts(**{**base, **kwargs})


def test_a_resumed_initiative_is_judged_on_the_time_it_was_worked_on():
    # 1 January to 31 March worked (89 days), on hold 1 April - 30 June, resumed 1 July.
    today = dt.date(2026, 7, 1)
    resumed = _facts(paused_days=91, resumed_on=dt.date(2026, 7, 1))
    never_paused = _facts()
    assert initiative_elapsed(facts=resumed, today=today) == pytest.approx(90 / 364)
    assert initiative_elapsed(facts=never_paused, today=today) == pytest.approx(181 / 364)
    result = initiative_score(facts=resumed, today=today)
    facts = result.components["facts"]
    # Check-ins are expected from the resumption on, not across the pause.
    assert facts["checkin_stale"] is False
    schedule = next(i for i in result.components["items"] if i["key"] == "schedule")
    assert schedule["score"] == 100
    # While on hold the clock is stopped: a pause since 1 April counts the same.
    paused = _facts(status="on_hold", paused_since=dt.date(2026, 4, 1))
    assert initiative_elapsed(facts=paused, today=today) == pytest.approx(90 / 364)


def test_pause_bookkeeping_adds_the_days_on_hold(team):
    initiative = InitiativeFactory(objective=ObjectiveFactory(team=team), team=team)
    initiative.status = Initiative.Status.ON_HOLD
    initiative_pause_track(initiative=initiative, from_status="active", today=dt.date(2026, 4, 1))
    assert initiative.paused_since == dt.date(2026, 4, 1)
    initiative.status = Initiative.Status.ACTIVE
    initiative_pause_track(initiative=initiative, from_status="on_hold", today=dt.date(2026, 7, 1))
    assert (initiative.paused_days, initiative.paused_since) == (91, None)
    assert initiative.resumed_on == dt.date(2026, 7, 1)


def test_every_status_change_is_recorded_with_who_and_when(team, leader, client):
    objective = ObjectiveFactory(team=team)
    initiative = InitiativeFactory(objective=objective, team=team)
    objective = _reread(objective)
    objective.title = "Renamed"
    objective_save(objective=objective, by=leader)
    assert not StatusTransition.objects.exists()  # no status change, no row
    objective.status = "achieved"
    objective_save(objective=objective, by=leader)
    initiative = _reread(initiative)
    initiative.status = "on_hold"
    initiative_save(initiative=initiative, by=leader)
    initiative.status = "active"
    initiative_save(initiative=initiative)  # a script: nobody

    rows = list(
        StatusTransition.objects.values_list(
            "subject_type", "subject_id", "from_status", "to_status", "changed_by"
        )
    )
    assert rows == [
        ("objective", objective.id, "active", "achieved", leader.id),
        ("initiative", initiative.id, "active", "on_hold", leader.id),
        ("initiative", initiative.id, "on_hold", "active", None),
    ]
    assert StatusTransition.objects.filter(changed_at__lte=timezone.now()).count() == 3


def test_the_objective_page_records_the_status_change(team, leader, client):
    objective = ObjectiveFactory(team=team, owner=leader)
    client.force_login(leader)
    data = _objective_form_data(objective, status="cancelled")
    response = client.post(f"/objectives/{objective.id}/edit/", data)
    assert response.status_code == 302
    transition = StatusTransition.objects.get()
    assert (transition.from_status, transition.to_status) == ("active", "cancelled")
    assert transition.changed_by == leader


def test_the_api_records_the_status_change(team, leader, client):
    initiative = InitiativeFactory(objective=ObjectiveFactory(team=team), team=team)
    client.force_login(leader)
    response = client.patch(
        f"/api/v1/initiatives/{initiative.id}/",
        {"status": "on_hold"},
        content_type="application/json",
    )
    assert response.status_code == 200, response.content
    transition = StatusTransition.objects.get()
    assert (transition.subject_type, transition.to_status) == ("initiative", "on_hold")
    assert transition.changed_by == leader
    initiative.refresh_from_db()
    assert initiative.paused_since == timezone.localdate()


def _objective_form_data(objective, **changes):
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


def test_a_part_closed_in_an_earlier_period_does_not_weigh_in_a_later_parent(team):
    fy25 = PeriodFactory(
        name="FY2025", start_date=dt.date(2025, 1, 1), end_date=dt.date(2025, 12, 31)
    )
    theme = ThemeFactory()
    parent = ObjectiveFactory(theme=theme, team=team)  # FY2026
    done_last_year = ObjectiveFactory(
        theme=theme, team=team, parent=parent, period=fy25, status="achieved"
    )
    this_year = ObjectiveFactory(theme=theme, team=team, parent=parent)
    kpi = KPIFactory(objective=this_year, team=team)
    for month in range(6):
        MeasurementFactory(kpi=kpi, as_of=dt.date(2026, 1 + month, 1), value=20)
    _on_plan_kpi(objective=done_last_year, team=team)

    full_recompute(today=TODAY)

    score = latest(SubjectType.OBJECTIVE, parent.id)
    weights = {i["key"]: i["weight"] for i in score.components["items"]}
    assert weights[f"objective:{done_last_year.id}"] == 0
    assert score.score == pytest.approx(latest(SubjectType.OBJECTIVE, this_year.id).score)


def test_a_new_kpi_gets_one_cadence_of_grace_before_not_measured(
    team, django_capture_on_commit_callbacks
):
    today = timezone.localdate()
    kpi = KPIFactory(
        team=team,
        objective=ObjectiveFactory(team=team),
        baseline_date=today - dt.timedelta(days=200),
        target_date=today + dt.timedelta(days=200),
        cadence_days=30,
    )
    with django_capture_on_commit_callbacks(execute=True):
        full_recompute(today=today)
    assert not Alert.objects.filter(kind="kpi_stale").exists()
    assert not mail.outbox

    full_recompute(today=today + dt.timedelta(days=31))
    assert Alert.objects.filter(kind="kpi_stale", subject_id=kpi.id, status="open").exists()
