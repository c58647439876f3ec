"""The engine's sweep (``sweep``, every few minutes from beat): what is still dirty, what time
alone has changed, stuck webhook deliveries and outbox e-mails, alerts of deleted subjects,
snoozes that ended, and full recompute runs a dead worker left (``metrics.engine.runs``).
It enqueues the follow-up tasks by name (``metrics.queue``)."""

from __future__ import annotations

from datetime import date, datetime, timedelta

from django.conf import settings
from django.db import transaction
from django.db.models import Model, OuterRef, Q, Subquery
from django.utils import timezone

from initiatives.models import Initiative, Milestone
from metrics.engine.common import Key, logger
from metrics.engine.initiatives import OPEN
from metrics.engine.run import chunks
from metrics.engine.runs import runs_resume, runs_unfinished
from metrics.models import (
    KPI,
    Alert,
    AlertEvent,
    DirtySubject,
    GapScore,
    Measurement,
    SubjectType,
    WebhookDelivery,
)
from metrics.outbox import outbox_stuck
from metrics.queue import (
    ALERTS_NOTIFY,
    GAPS_RECOMPUTE_SUBJECTS,
    GAPS_RUNS_RESUME,
    OUTBOX_SEND,
    WEBHOOK_DELIVER,
    enqueue,
)
from metrics.scoring.initiative import checkin_silence
from metrics.scoring.quality import kpi_is_stale


def sweep_candidates(*, today: date, now: datetime) -> list[Key]:
    """Subjects whose time-driven conditions changed without any write: a KPI that became
    stale, an initiative whose check-in became stale, a milestone that became overdue, and any
    subject whose latest score is older than yesterday (a missed nightly run)."""
    grace = settings.GAP_STALE_GRACE
    found: set[Key] = set()
    stale_alerts = set(
        Alert.objects.filter(
            kind__in=[
                Alert.Kind.KPI_STALE,
                Alert.Kind.INITIATIVE_STALE,
                Alert.Kind.MILESTONE_OVERDUE,
            ],
            status__in=Alert.ACTIVE_STATUSES,
        ).values_list("kind", "subject_id")
    )
    last_value = (
        Measurement.objects.filter(kpi=OuterRef("pk")).order_by("-as_of").values("as_of")[:1]
    )
    for kpi_id, cadence, target_date, last, created_at in (
        KPI.objects.filter(is_active=True)
        .annotate(last=Subquery(last_value))
        .values_list("id", "cadence_days", "target_date", "last", "created_at")
    ):
        if (Alert.Kind.KPI_STALE, kpi_id) in stale_alerts:
            continue
        if kpi_is_stale(
            last_day=last,
            cadence_days=cadence,
            today=today,
            target_date=target_date,
            grace=grace,
            created_on=timezone.localtime(created_at).date(),
        ):
            found.add((SubjectType.KPI, kpi_id))
    for initiative_id, cadence, start, last, resumed_on, status in Initiative.objects.filter(
        status__in=OPEN
    ).values_list(
        "id", "checkin_cadence_days", "start_date", "last_checkin_at", "resumed_on", "status"
    ):
        if (Alert.Kind.INITIATIVE_STALE, initiative_id) in stale_alerts:
            continue
        silence = checkin_silence(
            last_checkin_on=timezone.localtime(last).date() if last else None,
            start_date=start,
            cadence_days=cadence,
            today=today,
            grace=grace,
            resumed_on=resumed_on,
            paused=status == Initiative.Status.ON_HOLD,
        )
        if silence.stale:
            found.add((SubjectType.INITIATIVE, initiative_id))
    for milestone_id, initiative_id in Milestone.objects.filter(
        completed_on__isnull=True, due_date__lt=today, initiative__status__in=OPEN
    ).values_list("id", "initiative_id"):
        if (Alert.Kind.MILESTONE_OVERDUE, milestone_id) not in stale_alerts:
            found.add((SubjectType.INITIATIVE, initiative_id))
    old = today - timedelta(days=1)
    for subject_type, subject_id in GapScore.objects.filter(
        is_latest=True,
        as_of__lt=old,
        subject_type__in=[SubjectType.KPI, SubjectType.INITIATIVE],
    ).values_list("subject_type", "subject_id"):
        found.add((subject_type, subject_id))
    return sorted(found)


def dirty_batches(*, now: datetime) -> list[tuple[list[Key], datetime]]:
    """Subjects still marked dirty after the grace period, in batches with their newest mark."""
    cutoff = now - timedelta(seconds=settings.GAP_DIRTY_GRACE_SECONDS)
    rows = list(
        DirtySubject.objects.filter(marked_at__lte=cutoff)
        .order_by("marked_at")
        .values_list("subject_type", "subject_id", "marked_at")
    )
    batches = []
    size = settings.GAP_CHUNK_SIZE
    for start in range(0, len(rows), size):
        part = rows[start : start + size]
        batches.append(([(t, i) for t, i, _ in part], max(m for _, _, m in part)))
    return batches


def alerts_resolve_orphans(*, now: datetime) -> int:
    """Resolve active alerts whose subject was deleted (nothing will evaluate them again)."""
    from strategy.models import Objective, Strategy, Team, Theme

    models: dict[str, type[Model]] = {
        SubjectType.KPI: KPI,
        SubjectType.INITIATIVE: Initiative,
        SubjectType.MILESTONE: Milestone,
        SubjectType.OBJECTIVE: Objective,
        SubjectType.TEAM: Team,
        SubjectType.THEME: Theme,
        SubjectType.STRATEGY: Strategy,
    }
    resolved = 0
    for subject_type, model in models.items():
        with transaction.atomic():
            rows = list(
                Alert.objects.select_for_update()
                .filter(subject_type=subject_type, status__in=Alert.ACTIVE_STATUSES)
                .exclude(subject_id__in=model._default_manager.values("id"))  # = objects
                .values_list("id", "severity")
            )
            if not rows:
                continue
            Alert.objects.filter(id__in=[i for i, _ in rows]).update(
                status=Alert.Status.RESOLVED, resolved_at=now, last_seen_at=now, clear_since=None
            )
            AlertEvent.objects.bulk_create(
                [
                    AlertEvent(
                        alert_id=i,
                        kind=AlertEvent.Kind.RESOLVED,
                        severity=severity,
                        at=now,
                        note="Its subject was deleted.",
                    )
                    for i, severity in rows
                ]
            )
            resolved += len(rows)
    return resolved


def alerts_wake(*, now: datetime) -> list[int]:
    """Active alerts whose snooze has ended: the snooze is cleared and "woke" logged (one
    update, one insert). Returns the ids of the open ones (not acknowledged), to notify."""
    with transaction.atomic():
        rows = list(
            Alert.objects.select_for_update()
            .filter(snoozed_until__lte=now, status__in=Alert.ACTIVE_STATUSES)
            .order_by("id")
            .values_list("id", "severity", "status")
        )
        if not rows:
            return []
        Alert.objects.filter(id__in=[i for i, _, _ in rows]).update(snoozed_until=None)
        AlertEvent.objects.bulk_create(
            [
                AlertEvent(alert_id=i, kind=AlertEvent.Kind.WOKE, severity=severity, at=now)
                for i, severity, _ in rows
            ]
        )
    return [i for i, _, status in rows if status == Alert.Status.OPEN]


def sweep(*, today: date | None = None, now: datetime | None = None) -> dict:
    """Re-enqueue what is still dirty and what time alone has changed; re-send stuck webhooks
    and outbox messages;
    resolve alerts of deleted subjects; resume full recompute runs a dead worker left
    (``metrics.engine.runs.runs_resume``)."""
    today = today or timezone.localdate()
    now = now or timezone.now()
    enqueued = 0
    dirty = dirty_batches(now=now)
    for subjects, marked_at in dirty:
        enqueued += enqueue(
            GAPS_RECOMPUTE_SUBJECTS,
            subjects=[list(s) for s in subjects],
            marked_at=marked_at.isoformat(),
        )
    candidates = sweep_candidates(today=today, now=now)
    for part in chunks(list(range(len(candidates))), settings.GAP_CHUNK_SIZE):
        enqueued += enqueue(GAPS_RECOMPUTE_SUBJECTS, subjects=[list(candidates[i]) for i in part])
    stuck = list(
        WebhookDelivery.objects.filter(status=WebhookDelivery.Status.PENDING)
        .filter(
            Q(last_attempt_at__lt=now - timedelta(hours=1))
            | Q(last_attempt_at__isnull=True, created_at__lt=now - timedelta(minutes=10))
        )
        .values_list("id", flat=True)
    )
    for delivery_id in stuck:
        enqueue(WEBHOOK_DELIVER, delivery_id=delivery_id)

    outbox = outbox_stuck(now=now)
    for message_id in outbox:
        enqueue(OUTBOX_SEND, message_id=message_id)

    runs = runs_resume(now=now)
    if runs_unfinished():
        # A worker that died just before this sweep still looks alive (its heartbeat is
        # recent): look again once its lease has run out rather than a whole sweep later.
        enqueue(GAPS_RUNS_RESUME, countdown=settings.GAP_CHUNK_LEASE_SECONDS + 1)
    woken = alerts_wake(now=now)
    if woken:
        transaction.on_commit(lambda: enqueue(ALERTS_NOTIFY, alert_ids=woken))
    result = {
        "orphan_alerts_resolved": alerts_resolve_orphans(now=now),
        "alerts_woken": len(woken),
        "dirty_batches": len(dirty),
        "time_driven": len(candidates),
        "tasks_enqueued": enqueued,
        "webhooks_resent": len(stuck),
        "outbox_resent": len(outbox),
        "recompute_runs": runs,
    }
    logger.info("Sweep: %s", result)
    return result
