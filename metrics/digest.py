"""The daily digest: one e-mail per person per day listing the alerts the noise budget held back
(``NOTIFY_IMMEDIATE_PER_DAY``; ``metrics.notifications.alerts_notify`` writes them to the outbox
as ``held`` rows), built from the outbox by the ``metrics.digests_send`` beat task.

* **Idempotent**: a digest is an outbox row unique per (person, day) (``digest_date``, the
  ``TIME_ZONE`` day it is built); its held rows are marked ``digested`` and point at it in the
  same transaction. Running it twice sends one digest; held rows written after a day's digest
  wait for the next day's.
* **Nothing lost**: the digest is sent like every outbox message (``metrics.tasks.outbox_send``
  after commit, retries with backoff, the sweep re-sends it when stuck); the SMTP server being
  down only delays it. Sending it sets ``notified_at`` on its alerts.
* **Rendered for its reader**: the alerts' titles and messages are the derived parts rendered
  for the recipient at build time (``strategy.access``): an alert they may no longer see is
  left out (and one snoozed since it was held), objects they may not see are "a part you
  cannot see". Plain text and HTML, with links to the app's pages (each alert's page and the
  inbox).
"""

from __future__ import annotations

import logging
from collections import defaultdict
from datetime import datetime

from django.conf import settings
from django.core.mail import EmailMessage
from django.db import IntegrityError, transaction
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone

from metrics.explain import alerts_render
from metrics.models import Alert, OutboxMessage
from metrics.outbox import outbox_email_queue
from metrics.preferences import subject_visible
from strategy.access import Access, accesses_for
from strategy.derived import derived_names

logger = logging.getLogger("metrics.digest")


def _absolute(path: str | None) -> str | None:
    return f"{settings.SITE_URL.rstrip('/')}{path}" if path else None


def digests_build(*, now: datetime | None = None) -> dict:
    """Write today's digest of every person with held rows written up to ``now`` (one outbox
    row each, sent after commit) and mark those rows digested. Returns counts: ``digests``
    written, ``alerts`` listed, ``notes`` (other events held by people's preferences) listed, ``skipped`` (people who already have today's digest), and
    ``dropped`` (held rows of people who can no longer be e-mailed: inactive or no address;
    they are marked failed with the reason)."""
    now = now or timezone.now()
    day = timezone.localdate(now)
    held = list(
        OutboxMessage.objects.filter(
            kind=OutboxMessage.Kind.HELD, status=OutboxMessage.Status.HELD, created_at__lte=now
        )
        .select_related("recipient")
        .order_by("recipient_id", "created_at", "id")
    )
    by_person: dict[int, list[OutboxMessage]] = defaultdict(list)
    dropped: list[int] = []
    for row in held:
        person = row.recipient
        if person is None or not person.is_active or not person.email:
            dropped.append(row.id)
        else:
            by_person[person.id].append(row)
    if dropped:
        OutboxMessage.objects.filter(id__in=dropped, status=OutboxMessage.Status.HELD).update(
            status=OutboxMessage.Status.FAILED,
            last_error="Not sent: the recipient is inactive or has no e-mail address.",
        )
    already = set(
        OutboxMessage.objects.filter(
            kind=OutboxMessage.Kind.DIGEST, digest_date=day, recipient_id__in=list(by_person)
        ).values_list("recipient_id", flat=True)
    )
    people = [
        person
        for pid, rows in by_person.items()
        if pid not in already and (person := rows[0].recipient) is not None  # (never None here)
    ]
    accesses = accesses_for(users=people) if people else {}
    counts = {
        "digests": 0,
        "alerts": 0,
        "notes": 0,
        "skipped": len(already),
        "dropped": len(dropped),
    }
    for person in people:
        rows = by_person[person.id]
        alert_ids = sorted({i for row in rows for i in row.alert_ids})
        access = accesses[person.id]
        alerts = [
            a
            for a in Alert.objects.filter(id__in=alert_ids)
            # Snoozed since it was held: it tells nobody until it wakes (or worsens).
            .exclude(snoozed_until__gt=now)
            .select_related("team")
            .order_by("-severity", "-opened_at", "-id")
            if access.can_view_alert(a)
        ]
        # Other events held by the person's preferences (``notification_send``): listed if
        # they may still see what each is about.
        notes = held_notes_visible(rows=[r for r in rows if r.event], access=access)
        held_notes_render(notes=notes, access=access)
        try:
            with transaction.atomic():
                # Nothing left they may see (alerts deleted, or moved out of their sight):
                # no e-mail, the rows are done.
                digest = (
                    _digest_queue(
                        person=person,
                        access=access,
                        alerts=alerts,
                        notes=notes,
                        day=day,
                        now=now,
                    )
                    if alerts or notes
                    else None
                )
                OutboxMessage.objects.filter(
                    id__in=[r.id for r in rows], status=OutboxMessage.Status.HELD
                ).update(status=OutboxMessage.Status.DIGESTED, digest=digest)
        except IntegrityError:
            # A concurrent run wrote this person's digest for today first: theirs stands.
            counts["skipped"] += 1
            continue
        counts["digests"] += digest is not None
        counts["alerts"] += len(alerts)
        counts["notes"] += len(notes)
    return counts


def held_notes_visible(*, rows: list[OutboxMessage], access: Access) -> list[OutboxMessage]:
    """The held rows of non-alert events whose subject the person may still see (one query
    per kind of subject); a deleted subject drops its row."""
    from django.apps import apps

    models = {m._meta.model_name: m for m in apps.get_models()}
    wanted: dict[str, set[int]] = defaultdict(set)
    for row in rows:
        if row.subject_type in models and row.subject_id is not None:
            wanted[row.subject_type].add(row.subject_id)
    found = {
        # _default_manager: ``objects``, the only manager of the app's models
        name: models[name]._default_manager.in_bulk(sorted(ids))
        for name, ids in wanted.items()
    }
    return [
        row
        for row in rows
        if not row.alert_ids
        and row.subject_id in found.get(row.subject_type, {})
        and subject_visible(access=access, subject_obj=found[row.subject_type][row.subject_id])
    ]


def held_notes_render(*, notes: list[OutboxMessage], access: Access) -> None:
    """Set the title (``subject``) and ``body`` of each held row kept as derived parts
    (``OutboxMessage.parts``) to their text for ``access`` now (one query for every reference
    of every row): an object the person may no longer see is "a part you cannot see". Rows
    without parts keep the text they were written with."""
    kept = [note for note in notes if note.parts]
    if not kept:
        return
    names = derived_names(
        access=access,
        parts=[p for note in kept for p in (note.parts.get("title"), note.parts.get("text"))],
    )
    for note in kept:
        note.subject = names.text(note.parts.get("title"))[:200]
        note.body = names.text(note.parts.get("text"))


def _digest_queue(
    *,
    person,
    access: Access,
    alerts: list[Alert],
    notes: list[OutboxMessage],
    day,
    now: datetime,
) -> OutboxMessage:
    """The digest's outbox row (plain text and HTML), written in the caller's transaction;
    the alerts' texts rendered for ``access`` (the recipient's)."""
    alerts_render(alerts=alerts, access=access, html=False)
    for alert in alerts:
        alert.link = _absolute(alert.get_absolute_url())
    inbox = _absolute(reverse("metrics:alert-list"))
    context = {
        "person": person,
        "name": person.get_full_name() or person.get_username(),
        "alerts": alerts,
        "notes": notes,
        "day": day,
        "inbox": inbox,
        "mine": f"{inbox}?mine=on",
        "limit": settings.NOTIFY_IMMEDIATE_PER_DAY,
        "preferences": _absolute(reverse("metrics:notification-preferences")),
    }
    count = len(alerts)
    subject = f"[ExecSupport] Your daily digest: {count} alert{'s' if count != 1 else ''}"
    if notes:
        subject += f" and {len(notes)} other update{'s' if len(notes) != 1 else ''}"
    message = EmailMessage(
        subject=subject,
        body=render_to_string("metrics/email/digest.txt", context),
        to=[person.email],
    )
    return outbox_email_queue(
        recipient=person,
        message=message,
        alert_ids=[a.id for a in alerts],
        now=now,
        kind=OutboxMessage.Kind.DIGEST,
        html_body=render_to_string("metrics/email/digest.html", context),
        digest_date=day,
    )
