"""Thin, id-based, idempotent Celery tasks of the gap engine (CONVENTIONS §3).

Every task recomputes from the database and overwrites, so a redelivered or concurrent run
gives the same scores and no duplicate alerts. ``acks_late`` with ``reject_on_worker_lost``:
a killed worker's task is delivered again.
"""

from __future__ import annotations

import logging
from datetime import date, datetime

from celery import shared_task
from celery.exceptions import Retry
from django.db import InterfaceError, OperationalError

logger = logging.getLogger("metrics.tasks")

RETRYING = {
    "acks_late": True,
    "reject_on_worker_lost": True,
    "autoretry_for": (OperationalError, InterfaceError),
    "retry_backoff": True,
    "retry_backoff_max": 600,
    "max_retries": 5,
}


def enqueue_safely(task, **kwargs) -> bool:
    """Send a task; never raise. A broker outage fails fast (short timeouts, no publish retry)
    and is logged: the dirty marks in PostgreSQL make the sweep catch up later."""
    try:
        task.apply_async(kwargs=kwargs)
        return True
    except Retry:
        # Eager mode ran the task inline and it asked to be retried: its own log row (e.g. a
        # pending webhook delivery) is picked up again by the sweep.
        logger.info("%s ran eagerly and will be retried by the sweep.", task.name)
        return True
    except Exception as exc:
        logger.warning(
            "Could not enqueue %s (%s: %s); the sweep will catch up.",
            task.name,
            type(exc).__name__,
            exc,
        )
        return False


def _when(today: str | None, now: str | None) -> tuple[date | None, datetime | None]:
    return (
        date.fromisoformat(today) if today else None,
        datetime.fromisoformat(now) if now else None,
    )


@shared_task(name="metrics.gaps_recompute_subjects", **RETRYING)
def gaps_recompute_subjects(subjects: list, marked_at: str | None = None) -> dict:
    """Recompute changed subjects and their ancestors; clear their dirty marks."""
    from metrics.engine import subjects_recompute

    stats = subjects_recompute(
        subjects=[tuple(s) for s in subjects],
        marked_at=datetime.fromisoformat(marked_at) if marked_at else None,
    )
    return stats.as_dict()


@shared_task(name="metrics.gaps_recompute_kpi_chunk", **RETRYING)
def gaps_recompute_kpi_chunk(kpi_ids: list[int], today: str, now: str) -> dict:
    from metrics.engine import kpis_chunk_recompute

    day, moment = _when(today, now)
    return kpis_chunk_recompute(kpi_ids=kpi_ids, today=day, now=moment, notify=False).as_dict()


@shared_task(name="metrics.gaps_recompute_initiative_chunk", **RETRYING)
def gaps_recompute_initiative_chunk(initiative_ids: list[int], today: str, now: str) -> dict:
    from metrics.engine import initiatives_chunk_recompute

    day, moment = _when(today, now)
    return initiatives_chunk_recompute(
        initiative_ids=initiative_ids, today=day, now=moment, notify=False
    ).as_dict()


@shared_task(name="metrics.gaps_rollup_all", **RETRYING)
def gaps_rollup_all(today: str, now: str) -> dict:
    from metrics.engine import rollups_all_recompute

    day, moment = _when(today, now)
    return rollups_all_recompute(today=day, now=moment).as_dict()


@shared_task(name="metrics.gaps_recompute_all", **RETRYING)
def gaps_recompute_all() -> dict:
    """Nightly: KPI chunks in parallel, then initiative chunks in parallel, then the rollup.

    Needs a result backend to join the parallel chunks (a chord); without one (or eagerly),
    the chunks run one after the other in this task.
    """
    from celery import chain, group
    from django.utils import timezone

    from metrics.engine import full_recompute, full_recompute_plan

    app = gaps_recompute_all.app
    today, now = timezone.localdate().isoformat(), timezone.now().isoformat()
    if app.conf.task_always_eager or not app.conf.result_backend:
        return full_recompute().as_dict()
    kpi_chunks, initiative_chunks = full_recompute_plan()
    steps = []
    if kpi_chunks:
        steps.append(group(gaps_recompute_kpi_chunk.si(c, today, now) for c in kpi_chunks))
    if initiative_chunks:
        steps.append(
            group(gaps_recompute_initiative_chunk.si(c, today, now) for c in initiative_chunks)
        )
    steps.append(gaps_rollup_all.si(today, now))
    chain(*steps).apply_async()
    return {"kpi_chunks": len(kpi_chunks), "initiative_chunks": len(initiative_chunks)}


@shared_task(name="metrics.gaps_sweep", **RETRYING)
def gaps_sweep() -> dict:
    from metrics.engine import sweep

    return sweep()


@shared_task(name="metrics.alerts_notify", **RETRYING)
def alerts_notify(alert_ids: list[int]) -> dict:
    from metrics.notifications import alerts_notify as notify

    return notify(alert_ids=alert_ids)


@shared_task(
    bind=True,
    name="metrics.webhook_deliver",
    acks_late=True,
    reject_on_worker_lost=True,
    max_retries=None,  # bounded by GAP_WEBHOOK_MAX_RETRIES, counted on the delivery row
)
def webhook_deliver(self, delivery_id: int) -> str:
    """One POST attempt of a logged delivery; on failure, retried later by a new message."""
    from metrics.models import WebhookDelivery
    from metrics.notifications import webhook_attempt, webhook_backoff

    delivery = (
        WebhookDelivery.objects.select_related("webhook")
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
