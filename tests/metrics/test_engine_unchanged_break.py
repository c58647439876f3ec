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


@pytest.mark.xfail(
    strict=True,
    reason="A score that did not change is not rewritten, so its stored inputs stay those of "
    "its first run of the day: a change undone matches them again and the subject is skipped, "
    "its alert left with the owner of the change in between.",
)
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


@pytest.mark.xfail(
    strict=True,
    reason="The objective's early_warning reads its KPIs' kinds, which are not among its "
    "inputs (its parts carry no kind): a KPI turned leading leaves the objective skipped.",
)
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


@pytest.mark.xfail(
    strict=True,
    reason="A person resolves a KPI alert; the KPI's run opens a fresh one with the same "
    "condition, so its objective's causes are unchanged and the objective is skipped: "
    "alerts_root_link never links the fresh alert to the root alert.",
)
def test_fresh_cause_alert_is_linked_to_its_root(objective, leader):
    kpi = _kpi(objective, OFF)
    _kpi(objective, OFF)
    full_recompute(today=TODAY, now=NOW)
    root = Alert.objects.get(kind="objective_off_track", subject_id=objective.pk)
    alert = Alert.objects.get(subject_id=kpi.pk, kind="kpi_off_track")
    assert alert.root_id == root.pk
    alerts_resolve(alert_ids=[alert.pk], by=leader, note="handled")
    _assert_same(*_both())
