"""Fault injection: a worker killed (``kill -9``) in the middle of a full recompute does not
stall it. Another worker, with the sweep on a short interval, finishes the run, and its scores
equal those of a clean run.

Reproduction (issue #12, 4): the in-flight chunk's message waited in Redis ``unacked`` for the
1-hour visibility timeout, and the initiative, rollup and notification stages (a chord's
callbacks) never ran: 45 of 121 scores stale, 44 dirty marks left.
"""

from __future__ import annotations

import datetime as dt
import os
import signal
import tempfile
import time

import pytest
from django.test import override_settings
from django.utils import timezone

from metrics.engine import full_recompute
from metrics.engine.runs import run_start
from metrics.models import (
    Alert,
    DirtySubject,
    GapScore,
    OutboxMessage,
    RecomputeChunk,
    RecomputeRun,
)
from strategy.models import Strategy
from tests.factories import (
    InitiativeFactory,
    KPIFactory,
    MeasurementFactory,
    ObjectiveFactory,
    StrategyFactory,
    ThemeFactory,
)
from tests.integration.conftest import worker_start, worker_stop

pytestmark = pytest.mark.integration

SWEEP_SECONDS = 3
LEASE_SECONDS = 4


def _untold(run: RecomputeRun) -> set[int]:
    """Ids of the alerts the run opened that were neither sent nor held for a digest."""
    held = {
        alert_id
        for ids in OutboxMessage.objects.filter(kind=OutboxMessage.Kind.HELD).values_list(
            "alert_ids", flat=True
        )
        for alert_id in ids
    }
    opened = Alert.objects.filter(opened_at=run.as_of, notified_at__isnull=True)
    return set(opened.values_list("id", flat=True)) - held


def _wait_for(predicate, timeout: float):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(0.2)
    return None


def _plan(team, leader) -> None:
    """Two objectives with KPIs (all off track: the run opens alerts to notify) and initiatives
    whose KPIs feed them, so that every stage of the run has work."""
    today = timezone.localdate()
    strategy = StrategyFactory(status=Strategy.Status.ACTIVE, owner=leader)
    theme = ThemeFactory(strategy=strategy)
    for _ in range(2):
        objective = ObjectiveFactory(
            theme=theme,
            team=team,
            start_date=today - dt.timedelta(days=200),
            due_date=today + dt.timedelta(days=200),
        )
        initiatives = [InitiativeFactory(objective=objective, owner=leader) for _ in range(2)]
        for i in range(4):
            initiative = initiatives[i % 2] if i < 2 else None
            kpi = KPIFactory(
                # A KPI measures an initiative or an objective.
                objective=None if initiative else objective,
                initiative=initiative,
                team=team,
                owner=leader,
                baseline_value=0.0,
                target_value=100.0,
                baseline_date=today - dt.timedelta(days=200),
                target_date=today + dt.timedelta(days=200),
                cadence_days=30,
            )
            for j in range(5):
                MeasurementFactory(
                    kpi=kpi, as_of=today - dt.timedelta(days=150 - 30 * j), value=2.0 + j
                )


def _scores() -> dict[tuple[str, int], tuple]:
    return {
        (s.subject_type, s.subject_id): (s.score, s.status, s.as_of)
        for s in GapScore.objects.filter(is_latest=True)
    }


def test_full_recompute_survives_a_worker_killed_mid_chunk(
    transactional_db, broker, team, leader, capsys
):
    _plan(team, leader)
    hanging = worker_start(
        broker,
        name="doomed",
        app="tests.integration.hanging_worker",
        env={"HANG_CHUNK": "kpis:1", "GAP_CHUNK_LEASE_SECONDS": str(LEASE_SECONDS)},
        # Production's pool: the chunk runs in a child; the kill hits the main process only
        # (Celery gives its children a parent-death signal, so the child dies with it).
        pool="prefork",
    )
    try:
        with override_settings(GAP_CHUNK_SIZE=2):
            run = run_start()  # enqueued on commit (autocommit here)
        stages = list(run.chunks.order_by("id").values_list("stage", flat=True))
        assert stages == ["kpis"] * 4 + ["initiatives"] * 2 + ["rollups", "notify"]
        in_flight = _wait_for(
            lambda: RecomputeChunk.objects.filter(
                run=run, stage="kpis", position=1, status="running"
            ).first(),
            timeout=30,
        )
        assert in_flight is not None, hanging.log_path.read_text()
        os.kill(hanging.pid, signal.SIGKILL)
        hanging.wait(timeout=10)
        killed_at = time.monotonic()
    finally:
        worker_stop(hanging)

    time.sleep(1)
    run.refresh_from_db()
    assert run.status == "running"
    assert run.stage == "kpis"  # stalled on the dead worker's chunk

    with tempfile.TemporaryDirectory() as folder:
        rescuer = worker_start(
            broker,
            name="rescuer",
            env={
                "GAP_SWEEP_MINUTES": str(SWEEP_SECONDS / 60),
                "GAP_CHUNK_LEASE_SECONDS": str(LEASE_SECONDS),
            },
            # Beat inside the worker: the sweep every SWEEP_SECONDS.
            args=["--beat", f"--schedule={folder}/beat-schedule"],
        )
        started = time.monotonic()
        try:
            finished = _wait_for(
                lambda: RecomputeRun.objects.filter(id=run.pk, status="finished").first(),
                timeout=60,
            )
            elapsed = time.monotonic() - started
            assert finished is not None, rescuer.log_path.read_text()
            # The notification stage ran: each alert the run opened is told at once or, beyond
            # the person's noise budget (NOTIFY_IMMEDIATE_PER_DAY), held for the daily digest.
            # notified_at is set when the outbox task has sent the message, after the run's end:
            # wait for it while the worker lives (a hang guard, not a timing goal).
            told = _wait_for(lambda: not _untold(run), timeout=60)
            assert told, (_untold(run), rescuer.log_path.read_text())
        finally:
            worker_stop(rescuer)
    with capsys.disabled():
        print(
            f"\nkilled worker's run finished {elapsed:.1f} s after a new worker was ready "
            f"({time.monotonic() - killed_at:.1f} s after the kill; sweep every "
            f"{SWEEP_SECONDS} s, lease {LEASE_SECONDS} s)"
        )

    chunk = RecomputeChunk.objects.get(id=in_flight.pk)
    assert chunk.status == "done"
    assert chunk.attempts == 2  # the dead worker's claim, then the rescuer's
    assert not RecomputeChunk.objects.filter(run=run).exclude(status="done").exists()
    # Every stage ran: the rollup (strategy score, no dirty marks left) and the notifications.
    assert GapScore.objects.filter(subject_type="strategy", is_latest=True).exists()
    assert not DirtySubject.objects.exists()
    opened = Alert.objects.filter(opened_at=run.as_of)
    assert opened.exists()

    recovered = _scores()
    kinds = {subject_type for subject_type, _ in recovered}
    assert kinds >= {"kpi", "initiative", "objective", "team", "theme", "strategy"}
    clean = full_recompute(today=run.today, now=run.as_of)
    assert clean.written == 0, "a clean run changed scores the recovered run had written"
    assert _scores() == recovered
