"""Writes of the security log: one function per shape of event, and the retention sweep.

Every event is a row (``SecurityEvent``) and one JSON line on the ``execsupport.security``
logger (after commit: a change rolled back logs nothing). Who, from where and in which request
come from the request being answered (``execsupport.middleware.current_request``), so model
signals and services far from the view record them too; in tasks and commands they are empty.
Details never hold a secret (no password, token, signing secret or webhook URL path).
"""

from __future__ import annotations

import datetime as dt
import logging
from typing import Any

from django.conf import settings
from django.db import transaction
from django.db.models import F
from django.http import HttpRequest
from django.utils import timezone

from execsupport.client_ip import client_ip
from execsupport.middleware import current_request
from security.models import SecurityEvent

logger = logging.getLogger("execsupport.security")

USER_AGENT_MAX = 300
OVERFLOW_KEY = "*overflow*"


def _request_context(request: HttpRequest | None) -> dict[str, Any]:
    if request is None:
        return {"ip": None, "request_id": "", "user_agent": ""}
    return {
        "ip": client_ip(request),
        "request_id": getattr(request, "request_id", "") or "",
        "user_agent": (request.META.get("HTTP_USER_AGENT") or "")[:USER_AGENT_MAX],
    }


def _request_user(request: HttpRequest | None):
    user = getattr(request, "user", None) if request is not None else None
    return user if user is not None and user.is_authenticated else None


def _log(event: SecurityEvent) -> None:
    fields = {
        "event_id": event.pk,
        "event_kind": event.kind,
        "at": event.at.isoformat(),
        "actor": event.actor_name or None,
        "actor_id": event.actor_id,
        "subject": event.subject_name or None,
        "subject_id": event.subject_id,
        "ip": event.ip,
        "request_id": event.request_id or None,
        "user_agent": event.user_agent or None,
        "details": event.details,
        "count": event.count,
    }
    transaction.on_commit(
        lambda: logger.info("security event: %s", event.kind, extra=fields), robust=True
    )


def security_event_record(
    *,
    kind: str,
    request: HttpRequest | None = None,
    actor=None,
    subject=None,
    subject_name: str = "",
    details: dict[str, Any] | None = None,
) -> SecurityEvent:
    """Write one event. ``request``: the request it happened in (default: the one being
    answered); ``actor``: who did it (default: the request's signed-in person); ``subject``:
    the person it concerns (their username is kept in ``subject_name`` should they be
    deleted); ``details``: JSON-safe facts, never a secret."""
    request = request or current_request()
    actor = actor or _request_user(request)
    event = SecurityEvent.objects.create(
        kind=kind,
        actor=actor,
        actor_name=actor.get_username() if actor is not None else "",
        subject=subject,
        subject_name=(subject.get_username() if subject is not None else subject_name)[:255],
        details=details or {},
        **_request_context(request),
    )
    _log(event)
    return event


def security_failure_record(
    *,
    kind: str,
    key: str,
    request: HttpRequest | None = None,
    subject=None,
    subject_name: str = "",
    details: dict[str, Any] | None = None,
) -> SecurityEvent:
    """Write a failure an outsider can repeat at will (``SecurityEvent.NOISY_KINDS``: failed
    sign-ins, lockouts, API authentication failures), bounded so that it cannot fill the table.

    Within ``SECURITY_LOG_FAILURE_WINDOW_SECONDS`` a repeat of the same kind from the same
    address with the same ``key`` (the username typed, the failure's reason) raises the
    ``count`` of the first row instead of adding one. At most
    ``SECURITY_LOG_FAILURE_MAX_ROWS`` noisy rows are written per window; beyond that the
    failures of each kind fold into one row without address (``details.overflow``). So a flood
    adds at most that many rows per window (two concurrent first failures may both insert: a
    few more), whatever the number of addresses it comes from. Each failure still logs a JSON
    line (with the count so far).
    """
    request = request or current_request()
    context = _request_context(request)
    now = timezone.now()
    since = now - dt.timedelta(seconds=settings.SECURITY_LOG_FAILURE_WINDOW_SECONDS)
    key = key[:300]
    with transaction.atomic():
        found = _bump(kind=kind, ip=context["ip"], key=key, since=since, now=now)
        if found is None:
            recent = SecurityEvent.objects.filter(
                kind__in=SecurityEvent.NOISY_KINDS, at__gte=since
            ).count()
            if recent >= settings.SECURITY_LOG_FAILURE_MAX_ROWS:
                found = _bump(kind=kind, ip=None, key=OVERFLOW_KEY, since=since, now=now)
                if found is None:
                    found = SecurityEvent.objects.create(
                        kind=kind,
                        at=now,
                        aggregate_key=OVERFLOW_KEY,
                        details={
                            "overflow": True,
                            "note": "More failures than SECURITY_LOG_FAILURE_MAX_ROWS in the "
                            "window, from many sources: counted here without their details.",
                        },
                    )
            else:
                found = SecurityEvent.objects.create(
                    kind=kind,
                    at=now,
                    subject=subject,
                    subject_name=(subject.get_username() if subject else subject_name)[:255],
                    details=details or {},
                    aggregate_key=key,
                    **context,
                )
    _log(found)
    return found


def _bump(*, kind: str, ip: str | None, key: str, since, now) -> SecurityEvent | None:
    """The window's row of this kind, address and key with its count raised, or ``None``."""
    row = (
        SecurityEvent.objects.filter(kind=kind, ip=ip, aggregate_key=key, at__gte=since)
        .order_by("-at")
        .first()
    )
    if row is None:
        return None
    SecurityEvent.objects.filter(pk=row.pk).update(count=F("count") + 1, last_at=now)
    row.count += 1
    row.last_at = now
    return row


def security_events_prune(*, now: dt.datetime | None = None) -> int:
    """Delete the events older than ``SECURITY_LOG_RETENTION_DAYS`` (0: keep everything);
    returns how many. One ``DELETE`` (nothing refers to an event)."""
    days = settings.SECURITY_LOG_RETENTION_DAYS
    if days <= 0:
        return 0
    cutoff = (now or timezone.now()) - dt.timedelta(days=days)
    deleted, _ = SecurityEvent.objects.filter(at__lt=cutoff).delete()
    return deleted
