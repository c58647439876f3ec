"""Check-ins: recorded once per request key, submitted from the page (with milestones and
progress) or appended by the API.
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Iterable

from django.db import transaction
from django.db.models import F
from django.utils import timezone

from initiatives.models import (
    CheckIn,
    Initiative,
    blocker_tags_join,
)
from initiatives.services.common import initiative_mark_stale
from initiatives.signals import checkin_recorded

# A second identical check-in by the same author within this window is a repost (a double
# click, a retry after a lost answer), not news: it is stored once.
CHECKIN_REPOST_WINDOW = dt.timedelta(minutes=10)


@transaction.atomic
def checkin_create(
    *,
    initiative: Initiative,
    author,
    rag: str,
    confidence: int,
    progress: int,
    summary: str,
    blockers: str = "",
    next_steps: str = "",
    created_at: dt.datetime | None = None,
    blocker_tags: Iterable[str] = (),
) -> CheckIn:
    """Append a check-in and make its progress the initiative's reported progress.
    ``blocker_tags``: ``BlockerTag`` values (``ValidationError`` on an unknown one)."""
    checkin = CheckIn(
        initiative=initiative,
        author=author,
        rag=rag,
        confidence=confidence,
        progress=progress,
        summary=summary,
        blockers=blockers,
        next_steps=next_steps,
        blocker_tags=blocker_tags_join(blocker_tags),
        created_at=created_at or timezone.now(),
    )
    return checkin_append(checkin=checkin)


def checkin_request_key(key: str) -> uuid.UUID:
    """The stored form of an API client's ``Idempotency-Key``: the UUID itself when it is one,
    else a UUID derived from the string (so any key up to 255 characters works)."""
    try:
        return uuid.UUID(key)
    except ValueError:
        return uuid.uuid5(uuid.NAMESPACE_URL, f"execsupport:checkin:{key}")


@transaction.atomic
def checkin_submit(
    *,
    initiative: Initiative,
    author,
    rag: str,
    confidence: int,
    progress: int,
    summary: str,
    blockers: str = "",
    next_steps: str = "",
    request_key: uuid.UUID | None = None,
    blocker_tags: Iterable[str] = (),
) -> tuple[CheckIn, bool]:
    """Post a check-in from a form or the API, at most once; returns ``(checkin, created)``.

    Two guards, both answering with the check-in already stored (``created`` False):

    * the request's idempotency key (the form's hidden ``request_key``, the API's
      ``Idempotency-Key`` header): the same key from the same author is one check-in, whatever
      the content and however late the retry (unique constraint ``checkin_request_key_once``);
    * without a key match, the same content (status, figures and texts) by the same author on
      the same initiative within ``CHECKIN_REPOST_WINDOW``.

    Posts on one initiative are serialised by a lock of its row (taken anyway when the check-in
    updates its progress), so two simultaneous copies cannot both pass the guards.
    """
    tags = blocker_tags_join(blocker_tags)
    Initiative.objects.select_for_update().filter(pk=initiative.pk).values_list("pk").first()
    stored = CheckIn.objects.filter(author=author)
    if request_key is not None:
        existing = stored.filter(request_key=request_key).first()
        if existing is not None:
            return existing, False
    existing = (
        stored.filter(
            initiative=initiative,
            created_at__gte=timezone.now() - CHECKIN_REPOST_WINDOW,
            rag=rag,
            confidence=confidence,
            progress=progress,
            summary=(summary or "").strip(),
            blockers=(blockers or "").strip(),
            next_steps=(next_steps or "").strip(),
            blocker_tags=tags,
        )
        .order_by("-created_at", "-id")
        .first()
    )
    if existing is not None:
        return existing, False
    checkin = CheckIn(
        initiative=initiative,
        author=author,
        rag=rag,
        confidence=confidence,
        progress=progress,
        summary=summary,
        blockers=blockers,
        next_steps=next_steps,
        blocker_tags=tags,
        request_key=request_key,
    )
    return checkin_append(checkin=checkin), True


@transaction.atomic
def checkin_append(*, checkin: CheckIn) -> CheckIn:
    """Save a new check-in (built by ``checkin_create`` or the admin's form) and, unless a newer
    one exists (one entered late, in the admin), make its progress the initiative's reported
    progress."""
    checkin.summary = (checkin.summary or "").strip()
    checkin.blockers = (checkin.blockers or "").strip()
    checkin.next_steps = (checkin.next_steps or "").strip()
    checkin.full_clean()
    checkin.save()
    initiative = checkin.initiative
    # A guarded update keeps the initiative row's other fields as they are in the database.
    # ``last_checkin_at`` already counts this check-in (triggers of migration 0002): it is
    # the newest unless that time is later.
    # It raises the version: an edit form opened before this check-in would otherwise put back
    # the progress it showed.
    newest = Initiative.objects.filter(pk=initiative.pk, last_checkin_at__lte=checkin.created_at)
    if newest.update(
        progress=checkin.progress, updated_at=timezone.now(), version=F("version") + 1
    ):
        initiative.progress = checkin.progress
    # The database keeps ``last_checkin_at`` (triggers of migration 0002); mirror it here.
    if initiative.last_checkin_at is None or checkin.created_at > initiative.last_checkin_at:
        initiative.last_checkin_at = checkin.created_at
    initiative_mark_stale(initiative.pk)
    checkin_recorded.send(sender=CheckIn, checkin=checkin)  # owner, contributors (metrics)
    return checkin
