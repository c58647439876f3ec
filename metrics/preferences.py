"""Per-person notification preferences and the one way to tell a person of an event.

``notification_send`` is what other code calls (mentions in comments, action on someone's work,
reminders): it honours the person's preference for that kind of event (at once, in the daily
digest, or off), refuses subjects the person may not see (``strategy.access``), writes at most
one message per person and ``dedupe_key``, and goes through the outbox
(``metrics.outbox.outbox_email_queue``), so a broken SMTP server delays a message but
never loses it. Alerts keep their own batching (``metrics.notifications.alerts_notify``) and ask
the same preferences (``NotificationPreferences.delivery_for``).
"""

from __future__ import annotations

import zoneinfo
from collections.abc import Iterable
from datetime import datetime, tzinfo

from django.conf import settings
from django.core.mail import EmailMessage
from django.db import IntegrityError, transaction
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone

from metrics.models import (
    Delivery,
    NotificationEvent,
    NotificationPreferences,
    OutboxMessage,
)
from metrics.outbox import outbox_email_queue
from strategy.access import Access, access_for
from strategy.derived import Parts, derived_names

# Fields a person sets (page and API), in the order shown.
PREFERENCE_FIELDS = (
    *NotificationPreferences.DELIVERY_FIELDS,
    "weekly_digest",
    "digest_weekday",
    "digest_hour",
    "time_zone",
)


def preferences_get(*, user) -> NotificationPreferences:
    """The person's preferences: their row, or an unsaved row of the defaults (one query)."""
    found = NotificationPreferences.objects.filter(user_id=user.pk).first()
    return found or NotificationPreferences(user=user)


def preferences_for(*, users: Iterable) -> dict[int, NotificationPreferences]:
    """User id -> preferences (saved or the defaults) of many people in one query."""
    users = [u for u in users if u is not None]
    rows = {
        p.user_id: p
        for p in NotificationPreferences.objects.filter(user_id__in=[u.pk for u in users])
    }
    return {u.pk: rows.get(u.pk) or NotificationPreferences(user=u) for u in users}


@transaction.atomic
def preferences_update(*, user, data: dict) -> NotificationPreferences:
    """Save the person's preferences from validated ``data`` (any of ``PREFERENCE_FIELDS``;
    others are ignored). Creates the row on first change. Raises ``ValidationError`` on a bad
    value (``full_clean``), writing nothing."""
    prefs = NotificationPreferences.objects.select_for_update().filter(
        user_id=user.pk
    ).first() or NotificationPreferences(user=user)
    for name in PREFERENCE_FIELDS:
        if name in data:
            setattr(prefs, name, data[name])
    prefs.full_clean(exclude=["user"])
    prefs.save()
    return prefs


def preferences_zone(prefs: NotificationPreferences) -> tzinfo:
    """The person's time zone (``TIME_ZONE`` when they set none, or an unknown name)."""
    try:
        return zoneinfo.ZoneInfo(prefs.time_zone or settings.TIME_ZONE)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        return zoneinfo.ZoneInfo(settings.TIME_ZONE)


def subject_visible(*, access: Access, subject_obj) -> bool:
    """May this person see the object a notification is about? ``Access.can_view_subject``
    (alerts by their own rule; anything with a team by its team; objects without one by anyone
    who sees the plan)."""
    return access.can_view_subject(subject_obj)


def site_link(path: str) -> str:
    """The absolute URL of an app page (``SITE_URL`` + ``path``)."""
    if path.startswith(("http://", "https://")):
        return path
    return settings.SITE_URL.rstrip("/") + path


def notification_send(
    *,
    recipient,
    kind: str,
    subject_obj,
    title: Parts,
    text: Parts = "",
    link: str = "",
    dedupe_key: str = "",
    now: datetime | None = None,
) -> OutboxMessage | None:
    """Tell ``recipient`` of an event of ``kind`` (a ``NotificationEvent`` value: "mention",
    "work", "reminder", ...) about ``subject_obj`` (an objective, initiative, KPI, milestone,
    alert...). Returns the outbox row written, or None when nothing was written:

    * the person is inactive, has no e-mail address, or may not see ``subject_obj``
      (``strategy.access``: nobody is told of a private object they cannot see);
    * their preference for ``kind`` is "off";
    * a message with the same ``dedupe_key`` was already written for them (once only: a
      reminder of one due date, a weekly digest of one week).

    "immediate": an e-mail queued in the outbox, sent after commit with retries; "digest": a
    held row listed by the next daily digest (``metrics.digest.digests_build``). ``title`` and
    ``text``: plain strings are shown to the recipient as given (the caller writes them for
    that person: only names of objects they may see); derived parts (``strategy.derived``:
    a dict) are rendered for the recipient's access here, and a held row keeps them
    (``OutboxMessage.parts``) so the digest renders them again for the access they have when
    it is built. ``link``: a path or URL of the page it is about (default:
    ``subject_obj.get_absolute_url()``). Raises ``ValueError`` on an unknown ``kind``."""
    if kind not in NotificationEvent.values:
        raise ValueError(f"Unknown notification kind {kind!r}")
    if recipient is None or not recipient.is_active or not recipient.email:
        return None
    access = access_for(recipient)
    if not subject_visible(access=access, subject_obj=subject_obj):
        return None
    delivery = preferences_get(user=recipient).delivery_for(kind)
    if delivery == Delivery.OFF:
        return None
    if (
        dedupe_key
        and OutboxMessage.objects.filter(recipient=recipient, dedupe_key=dedupe_key).exists()
    ):
        return None
    now = now or timezone.now()
    parts: dict = {}
    if not isinstance(title, str) or not isinstance(text, str):
        parts = {"title": title, "text": text}
        names = derived_names(access=access, parts=[title, text])
        title, text = names.text(title), names.text(text)
    if not link and hasattr(subject_obj, "get_absolute_url"):
        link = subject_obj.get_absolute_url()
    link = site_link(link) if link else ""
    subject_type = subject_obj._meta.model_name if subject_obj is not None else ""
    fields = {
        "recipient": recipient,
        "to_address": recipient.email,
        "event": kind,
        "dedupe_key": dedupe_key,
        "subject_type": subject_type,
        "subject_id": getattr(subject_obj, "pk", None),
        "link": link,
        "parts": parts,
        "created_at": now,
    }
    try:
        with transaction.atomic():
            if delivery == Delivery.DIGEST:
                return OutboxMessage.objects.create(
                    channel=OutboxMessage.Channel.EMAIL,
                    kind=OutboxMessage.Kind.HELD,
                    status=OutboxMessage.Status.HELD,
                    subject=title[:200],
                    body=text,
                    **fields,
                )
            context = {
                "name": recipient.get_full_name() or recipient.get_username(),
                "title": title,
                "text": text,
                "link": link,
                "reason": NotificationEvent(kind).label,
                "preferences": site_link(reverse("metrics:notification-preferences")),
            }
            message = EmailMessage(
                subject=f"[ExecSupport] {title}"[:200],
                body=render_to_string("metrics/email/notification.txt", context),
                to=[recipient.email],
            )
            return outbox_email_queue(
                recipient=recipient,
                message=message,
                alert_ids=[],
                now=now,
                html_body=render_to_string("metrics/email/notification.html", context),
                **{
                    k: v
                    for k, v in fields.items()
                    if k not in ("recipient", "to_address", "created_at")
                },
            )
    except IntegrityError:
        # A concurrent call wrote the message of this key first: it stands.
        if dedupe_key:
            return None
        raise
