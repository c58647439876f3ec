"""Reads of the security log."""

from __future__ import annotations

import datetime as dt

from django.db.models import Q, QuerySet
from django.utils import timezone

from security.models import SecurityEvent


def security_events_filtered(
    *,
    kind: str | None = None,
    person: str | None = None,
    since: dt.date | None = None,
    until: dt.date | None = None,
) -> QuerySet[SecurityEvent]:
    """Events newest first. ``person``: a username (any case) who acted or was concerned
    (as stored then, so a deleted person's events still match); ``since`` / ``until``: days,
    both included, in ``TIME_ZONE``."""
    events = SecurityEvent.objects.all()
    if kind:
        events = events.filter(kind=kind)
    if person:
        events = events.filter(Q(actor_name__iexact=person) | Q(subject_name__iexact=person))
    zone = timezone.get_current_timezone()
    if since:
        events = events.filter(at__gte=dt.datetime.combine(since, dt.time.min, tzinfo=zone))
    if until:
        end = dt.datetime.combine(until, dt.time.min, tzinfo=zone) + dt.timedelta(days=1)
        events = events.filter(at__lt=end)
    return events.order_by("-at", "-id")
