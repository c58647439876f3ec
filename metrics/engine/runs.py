"""The full recompute on workers, recorded in the database so that no worker's death stalls it.

``run_start`` plans a ``RecomputeRun``: chunks of KPI ids, chunks of initiative ids, one
rollup chunk and one notification chunk (``RecomputeChunk`` rows, stage by stage), then
enqueues the first stage. Each ``gaps_run_chunk`` task claims its chunk with a guarded update,
computes it while a thread beats its heartbeat, marks it done, and starts the next stage when
its own stage has no chunk left (``run_advance``, guarded so that only one worker does).

A worker killed mid-chunk (``kill -9``, OOM, a lost machine) leaves a ``running`` chunk whose
heartbeat stops, and its unacknowledged Celery message waits in Redis for the visibility
timeout (an hour). The sweep does not wait: ``runs_resume`` puts chunks whose heartbeat is
older than ``GAP_CHUNK_LEASE_SECONDS`` back to ``pending``, re-enqueues pending chunks whose
message is older than the lease, and advances stages whose chunks are all done. A late or
duplicate message finds its chunk claimed or done and does nothing; a chunk computes from
the database and overwrites, so computing one twice gives the same scores.
"""

from __future__ import annotations

import os
import socket
import threading
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime, timedelta

from django.conf import settings
from django.db import DatabaseError, connection, transaction
from django.db.models import F, Q
from django.utils import timezone

from metrics.engine.common import logger
from metrics.engine.run import (
    full_recompute_plan,
    initiatives_chunk_recompute,
    kpis_chunk_recompute,
    rollups_all_recompute,
)
from metrics.models import Alert, RecomputeChunk, RecomputeRun
from metrics.queue import GAPS_RUN_CHUNK, enqueue

Stage = RecomputeRun.Stage
STAGES: list[str] = [Stage.KPIS, Stage.INITIATIVES, Stage.ROLLUPS, Stage.NOTIFY]
PENDING, RUNNING, DONE = (
    RecomputeChunk.Status.PENDING,
    RecomputeChunk.Status.RUNNING,
    RecomputeChunk.Status.DONE,
)
# Finished runs are kept this long for operators, then deleted by the sweep.
KEEP_RUNS = timedelta(days=14)


def run_start(
    *, today=None, now: datetime | None = None, chunk_size: int | None = None
) -> RecomputeRun:
    """Plan a full recompute and enqueue its first stage after commit.

    An unfinished older run is superseded (its chunks are no longer claimed): the new run
    recomputes everything anyway."""
    today = today or timezone.localdate()
    now = now or timezone.now()
    kpi_chunks, initiative_chunks = full_recompute_plan(chunk_size=chunk_size)
    planned: dict[str, list[list[int]]] = {
        Stage.KPIS: kpi_chunks,
        Stage.INITIATIVES: initiative_chunks,
        Stage.ROLLUPS: [[]],
        Stage.NOTIFY: [[]],
    }
    with transaction.atomic():
        RecomputeRun.objects.filter(status=RecomputeRun.Status.RUNNING).update(
            status=RecomputeRun.Status.SUPERSEDED, finished_at=now
        )
        first = next(stage for stage in STAGES if planned[stage])
        run = RecomputeRun.objects.create(today=today, as_of=now, stage=first)
        RecomputeChunk.objects.bulk_create(
            RecomputeChunk(run=run, stage=stage, position=position, subject_ids=ids)
            for stage in STAGES
            for position, ids in enumerate(planned[stage])
        )
        transaction.on_commit(lambda: stage_enqueue(run_id=run.pk, stage=first))
    return run


def stage_enqueue(*, run_id: int, stage: str, older_than: datetime | None = None) -> int:
    """Enqueue one ``gaps_run_chunk`` per pending chunk of this stage (only those last
    enqueued before ``older_than``, when given). Returns how many were sent."""
    pending = RecomputeChunk.objects.filter(run_id=run_id, stage=stage, status=PENDING)
    if older_than is not None:
        pending = pending.filter(Q(enqueued_at__lt=older_than) | Q(enqueued_at__isnull=True))
    ids = list(pending.order_by("position").values_list("id", flat=True))
    RecomputeChunk.objects.filter(id__in=ids).update(enqueued_at=timezone.now())
    return sum(enqueue(GAPS_RUN_CHUNK, chunk_id=chunk_id) for chunk_id in ids)


def chunk_work(chunk: RecomputeChunk) -> None:
    """Compute one chunk (the stage's engine entry point, at the run's day and moment)."""
    run = chunk.run
    if chunk.stage == Stage.KPIS:
        kpis_chunk_recompute(
            kpi_ids=chunk.subject_ids, today=run.today, now=run.as_of, notify=False
        )
    elif chunk.stage == Stage.INITIATIVES:
        initiatives_chunk_recompute(
            initiative_ids=chunk.subject_ids, today=run.today, now=run.as_of, notify=False
        )
    elif chunk.stage == Stage.ROLLUPS:
        rollups_all_recompute(today=run.today, now=run.as_of, notify=False)
    elif chunk.stage == Stage.NOTIFY:
        from metrics.notifications import alerts_notify

        # Every alert the run opened and nobody was told of yet; alerts_notify claims each one
        # (notify_claimed_at) so a second attempt of this chunk sends nothing twice.
        opened = list(
            Alert.objects.filter(
                status=Alert.Status.OPEN, opened_at=run.as_of, notify_claimed_at__isnull=True
            ).values_list("id", flat=True)
        )
        if opened:
            alerts_notify(alert_ids=opened)


@contextmanager
def chunk_heartbeat(*, chunk_id: int, claim: str, every: float) -> Iterator[None]:
    """Beat ``heartbeat_at`` of a claimed chunk every ``every`` seconds from a thread, on that
    thread's own database connection, until the block ends. A failed beat (e.g. SQLite busy
    with this chunk's writes) is skipped; the lease allows several missed beats. (A prefork
    pool child dies with its worker's main process: Celery sets it a parent-death signal.)"""
    stop = threading.Event()

    def beat() -> None:
        try:
            while not stop.wait(every):
                try:
                    RecomputeChunk.objects.filter(id=chunk_id, claim=claim, status=RUNNING).update(
                        heartbeat_at=timezone.now()
                    )
                except DatabaseError as exc:
                    logger.info("Heartbeat of chunk %s skipped: %s", chunk_id, exc)
        finally:
            connection.close()  # this thread's connection

    thread = threading.Thread(target=beat, name=f"chunk-{chunk_id}-heartbeat", daemon=True)
    thread.start()
    try:
        yield
    finally:
        stop.set()
        thread.join()


def chunk_execute(*, chunk_id: int) -> str:
    """Claim, compute and finish one chunk, then start the next stage if this one is done.

    Returns ``"done"``, or ``"nothing to do"`` when the chunk is not pending (done, claimed by
    a live worker, or its run superseded). An error puts the chunk back to ``pending`` before
    it propagates (the task's retry, or the sweep, runs it again)."""
    chunk = RecomputeChunk.objects.select_related("run").filter(id=chunk_id).first()
    if chunk is None or chunk.status != PENDING or chunk.run.status != RecomputeRun.Status.RUNNING:
        return "nothing to do"
    claim = uuid.uuid4().hex
    now = timezone.now()
    # The guard on the row itself (no join): of two workers, PostgreSQL lets one update it.
    claimed = RecomputeChunk.objects.filter(id=chunk_id, status=PENDING).update(
        status=RUNNING,
        claim=claim,
        claimed_at=now,
        heartbeat_at=now,
        attempts=F("attempts") + 1,
        worker=f"{socket.gethostname()}:{os.getpid()}"[:200],
    )
    if not claimed:
        return "nothing to do"
    mine = RecomputeChunk.objects.filter(id=chunk_id, claim=claim, status=RUNNING)
    try:
        with chunk_heartbeat(
            chunk_id=chunk_id, claim=claim, every=settings.GAP_CHUNK_LEASE_SECONDS / 4
        ):
            chunk_work(chunk)
    except BaseException:
        mine.update(status=PENDING, claim="")
        raise
    if not mine.update(status=DONE, finished_at=timezone.now()):
        # Taken back meanwhile (this worker looked dead): the new claimant finishes it.
        logger.warning("Chunk %s was reclaimed while this worker computed it.", chunk_id)
        return "reclaimed"
    run_advance(run_id=chunk.run_id)
    return "done"


def run_advance(*, run_id: int) -> str:
    """If every chunk of the run's current stage is done, move to the next stage (one caller
    wins the guarded update) and enqueue its chunks; the last stage finishes the run.
    Returns the run's stage afterwards."""
    run = RecomputeRun.objects.filter(id=run_id, status=RecomputeRun.Status.RUNNING).first()
    if run is None:
        return ""
    stage = run.stage
    while stage != Stage.DONE:
        if RecomputeChunk.objects.filter(run_id=run_id, stage=stage).exclude(status=DONE).exists():
            return stage
        following = STAGES[STAGES.index(stage) + 1 :]
        nxt = next(
            (
                s
                for s in following
                if RecomputeChunk.objects.filter(run_id=run_id, stage=s).exists()
            ),
            Stage.DONE,
        )
        finished = nxt == Stage.DONE
        moved = RecomputeRun.objects.filter(
            id=run_id, stage=stage, status=RecomputeRun.Status.RUNNING
        ).update(
            stage=nxt,
            status=RecomputeRun.Status.FINISHED if finished else RecomputeRun.Status.RUNNING,
            finished_at=timezone.now() if finished else None,
        )
        if not moved:
            return ""  # another worker advanced it
        if finished:
            logger.info("Recompute run %s finished.", run_id)
            return nxt
        stage_enqueue(run_id=run_id, stage=nxt)
        stage = nxt
    return stage


def runs_resume(*, now: datetime | None = None) -> dict:
    """The sweep's part: take back chunks of dead workers, re-send chunks whose message seems
    lost, advance stages that are complete, fail chunks that keep failing; delete old runs.

    Returns counts: ``{"runs": unfinished runs seen, "reclaimed": chunks taken back,
    "resent": chunk messages sent again, "failed": runs given up}``."""
    now = now or timezone.now()
    lease = timedelta(seconds=settings.GAP_CHUNK_LEASE_SECONDS)
    counts = {"runs": 0, "reclaimed": 0, "resent": 0, "failed": 0}
    for run in RecomputeRun.objects.filter(status=RecomputeRun.Status.RUNNING).order_by("id"):
        counts["runs"] += 1
        reclaimed = RecomputeChunk.objects.filter(
            run=run, status=RUNNING, heartbeat_at__lt=now - lease
        ).update(status=PENDING, claim="", enqueued_at=None)
        if reclaimed:
            logger.warning(
                "Recompute run %s: %d chunk(s) of a dead worker taken back.", run.pk, reclaimed
            )
        counts["reclaimed"] += reclaimed
        exhausted = RecomputeChunk.objects.filter(
            run=run, status=PENDING, attempts__gte=settings.GAP_CHUNK_MAX_ATTEMPTS
        ).first()
        if exhausted is not None:
            RecomputeRun.objects.filter(id=run.pk).update(
                status=RecomputeRun.Status.FAILED, finished_at=now
            )
            logger.error(
                "Recompute run %s given up: %s failed %d times (see the worker log).",
                run.pk,
                exhausted,
                exhausted.attempts,
            )
            counts["failed"] += 1
            continue
        stage = run_advance(run_id=run.pk)
        if stage and stage != Stage.DONE:
            # A reclaimed chunk at once; others only once their message is older than the
            # lease (still queued behind other work, or unacknowledged by a dead worker).
            counts["resent"] += stage_enqueue(run_id=run.pk, stage=stage, older_than=now - lease)
    RecomputeRun.objects.exclude(status=RecomputeRun.Status.RUNNING).filter(
        started_at__lt=now - KEEP_RUNS
    ).delete()
    return counts


def runs_unfinished() -> bool:
    """Whether a run is still going (the sweep then checks again one lease later)."""
    return RecomputeRun.objects.filter(status=RecomputeRun.Status.RUNNING).exists()
