"""Thin, id-based, idempotent Celery tasks of the gap engine (CONVENTIONS §3).

Every task recomputes from the database and overwrites, so a redelivered or concurrent run
gives the same scores and no duplicate alerts. ``acks_late`` with ``reject_on_worker_lost``:
a killed worker's task is delivered again.
"""

from __future__ import annotations

from datetime import datetime

from celery import shared_task
from django.db import InterfaceError, OperationalError

from metrics import queue

# Callers outside the app (reviews, the recompute command) send their tasks with it from here.
from metrics.queue import enqueue_safely as enqueue_safely

RETRYING = {
    "acks_late": True,
    "reject_on_worker_lost": True,
    "autoretry_for": (OperationalError, InterfaceError),
    "retry_backoff": True,
    "retry_backoff_max": 600,
    "max_retries": 5,
}


@shared_task(name=queue.GAPS_RECOMPUTE_SUBJECTS, **RETRYING)
def gaps_recompute_subjects(subjects: list, marked_at: str | None = None) -> dict:
    """Recompute changed subjects and their ancestors; clear their dirty marks."""
    from metrics.engine import subjects_recompute

    stats = subjects_recompute(
        subjects=[tuple(s) for s in subjects],
        marked_at=datetime.fromisoformat(marked_at) if marked_at else None,
    )
    return stats.as_dict()


@shared_task(name=queue.GAPS_RECOMPUTE_ALL, **RETRYING)
def gaps_recompute_all() -> dict:
    """Nightly: plan a recorded run (``metrics.engine.runs``) whose KPI chunks run in
    parallel, then its initiative chunks, then the rollup, then one notification batch; each
    stage starts when the previous one's chunks are done, and the sweep resumes a run a dead
    worker left. Eagerly (no broker), the whole recompute runs here, chunk after chunk."""
    from metrics.engine import full_recompute
    from metrics.engine.runs import run_start

    if gaps_recompute_all.app.conf.task_always_eager:
        return full_recompute().as_dict()
    run = run_start()
    stages = dict.fromkeys(run.chunks.order_by("id").values_list("stage", flat=True))
    return {"run": run.pk, "stages": list(stages), "chunks": run.chunks.count()}


@shared_task(name=queue.GAPS_RUN_CHUNK, **RETRYING)
def gaps_run_chunk(chunk_id: int) -> str:
    """One chunk of a recorded full recompute; a chunk that is not pending is left alone."""
    from metrics.engine.runs import chunk_execute

    return chunk_execute(chunk_id=chunk_id)


@shared_task(name=queue.GAPS_RUNS_RESUME, **RETRYING)
def gaps_runs_resume() -> dict:
    """Resume what dead workers left of unfinished recompute runs (the sweep's follow-up)."""
    from metrics.engine.runs import runs_resume

    return runs_resume()


@shared_task(name=queue.GAPS_SWEEP, **RETRYING)
def gaps_sweep() -> dict:
    """Celery: the periodic sweep (``metrics.engine.sweep``): re-enqueue what is dirty or changed
    by time alone, re-send what is stuck; returns its counts."""
    from metrics.engine import sweep

    return sweep()


@shared_task(name=queue.ALERTS_NOTIFY, **RETRYING)
def alerts_notify(alert_ids: list[int]) -> dict:
    """Celery: email the owners of the new alerts and queue their webhook deliveries
    (``metrics.notifications.alerts_notify``)."""
    from metrics.notifications import alerts_notify as notify

    return notify(alert_ids=alert_ids)


@shared_task(
    bind=True,
    name=queue.WEBHOOK_DELIVER,
    acks_late=True,
    reject_on_worker_lost=True,
    max_retries=None,  # bounded by GAP_WEBHOOK_MAX_RETRIES, counted on the delivery row
)
def webhook_deliver(self, delivery_id: int) -> str:
    """One POST attempt of a logged delivery; on failure, retried later by a new message."""
    from metrics.models import WebhookDelivery
    from metrics.notifications import webhook_attempt, webhook_backoff

    delivery = (
        WebhookDelivery.objects.select_related("webhook", "webhook__owner")
        .filter(id=delivery_id, status=WebhookDelivery.Status.PENDING)
        .first()
    )
    if delivery is None:
        return "nothing to do"  # delivered, failed for good, or deleted meanwhile
    if webhook_attempt(delivery=delivery):
        return "delivered"
    if delivery.status == WebhookDelivery.Status.FAILED:
        return "failed"
    raise self.retry(countdown=webhook_backoff(attempts=delivery.attempts))


@shared_task(
    bind=True,
    name=queue.OUTBOX_SEND,
    acks_late=True,
    reject_on_worker_lost=True,
    max_retries=None,  # bounded by GAP_OUTBOX_MAX_ATTEMPTS, counted on the outbox row
)
def outbox_send(self, message_id: int) -> str:
    """One attempt to send an outbox row; on failure, retried later by a new message (and,
    if that is lost, by the sweep)."""
    from metrics.models import OutboxMessage
    from metrics.outbox import outbox_attempt, outbox_backoff

    outcome = outbox_attempt(message_id=message_id)
    if outcome != "retry":
        return outcome
    attempts = OutboxMessage.objects.filter(id=message_id).values_list("attempts", flat=True)
    raise self.retry(countdown=outbox_backoff(attempts=attempts.first() or 1))


@shared_task(name=queue.DIGESTS_SEND, **RETRYING)
def digests_send() -> dict:
    """The daily digest of alerts the noise budget held back (beat, once a day); running it
    again the same day sends nothing more."""
    from metrics.digest import digests_build

    return digests_build()


@shared_task(name=queue.REMINDERS_SEND, **RETRYING)
def reminders_send() -> dict:
    """Today's check-in and measurement reminders (beat, daily); each is sent once ever."""
    from metrics.reminders import reminders_send as send

    return send()


@shared_task(name=queue.WEEKLY_DIGESTS_SEND, **RETRYING)
def weekly_digests_send() -> dict:
    """The weekly digests due by now in each person's time zone (beat, hourly); each person
    gets one a week however often it runs."""
    from metrics.weekly import weekly_digests_build

    return weekly_digests_build()
