"""Recorded full recompute runs (``metrics.engine.runs``): stages, claims, and the sweep's
resumption of what a dead worker left. Tasks run eagerly here; the real-worker fault test is
``tests/integration/test_recompute_run_recovery.py``."""

from __future__ import annotations

import datetime as dt
from unittest import mock

import pytest
from django.utils import timezone

from metrics.engine import full_recompute
from metrics.engine import runs as runs_module
from metrics.engine.runs import chunk_execute, run_start, runs_resume
from metrics.models import GapScore, RecomputeChunk, RecomputeRun
from strategy.models import Strategy
from tests.factories import (
    KPIFactory,
    MeasurementFactory,
    ObjectiveFactory,
    StrategyFactory,
    ThemeFactory,
)


@pytest.fixture
def plan(team, leader):
    strategy = StrategyFactory(status=Strategy.Status.ACTIVE, owner=leader)
    objective = ObjectiveFactory(theme=ThemeFactory(strategy=strategy), team=team)
    for _ in range(5):
        kpi = KPIFactory(objective=objective, team=team)
        MeasurementFactory(kpi=kpi, as_of=timezone.localdate(), value=25.0)
    return strategy


def _scores() -> dict:
    return {
        (s.subject_type, s.subject_id): (s.score, s.status)
        for s in GapScore.objects.filter(is_latest=True)
    }


def _planned(settings, django_capture_on_commit_callbacks) -> RecomputeRun:
    """A run planned as beat's task plans it, its first stage not sent (a lost message, or a
    worker that died before anything ran)."""
    settings.GAP_CHUNK_SIZE = 2
    with django_capture_on_commit_callbacks(execute=False):
        return run_start()


def test_a_run_goes_through_its_stages_and_finishes(
    plan, settings, django_capture_on_commit_callbacks
):
    settings.GAP_CHUNK_SIZE = 2
    with django_capture_on_commit_callbacks(execute=True):
        run = run_start()

    run.refresh_from_db()
    assert run.status == "finished"
    assert run.stage == "done"
    chunks = list(run.chunks.order_by("id").values_list("stage", "status", "attempts"))
    assert chunks == [("kpis", "done", 1)] * 3 + [("rollups", "done", 1), ("notify", "done", 1)]
    recorded = _scores()
    assert full_recompute(today=run.today, now=run.as_of).written == 0
    assert _scores() == recorded


def test_sweep_takes_back_a_dead_workers_chunk_and_finishes_the_run(
    plan, settings, django_capture_on_commit_callbacks
):
    run = _planned(settings, django_capture_on_commit_callbacks)
    settings.GAP_CHUNK_LEASE_SECONDS = 60
    # The first chunk was claimed by a worker that then died: its heartbeat stopped.
    dead = run.chunks.get(stage="kpis", position=0)
    long_ago = timezone.now() - dt.timedelta(seconds=61)
    RecomputeChunk.objects.filter(id=dead.id).update(
        status="running", claim="dead", claimed_at=long_ago, heartbeat_at=long_ago, attempts=1
    )

    counts = runs_resume()

    assert counts["reclaimed"] == 1
    assert counts["resent"] == 3  # the taken-back chunk and the two never sent
    run.refresh_from_db()
    assert run.status == "finished"
    dead.refresh_from_db()
    assert (dead.status, dead.attempts) == ("done", 2)


def test_a_live_workers_chunk_is_left_alone(plan, settings, django_capture_on_commit_callbacks):
    run = _planned(settings, django_capture_on_commit_callbacks)
    settings.GAP_CHUNK_LEASE_SECONDS = 60
    busy = run.chunks.get(stage="kpis", position=0)
    recent = timezone.now() - dt.timedelta(seconds=10)
    RecomputeChunk.objects.filter(id=busy.id).update(
        status="running", claim="alive", claimed_at=recent, heartbeat_at=recent
    )

    counts = runs_resume()

    assert counts["reclaimed"] == 0
    busy.refresh_from_db()
    assert (busy.status, busy.claim) == ("running", "alive")
    run.refresh_from_db()
    assert (run.status, run.stage) == ("running", "kpis")  # waits for that chunk


def test_a_late_or_duplicate_message_does_nothing(
    plan, settings, django_capture_on_commit_callbacks
):
    run = _planned(settings, django_capture_on_commit_callbacks)
    chunk = run.chunks.get(stage="kpis", position=0)
    with mock.patch("metrics.engine.runs.run_advance"):
        assert chunk_execute(chunk_id=chunk.id) == "done"
    with mock.patch.object(runs_module, "chunk_work") as work:
        assert chunk_execute(chunk_id=chunk.id) == "nothing to do"
    work.assert_not_called()


def test_a_new_run_supersedes_an_unfinished_one(plan, settings, django_capture_on_commit_callbacks):
    old = _planned(settings, django_capture_on_commit_callbacks)
    new = _planned(settings, django_capture_on_commit_callbacks)

    old.refresh_from_db()
    assert old.status == "superseded"
    with mock.patch.object(runs_module, "chunk_work") as work:
        assert chunk_execute(chunk_id=old.chunks.first().id) == "nothing to do"
    work.assert_not_called()
    assert runs_resume()["runs"] == 1  # only the new one is resumed
    new.refresh_from_db()
    assert new.status == "finished"


def test_a_failing_chunk_goes_back_to_pending_and_gives_up_its_run_after_max_attempts(
    plan, settings, django_capture_on_commit_callbacks, caplog
):
    run = _planned(settings, django_capture_on_commit_callbacks)
    settings.GAP_CHUNK_MAX_ATTEMPTS = 2
    chunk = run.chunks.get(stage="kpis", position=0)
    with mock.patch.object(runs_module, "chunk_work", side_effect=RuntimeError("bad data")):
        for _ in range(2):
            with pytest.raises(RuntimeError):
                chunk_execute(chunk_id=chunk.id)
    chunk.refresh_from_db()
    assert (chunk.status, chunk.attempts, chunk.claim) == ("pending", 2, "")

    assert runs_resume()["failed"] == 1
    run.refresh_from_db()
    assert run.status == "failed"
    assert "given up" in caplog.text


def test_sweep_resumes_runs_and_looks_again_after_a_lease(
    plan, settings, django_capture_on_commit_callbacks
):
    from metrics.engine import sweep

    _planned(settings, django_capture_on_commit_callbacks)
    settings.GAP_CHUNK_LEASE_SECONDS = 60
    with mock.patch("metrics.tasks.gaps_runs_resume.apply_async") as follow_up:
        result = sweep()
    assert result["recompute_runs"]["runs"] == 1
    assert RecomputeRun.objects.get().status == "finished"
    follow_up.assert_not_called()  # nothing left unfinished

    run = _planned(settings, django_capture_on_commit_callbacks)
    recent = timezone.now()
    run.chunks.filter(position=0, stage="kpis").update(
        status="running", claim="x", heartbeat_at=recent
    )
    with mock.patch("metrics.tasks.gaps_runs_resume.apply_async") as follow_up:
        sweep()
    follow_up.assert_called_once_with(kwargs={}, countdown=61)


@pytest.mark.django_db(transaction=True)
def test_two_workers_claiming_one_chunk_at_once_compute_it_once(team, leader, settings):
    """Real concurrent claims (threads, each on its own connection): one computes, the other
    finds the chunk taken. On SQLite the writes are serialised anyway."""
    import threading

    from django.db import connection

    strategy = StrategyFactory(status=Strategy.Status.ACTIVE, owner=leader)
    objective = ObjectiveFactory(theme=ThemeFactory(strategy=strategy), team=team)
    KPIFactory(objective=objective, team=team)
    settings.GAP_CHUNK_SIZE = 2
    with mock.patch("metrics.engine.runs.stage_enqueue"):  # nothing sent: claims by hand
        run = run_start()
    chunk = run.chunks.get(stage="kpis")
    barrier = threading.Barrier(2)
    computed, answers = [], []
    compute = runs_module.chunk_work

    def work(c) -> None:
        computed.append(c.id)
        compute(c)

    def worker() -> None:
        try:
            barrier.wait()
            answers.append(chunk_execute(chunk_id=chunk.id))
        finally:
            connection.close()

    with (
        mock.patch.object(runs_module, "chunk_work", side_effect=work),
        mock.patch("metrics.engine.runs.run_advance"),
    ):
        threads = [threading.Thread(target=worker) for _ in range(2)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=60)

    assert sorted(answers) == ["done", "nothing to do"]
    assert computed == [chunk.id]
    chunk.refresh_from_db()
    assert (chunk.status, chunk.attempts) == ("done", 1)
