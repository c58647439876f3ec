"""Differential tests of the skipping full recompute (issue #19): after a change, a run that
skips unchanged subjects must leave what a run that scores them all again leaves (scores,
alerts, their root links, the alert log). Each test runs both from the same starting state
(a savepoint rolled back in between) and compares."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import transaction
from django.utils import timezone

from metrics.engine import full_recompute
from metrics.models import Alert, AlertEvent, GapScore
from metrics.services import alerts_resolve
from tests.factories import KPIFactory, MeasurementFactory, ObjectiveFactory

TODAY = dt.date(2026, 7, 2)
NOW = timezone.make_aware(dt.datetime(2026, 7, 2, 9, 0))
LATER = NOW + dt.timedelta(minutes=5)
OFF, ON = 26.0, 60.0


def _kpi(objective, value, **kwargs):
    kpi = KPIFactory(objective=objective, team=objective.team, **kwargs)
    if value is not None:
        MeasurementFactory(kpi=kpi, as_of=TODAY - dt.timedelta(days=1), value=value)
    return kpi


def _state() -> dict:
    """Every latest score, every alert (by its condition: ids may differ between the runs)
    with its root, and the alert log."""
    keys = dict(Alert.objects.values_list("id", "dedup_key"))
    scores = sorted(
        GapScore.objects.filter(is_latest=True).values_list(
            "subject_type", "subject_id", "status", "score", "reason", "components", "as_of"
        ),
        key=repr,
    )
    alerts = sorted(
        (
            keys[a["id"]],
            a["status"],
            a["severity"],
            a["owner_id"],
            a["last_seen_at"],
            a["title"],
            a["message"],
            a["opened_at"],
            a["resolved_at"],
            a["clear_since"],
            keys.get(a["root_id"]),
        )
        for a in Alert.objects.values()
    )
    events = sorted(
        (keys[e["alert_id"]], e["kind"], e["severity"], e["at"], e["by_id"])
        for e in AlertEvent.objects.values()
    )
    return {"scores": scores, "alerts": alerts, "events": events}


def _both(*, now=LATER, today=TODAY) -> tuple[dict, dict]:
    """The state after a skipping run and after a run that skips nothing, both from the
    current state."""
    with transaction.atomic():
        point = transaction.savepoint()
        full_recompute(today=today, now=now, skip_unchanged=True)
        skipped = _state()
        transaction.savepoint_rollback(point)
    full_recompute(today=today, now=now, skip_unchanged=False)
    return skipped, _state()


def _assert_same(skipped: dict, scored: dict) -> None:
    for part in ("scores", "alerts", "events"):
        assert skipped[part] == scored[part], part


@pytest.fixture
def objective(team):
    return ObjectiveFactory(team=team)


def test_no_change_same_state(objective):
    _kpi(objective, OFF)
    _kpi(objective, ON)
    full_recompute(today=TODAY, now=NOW)
    _assert_same(*_both())


def test_kpi_owner_changed_and_changed_back(objective, leader):
    kpi = _kpi(objective, OFF)
    full_recompute(today=TODAY, now=NOW)
    owner = kpi.owner
    kpi.owner = leader
    kpi.save()
    full_recompute(today=TODAY, now=NOW + dt.timedelta(minutes=1))
    assert Alert.objects.get(subject_id=kpi.pk, kind="kpi_off_track").owner_id == leader.pk
    kpi.owner = owner
    kpi.save()
    _assert_same(*_both())


def test_kpi_kind_changed_to_leading(objective):
    _kpi(objective, OFF)
    _kpi(objective, ON)
    bad = objective.kpis.order_by("id").first()
    full_recompute(today=TODAY, now=NOW)
    assert not Alert.objects.filter(kind="early_warning").exists()
    bad.kind = "leading"
    bad.save()
    skipped, scored = _both()
    assert any("early_warning" in a[0] for a in scored["alerts"])
    _assert_same(skipped, scored)


def test_fresh_cause_alert_is_linked_to_its_root(objective, leader):
    kpi = _kpi(objective, OFF)
    _kpi(objective, OFF)
    full_recompute(today=TODAY, now=NOW)
    root = Alert.objects.get(kind="objective_off_track", subject_id=objective.pk)
    alert = Alert.objects.get(subject_id=kpi.pk, kind="kpi_off_track")
    assert alert.root_id == root.pk
    alerts_resolve(alert_ids=[alert.pk], by=leader, note="handled")
    _assert_same(*_both())


def test_kpi_work_closed_and_reopened(objective):
    kpi = _kpi(objective, OFF)
    full_recompute(today=TODAY, now=NOW)
    objective.status = "cancelled"
    objective.save()
    full_recompute(today=TODAY, now=NOW + dt.timedelta(minutes=1))
    alert = Alert.objects.get(subject_id=kpi.pk, kind="kpi_off_track")
    assert alert.status == Alert.Status.RESOLVED
    objective.status = "active"
    objective.save()
    skipped, scored = _both()
    assert Alert.objects.get(pk=alert.pk).status == Alert.Status.OPEN  # the run that scores
    _assert_same(skipped, scored)


def test_objective_owner_removed_and_restored(objective):
    _kpi(objective, ON)
    full_recompute(today=TODAY, now=NOW)
    owner = objective.owner
    objective.owner = None
    objective.save()
    full_recompute(today=TODAY, now=NOW + dt.timedelta(minutes=1))
    unowned = Alert.objects.get(subject_type="objective", kind="unowned")
    assert unowned.status == Alert.Status.OPEN
    objective.owner = owner
    objective.save()
    skipped, scored = _both()
    assert Alert.objects.get(pk=unowned.pk).status == Alert.Status.RESOLVED
    _assert_same(skipped, scored)


# Changes after which both runs agree (differential tests that pass).


def _measure(env):
    MeasurementFactory(kpi=env["off"], as_of=TODAY, value=70.0)


def _trajectory(env):
    from tests.factories import TrajectoryPointFactory

    TrajectoryPointFactory(kpi=env["on"], date=dt.date(2026, 6, 30), value=80.0)


def _target(env):
    env["on"].target_value = 100.0
    env["on"].save()


def _deactivate(env):
    env["off"].is_active = False
    env["off"].save()


def _owner_inactive(env):
    owner = env["off"].owner
    owner.is_active = False
    owner.save()


def _private_team(env):
    env["off"].team.is_private = True
    env["off"].team.save()


def _leader_leaves(env):
    env["leader"].is_active = False
    env["leader"].save()


def _milestone_done(env):
    env["initiative"].milestones.update(completed_on=TODAY)


def _milestone_deleted(env):
    env["initiative"].milestones.all().delete()


def _spend(env):
    from tests.factories import SpendEntryFactory

    SpendEntryFactory(initiative=env["initiative"], amount=90000, date=TODAY)


def _checkin(env):
    from tests.factories import CheckInFactory

    CheckInFactory(initiative=env["initiative"], progress=90, rag="red")


def _initiative_on_hold(env):
    env["initiative"].status = "on_hold"
    env["initiative"].save()


def _objective_weight(env):
    env["objective"].weight = 5
    env["objective"].save()


def _objective_parent(env):
    other = ObjectiveFactory(team=env["objective"].team)
    env["objective"].parent = other
    env["objective"].save()


def _kpi_deleted(env):
    env["off"].measurements.all().delete()
    env["off"].delete()


def _measurement_undone(env):
    m = MeasurementFactory(kpi=env["off"], as_of=TODAY, value=70.0)
    full_recompute(today=TODAY, now=NOW + dt.timedelta(minutes=1))
    m.delete()


def _person_acknowledges(env):
    from metrics.services.alerts import alerts_acknowledge

    alert = Alert.objects.filter(subject_id=env["off"].pk, kind="kpi_off_track").get()
    alerts_acknowledge(alert_ids=[alert.pk], by=env["leader"])


def _person_snoozes(env):
    from metrics.services.alerts import alerts_snooze

    alert = Alert.objects.filter(subject_id=env["off"].pk, kind="kpi_off_track").get()
    alerts_snooze(
        alert_ids=[alert.pk], by=env["leader"], until=timezone.now() + dt.timedelta(days=2)
    )


def _hours_later(env):
    pass


@pytest.fixture
def env(objective, leader):
    from tests.factories import InitiativeFactory, MilestoneFactory

    initiative = InitiativeFactory(objective=objective, team=objective.team, progress=30)
    MilestoneFactory(initiative=initiative, due_date=TODAY - dt.timedelta(days=20))
    ikpi = KPIFactory(objective=None, initiative=initiative, team=objective.team)
    MeasurementFactory(kpi=ikpi, as_of=TODAY - dt.timedelta(days=1), value=OFF)
    return {
        "objective": objective,
        "initiative": initiative,
        "off": _kpi(objective, OFF),
        "on": _kpi(objective, ON),
        "leader": leader,
    }


@pytest.mark.parametrize(
    "change",
    [
        _measure,
        _trajectory,
        _target,
        _deactivate,
        _owner_inactive,
        _private_team,
        _leader_leaves,
        _milestone_done,
        _milestone_deleted,
        _spend,
        _checkin,
        _initiative_on_hold,
        _objective_weight,
        _objective_parent,
        _kpi_deleted,
        _measurement_undone,
        _person_acknowledges,
        _person_snoozes,
        _hours_later,
    ],
)
def test_change_then_both_runs_agree(env, change):
    full_recompute(today=TODAY, now=NOW)
    change(env)
    _assert_same(*_both(now=NOW + dt.timedelta(hours=3)))


def test_service_owner_change_undone_while_its_mark_waits(objective, leader):
    import time_machine

    from metrics.engine import subjects_recompute
    from metrics.models import DirtySubject
    from metrics.services.kpis import kpi_plan, kpi_save
    from tests.factories import MembershipFactory

    def owner_save(kpi, owner):
        previous = kpi_plan(kpi=kpi)
        kpi.owner = owner
        kpi_save(kpi=kpi, changed_by=leader, previous_plan=previous)

    kpi = _kpi(objective, OFF)
    owner = kpi.owner
    MembershipFactory(user=owner, team=objective.team)
    full_recompute(today=TODAY, now=NOW)
    with time_machine.travel(NOW + dt.timedelta(minutes=1), tick=False):
        owner_save(kpi, leader)
        at = timezone.now()
    subjects_recompute(subjects=[("kpi", kpi.pk)], marked_at=at, today=TODAY, now=at)
    assert Alert.objects.get(subject_id=kpi.pk, kind="kpi_off_track").owner_id == leader.pk
    assert not DirtySubject.objects.exists()
    with time_machine.travel(NOW + dt.timedelta(minutes=3), tick=False):
        owner_save(kpi, owner)
    assert DirtySubject.objects.filter(subject_type="kpi", subject_id=kpi.pk).exists()
    skipped, scored = _both()
    assert not DirtySubject.objects.exists()  # the full run took the mark
    assert Alert.objects.get(subject_id=kpi.pk, kind="kpi_off_track").owner_id == owner.pk
    _assert_same(skipped, scored)


def _near_clear(env):
    """Off track to just above the line: the alert holds in its margin (``clear_since``)."""
    MeasurementFactory(kpi=env["off"], as_of=TODAY, value=27.0)
    full_recompute(today=TODAY, now=NOW + dt.timedelta(minutes=1))


def _objective_cancelled(env):
    env["objective"].status = "cancelled"
    env["objective"].save()


def _objective_period(env):
    from tests.factories import PeriodFactory

    period = PeriodFactory(
        name="H2", start_date=dt.date(2026, 7, 1), end_date=dt.date(2026, 12, 31)
    )
    env["objective"].period = period
    env["objective"].save()


def _strategy_archived(env):
    strategy = env["objective"].strategy
    strategy.status = "archived"
    strategy.save()


def _initiative_support(env):
    env["initiative"].kind = "support"
    env["initiative"].save()


def _kpi_unowned_leader_added(env):
    from tests.factories import MembershipFactory, UserFactory

    env["off"].owner = None
    env["off"].save()
    full_recompute(today=TODAY, now=NOW + dt.timedelta(minutes=1))
    MembershipFactory(user=UserFactory(), team=env["off"].team, role="leader")


def _kpi_moved(env):
    other = ObjectiveFactory(team=env["objective"].team)
    env["off"].objective = other
    env["off"].save()


def _incremental_after_measure(env):
    from metrics.engine import subjects_recompute

    MeasurementFactory(kpi=env["on"], as_of=TODAY, value=OFF)
    subjects_recompute(
        subjects=[("kpi", env["on"].pk)], today=TODAY, now=NOW + dt.timedelta(minutes=1)
    )


def _incremental_after_owner(env):
    from metrics.engine import subjects_recompute

    env["off"].owner = env["leader"]
    env["off"].save()
    subjects_recompute(
        subjects=[("kpi", env["off"].pk)], today=TODAY, now=NOW + dt.timedelta(minutes=1)
    )


@pytest.mark.parametrize(
    "change",
    [
        _incremental_after_measure,
        _near_clear,
        _objective_cancelled,
        _objective_period,
        _strategy_archived,
        _initiative_support,
        _kpi_unowned_leader_added,
        _kpi_moved,
    ],
)
def test_more_changes_then_both_runs_agree(env, change):
    full_recompute(today=TODAY, now=NOW)
    change(env)
    _assert_same(*_both(now=NOW + dt.timedelta(hours=3)))


def test_fresh_milestone_alert_is_linked_to_its_root(env):
    full_recompute(today=TODAY, now=NOW)
    alert = Alert.objects.get(kind="milestone_overdue")
    assert alert.root_id is not None
    alerts_resolve(alert_ids=[alert.pk], by=env["leader"], note="moved on")
    _assert_same(*_both())


def test_a_setting_changed_in_the_running_process(objective, settings):
    from metrics.engine.unchanged import engine_salt

    _kpi(objective, OFF)
    _kpi(objective, 28.0)
    engine_salt.cache_clear()
    try:
        engine_salt()
        full_recompute(today=TODAY, now=NOW)
        settings.GAP_OFF_TRACK_ATTAINMENT = settings.GAP_OFF_TRACK_ATTAINMENT / 2
        _assert_same(*_both())
    finally:
        engine_salt.cache_clear()


def test_incremental_run_then_full_run(env):
    full_recompute(today=TODAY, now=NOW)
    _incremental_after_owner(env)
    root = Alert.objects.get(kind="objective_off_track")
    assert f"kpi_at_risk:kpi:{env['off'].pk}" in root.details["causes"]
    _assert_same(*_both(now=NOW + dt.timedelta(hours=3)))


@pytest.mark.parametrize("back", [0, 7])
def test_a_history_run_then_both_runs_agree(env, back):
    """A history run (of today, or of a past day) after the day's run, then a full run."""
    full_recompute(today=TODAY, now=NOW)
    day = TODAY - dt.timedelta(days=back)
    full_recompute(today=day, now=NOW - dt.timedelta(days=back, hours=6), history=True)
    _assert_same(*_both(now=NOW + dt.timedelta(hours=3)))
