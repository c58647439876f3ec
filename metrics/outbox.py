"""The e-mail outbox (``OutboxMessage``): every e-mail the app sends is first a row, written in
the caller's transaction and sent after commit by ``metrics.tasks.outbox_send`` with retries;
the sweep re-sends what is stuck, so a broken SMTP server delays a message but never loses it.

Alerts (``metrics.notifications``), other events (``metrics.preferences.notification_send``),
the digests (``metrics.digest``, ``metrics.weekly``) and the reviews write their e-mails here;
this module imports none of them (the task is sent by name, ``metrics.queue``).
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import datetime, timedelta

from django.conf import settings
from django.core.mail import EmailMessage, EmailMultiAlternatives, get_connection
from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from metrics.models import Alert, OutboxMessage
from metrics.queue import OUTBOX_SEND, enqueue

# The outbox's log lines keep the name they had in ``metrics.notifications``.
logger = logging.getLogger("metrics.notifications")


def outbox_hold(*, recipient, alert_ids: list[int], now: datetime) -> OutboxMessage:
    """Record alerts held back by the noise budget: a ``held`` outbox row (never sent itself)
    that the next daily digest (``metrics.digest.digests_build``) lists and marks digested."""
    return OutboxMessage.objects.create(
        channel=OutboxMessage.Channel.EMAIL,
        kind=OutboxMessage.Kind.HELD,
        status=OutboxMessage.Status.HELD,
        recipient=recipient,
        to_address=recipient.email,
        subject=f"{len(alert_ids)} alert(s) for the daily digest",
        body="",
        alert_ids=sorted(alert_ids),
        created_at=now,
    )


# Attachments made when an outbox row is sent (so for its recipient's access at that time),
# by the row's ``subject_type``: ``builder(row) -> [(filename, bytes, mimetype), ...]``. Apps
# register theirs in ``AppConfig.ready`` (reviews: a pack as a PDF), so this module imports
# none of them. A builder that raises fails the attempt like a refused send: retried later.
OUTBOX_ATTACHMENTS: dict[str, Callable[[OutboxMessage], list[tuple[str, bytes, str]]]] = {}


def outbox_email_queue(
    *,
    recipient,
    message: EmailMessage,
    alert_ids: list[int],
    now: datetime | None = None,
    kind: str = OutboxMessage.Kind.IMMEDIATE,
    html_body: str = "",
    digest_date=None,
    event: str = "",
    dedupe_key: str = "",
    subject_type: str = "",
    subject_id: int | None = None,
    link: str = "",
    parts: dict | None = None,
) -> OutboxMessage:
    """Write one e-mail to the outbox (in the caller's transaction) and send it after commit
    (``metrics.tasks.outbox_send``); a lost task leaves the row pending for the sweep.
    ``html_body``: an HTML alternative; ``kind``/``digest_date``: a daily digest's;
    ``event``, ``dedupe_key``, ``subject_type``/``subject_id``, ``link``, ``parts``: what it
    tells of (``metrics.preferences.notification_send``; a ``dedupe_key`` is unique per
    person; ``parts``: the derived parts its title and text were rendered from)."""
    row = OutboxMessage.objects.create(
        channel=OutboxMessage.Channel.EMAIL,
        kind=kind,
        recipient=recipient,
        to_address=message.to[0],
        subject=message.subject[:200],
        body=str(message.body),
        html_body=html_body,
        alert_ids=sorted(alert_ids),
        digest_date=digest_date,
        event=event,
        dedupe_key=dedupe_key,
        subject_type=subject_type,
        subject_id=subject_id,
        link=link,
        parts=parts or {},
        created_at=now or timezone.now(),
    )
    transaction.on_commit(lambda: enqueue(OUTBOX_SEND, message_id=row.id), robust=True)
    return row


def outbox_attempt(*, message_id: int, now: datetime | None = None) -> str:
    """One attempt to send an outbox row: "sent", "retry", "failed" or "nothing to do" (sent,
    failed for good, deleted, or being sent by another worker right now).

    The row is leased first (a guarded update of ``claimed_at``), so two workers never send it
    at once. Sent: the row is marked sent and its alerts get ``notified_at``. Not sent: the
    attempt and its error are recorded; after ``GAP_OUTBOX_MAX_ATTEMPTS`` the row fails."""
    now = now or timezone.now()
    lease = now - timedelta(seconds=settings.GAP_OUTBOX_LEASE_SECONDS)
    claimed = (
        OutboxMessage.objects.filter(id=message_id, status=OutboxMessage.Status.PENDING)
        .filter(Q(claimed_at__isnull=True) | Q(claimed_at__lt=lease))
        .update(claimed_at=now)
    )
    if not claimed:
        return "nothing to do"
    row = OutboxMessage.objects.get(id=message_id)
    email = EmailMultiAlternatives(
        subject=row.subject,
        body=row.body,
        from_email=settings.DEFAULT_FROM_EMAIL,
        to=[row.to_address],
    )
    if row.html_body:
        email.attach_alternative(row.html_body, "text/html")
    error = ""
    try:
        attach = OUTBOX_ATTACHMENTS.get(row.subject_type) if row.subject_type else None
        for filename, content, mimetype in attach(row) if attach else ():
            email.attach(filename, content, mimetype)
        sent = get_connection().send_messages([email]) or 0
    except Exception as exc:
        logger.warning("Outbox message %s not sent: %s", row.id, exc)
        sent, error = 0, f"{type(exc).__name__}: {exc}"[:2000]
    row.attempts += 1
    row.last_attempt_at = now
    row.claimed_at = None
    if sent:
        row.status, row.sent_at, row.last_error = OutboxMessage.Status.SENT, now, ""
        # An objective's root alert lists its causes: a message about it is about them too.
        Alert.objects.filter(
            Q(id__in=row.alert_ids) | Q(root_id__in=row.alert_ids, status__in=Alert.ACTIVE_STATUSES)
        ).update(notified_at=now)
    else:
        row.last_error = error or "The e-mail backend sent nothing."
        if row.attempts >= settings.GAP_OUTBOX_MAX_ATTEMPTS:
            row.status = OutboxMessage.Status.FAILED
    row.save(
        update_fields=[
            "attempts",
            "last_attempt_at",
            "claimed_at",
            "status",
            "sent_at",
            "last_error",
        ]
    )
    if sent:
        return "sent"
    return "failed" if row.status == OutboxMessage.Status.FAILED else "retry"


def outbox_backoff(*, attempts: int) -> int:
    """Seconds before the next attempt of an outbox row: exponential, capped like webhooks."""
    cap = min(3000, settings.CELERY_BROKER_TRANSPORT_OPTIONS.get("visibility_timeout", 3600) - 60)
    return int(min(cap, settings.GAP_OUTBOX_BACKOFF_SECONDS * 2 ** max(0, attempts - 1)))


def outbox_stuck(*, now: datetime) -> list[int]:
    """Pending outbox rows nobody is sending: never tried for a minute or more, or last tried
    longer ago than their backoff allows (the sweep re-enqueues them)."""
    rows = OutboxMessage.objects.filter(status=OutboxMessage.Status.PENDING).filter(
        Q(claimed_at__isnull=True)
        | Q(claimed_at__lt=now - timedelta(seconds=settings.GAP_OUTBOX_LEASE_SECONDS))
    )
    stuck = []
    for row_id, attempts, created_at, last in rows.values_list(
        "id", "attempts", "created_at", "last_attempt_at"
    ):
        since = last or created_at
        wait = outbox_backoff(attempts=attempts) if last else 60
        if since <= now - timedelta(seconds=wait):
            stuck.append(row_id)
    return stuck
