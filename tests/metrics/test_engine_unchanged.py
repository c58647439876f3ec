"""A full recompute skips the KPIs whose inputs did not change since their score of the day
(issue #19, ``metrics.engine.unchanged``), and what it leaves is what a run that scores them
all again leaves: the same scores, the same alerts."""

from __future__ import annotations

import datetime as dt
from unittest import mock

import pytest
from django.utils import timezone

from metrics.engine import full_recompute
from metrics.engine.alert_writes import LAST_SEEN_RESOLUTION
from metrics.engine.unchanged import (
    Unchanged,
    engine_salt,
    inputs_fingerprint,
    points_bytes,
)
from metrics.models import Alert, GapScore
from metrics.services import alerts_resolve
from tests.factories import (
    CheckInFactory,
    InitiativeFactory,
    KPIFactory,
    MeasurementFactory,
    MilestoneFactory,
    ObjectiveFactory,
    SpendEntryFactory,
)

TODAY = dt.date(2026, 7, 2)
NOW = timezone.make_aware(dt.datetime(2026, 7, 2, 9, 0))


def _kpi(objective, values, **kwargs):
    kpi = KPIFactory(objective=objective, team=objective.team, **kwargs)
    for as_of, value in values:
        MeasurementFactory(kpi=kpi, as_of=as_of, value=value)
    return kpi


@pytest.fixture
def kpis(team):
    """An off-track KPI (it raises an alert), an on-track one and one without data."""
    objective = ObjectiveFactory(team=team)
    return {
        "off": _kpi(objective, [(TODAY - dt.timedelta(days=1), 26.0)]),
        "on": _kpi(objective, [(TODAY - dt.timedelta(days=1), 60.0)]),
        "empty": _kpi(objective, []),
    }


def _state() -> tuple[list, list]:
    """Every latest score's values and every alert's state, comparable across runs."""
    scores = sorted(
        GapScore.objects.filter(is_latest=True).values_list(
            "subject_type", "subject_id", "status", "score", "reason", "components", "as_of"
        )
    )
    alerts = sorted(
        Alert.objects.values_list(
            "subject_type", "subject_id", "kind", "status", "severity", "last_seen_at", "owner_id"
        )
    )
    return scores, alerts


def _run(*, now=NOW, today=TODAY, skip=True) -> set[tuple[str, int]]:
    """A full recompute; returns the subjects it skipped."""
    skipped: list[tuple[str, int]] = []
    settled = Unchanged.settled

    def spy(self, key, inputs):
        if settled(self, key, inputs):
            skipped.append(key)
            return True
        return False

    with mock.patch.object(Unchanged, "settled", spy):
        stats = full_recompute(today=today, now=now, skip_unchanged=skip)
    assert stats.skipped == len(skipped)
    return set(skipped)


def _everything() -> set[tuple[str, int]]:
    return set(GapScore.objects.filter(is_latest=True).values_list("subject_type", "subject_id"))


def _key(obj) -> tuple[str, int]:
    return (obj._meta.model_name, obj.pk)


def test_a_second_run_of_the_day_skips_everything_and_changes_nothing(kpis):
    assert _run() == set()
    assert Alert.objects.filter(subject_id=kpis["off"].pk, kind="kpi_off_track").exists()
    before = _state()
    everything = _everything()
    assert {k for k in everything if k[0] == "kpi"} == {_key(k) for k in kpis.values()}
    assert {"objective", "team", "theme", "strategy"} <= {t for t, _ in everything}
    assert _run(now=NOW + dt.timedelta(minutes=5)) == everything
    assert _state() == before
    # The same as scoring them all again.
    _run(now=NOW + dt.timedelta(minutes=5), skip=False)
    assert _state() == before


def test_a_kpi_whose_measurements_changed_is_scored_again(kpis):
    _run()
    # Written behind the engine's back: no dirty mark, only the inputs tell.
    MeasurementFactory(kpi=kpis["off"], as_of=TODAY, value=70.0)
    skipped = _run(now=NOW + dt.timedelta(minutes=5))
    assert _key(kpis["off"]) not in skipped
    assert _key(kpis["on"]) in skipped
    assert _key(kpis["off"].objective) not in skipped  # its part's score moved
    score = GapScore.objects.get(subject_type="kpi", subject_id=kpis["off"].pk, is_latest=True)
    assert score.status == "on_track"
    off = Alert.objects.get(subject_id=kpis["off"].pk, kind="kpi_off_track")
    assert off.status == Alert.Status.RESOLVED


@pytest.mark.parametrize("change", ["owner", "target", "work_status"])
def test_a_kpi_whose_plan_or_work_changed_is_scored_again(kpis, leader, change):
    _run()
    kpi = kpis["on"]
    if change == "owner":
        kpi.owner = leader
        kpi.save()
    elif change == "target":
        kpi.target_value = kpi.target_value * 2
        kpi.save()
    else:
        kpi.objective.status = "cancelled"
        kpi.objective.save()
    skipped = _run(now=NOW + dt.timedelta(minutes=5))
    assert _key(kpi) not in skipped
    if change == "work_status":  # every KPI of the objective reads its status
        assert not {_key(k) for k in kpis.values()} & skipped
    else:
        assert _key(kpis["off"]) in skipped


def test_a_new_day_scores_every_kpi(kpis):
    _run()
    assert _run(today=TODAY + dt.timedelta(days=1), now=NOW + dt.timedelta(days=1)) == set()
    assert GapScore.objects.filter(as_of=TODAY + dt.timedelta(days=1)).count() == len(_everything())


def test_a_person_resolving_an_alert_gets_a_fresh_one_on_the_next_run(kpis, leader):
    """A person's resolve is final: the next run opens a fresh alert, as without skipping."""
    _run()
    alert = Alert.objects.get(subject_id=kpis["off"].pk, kind="kpi_off_track")
    alerts_resolve(alert_ids=[alert.pk], by=leader, note="handled")
    skipped = _run(now=NOW + dt.timedelta(minutes=5))
    assert _key(kpis["off"]) not in skipped
    assert _key(kpis["on"]) in skipped
    fresh = Alert.objects.get(
        subject_id=kpis["off"].pk, kind="kpi_off_track", status=Alert.Status.OPEN
    )
    assert fresh.pk != alert.pk


def test_a_holding_alert_is_never_skipped(kpis):
    _run()
    Alert.objects.filter(subject_id=kpis["off"].pk).update(clear_since=NOW)
    skipped = _run(now=NOW + dt.timedelta(minutes=5))
    assert _key(kpis["off"]) not in skipped
    assert _key(kpis["on"]) in skipped


def test_skipped_firing_alerts_are_still_seen(kpis):
    _run()
    later = NOW + LAST_SEEN_RESOLUTION + dt.timedelta(minutes=1)
    assert _run(now=later) == _everything()
    alert = Alert.objects.get(subject_id=kpis["off"].pk, kind="kpi_off_track")
    assert alert.last_seen_at == later
    skipped_state = _state()
    _run(now=later, skip=False)
    assert _state() == skipped_state


def test_history_runs_never_skip(kpis):
    day = TODAY - dt.timedelta(days=7)
    at = NOW - dt.timedelta(days=7)
    full_recompute(today=day, now=at, history=True)
    with mock.patch.object(Unchanged, "settled", side_effect=AssertionError("skipping")):
        stats = full_recompute(today=day, now=at, history=True)
    assert stats.skipped == 0


def test_the_fingerprint_covers_the_settings_and_the_day(settings):
    parts = (TODAY, points_bytes([(TODAY, 1.0)]))
    before = inputs_fingerprint(*parts)
    assert inputs_fingerprint(TODAY + dt.timedelta(days=1), parts[1]) != before
    assert inputs_fingerprint(TODAY, points_bytes([(TODAY, 1.0000000001)])) != before
    engine_salt.cache_clear()
    settings.GAP_STALE_GRACE = settings.GAP_STALE_GRACE * 2
    try:
        assert inputs_fingerprint(*parts) != before
    finally:
        engine_salt.cache_clear()


def test_points_with_a_missing_value_still_fingerprint():
    assert points_bytes([(TODAY, None)]) != points_bytes([(TODAY, 0.0)])


def test_a_kpi_whose_alert_route_changed_is_scored_again(kpis):
    """Who must act is an input: the KPI's owner leaving sends its alert to someone else."""
    _run()
    alert = Alert.objects.get(subject_id=kpis["off"].pk, kind="kpi_off_track")
    assert alert.owner_id == kpis["off"].owner_id is not None
    owner = kpis["off"].owner
    owner.is_active = False
    owner.save()
    for other in ("on", "empty"):  # the others have another owner
        assert kpis[other].owner_id != owner.pk
    skipped = _run(now=NOW + dt.timedelta(minutes=5))
    assert _key(kpis["off"]) not in skipped
    assert _key(kpis["on"]) in skipped
    skipped_state = _state()
    _run(now=NOW + dt.timedelta(minutes=5), skip=False)
    assert _state() == skipped_state
    alert.refresh_from_db()
    assert alert.owner_id != owner.pk


@pytest.fixture
def initiative(team):
    """An initiative with an overdue milestone (a milestone alert) and one KPI."""
    objective = ObjectiveFactory(team=team)
    initiative = InitiativeFactory(objective=objective, team=team, progress=30)
    MilestoneFactory(initiative=initiative, due_date=TODAY - dt.timedelta(days=20))
    kpi = KPIFactory(objective=None, initiative=initiative, team=team)
    MeasurementFactory(kpi=kpi, as_of=TODAY - dt.timedelta(days=1), value=26.0)
    return initiative


def _milestone_alert(initiative):
    return Alert.objects.get(kind="milestone_overdue", subject_type="milestone")


def test_an_unchanged_initiative_is_skipped_with_its_milestones(initiative):
    _run()
    assert _milestone_alert(initiative).status == Alert.Status.OPEN
    before = _state()
    later = NOW + LAST_SEEN_RESOLUTION + dt.timedelta(minutes=1)
    assert _run(now=later) == _everything()
    assert _key(initiative) in _everything()
    assert _milestone_alert(initiative).last_seen_at == later
    skipped_state = _state()
    assert skipped_state[0] == before[0]
    _run(now=later, skip=False)
    assert _state() == skipped_state


@pytest.mark.parametrize("change", ["checkin", "spend", "milestone_done", "kpi_score"])
def test_an_initiative_whose_work_or_kpis_changed_is_scored_again(initiative, change):
    _run()
    if change == "checkin":
        CheckInFactory(initiative=initiative, progress=35)
        initiative.refresh_from_db()
        initiative.last_checkin_at = NOW
        initiative.progress = 35
        initiative.save()
    elif change == "spend":  # the stored total follows (a database trigger)
        SpendEntryFactory(initiative=initiative, amount=500, date=TODAY)
    elif change == "milestone_done":
        initiative.milestones.update(completed_on=TODAY)
    else:
        MeasurementFactory(kpi=initiative.kpis.get(), as_of=TODAY, value=90.0)
    skipped = _run(now=NOW + dt.timedelta(minutes=5))
    # The KPI is skipped unless its own measurements changed; the initiative never is.
    assert _key(initiative) not in skipped
    assert (_key(initiative.kpis.get()) in skipped) == (change != "kpi_score")


def test_a_person_resolving_a_milestone_alert_gets_a_fresh_one(initiative, leader):
    _run()
    alert = _milestone_alert(initiative)
    alerts_resolve(alert_ids=[alert.pk], by=leader, note="moved on")
    skipped = _run(now=NOW + dt.timedelta(minutes=5))
    assert _key(initiative) not in skipped
    assert _key(initiative.kpis.get()) in skipped
    assert (
        Alert.objects.filter(kind="milestone_overdue", status=Alert.Status.OPEN)
        .exclude(pk=alert.pk)
        .exists()
    )


def test_a_rollup_whose_own_row_changed_is_scored_again_with_its_team(kpis):
    _run()
    objective = kpis["on"].objective
    objective.weight = 3
    objective.save()
    skipped = _run(now=NOW + dt.timedelta(minutes=5))
    assert _key(objective) not in skipped
    assert {_key(k) for k in kpis.values()} <= skipped
    assert ("team", objective.team_id) not in skipped  # its part's weight moved
    skipped_state = _state()
    _run(now=NOW + dt.timedelta(minutes=5), skip=False)
    assert _state() == skipped_state
