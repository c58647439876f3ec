"""Writes of execution data: check-ins, milestones, spend, initiative definitions.

Each service validates, writes inside a transaction and marks the affected score dirty so the
gap engine recomputes it (see ``metrics.services.subjects_mark_dirty``). Callers (pages, API,
commands) check permissions with ``strategy.access`` before calling.
"""

from __future__ import annotations

import datetime as dt
import uuid
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import F
from django.utils import timezone

from initiatives.models import CheckIn, Initiative, Milestone, SpendEntry
from metrics.models import SubjectType
from metrics.services import subjects_mark_dirty
from strategy.lifecycle import (
    initiative_pause_track,
    status_dependents_mark,
    status_read,
    status_transition_record,
)


def _mark(initiative_id: int) -> None:
    subjects_mark_dirty(subjects=[(SubjectType.INITIATIVE, initiative_id)])


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
) -> CheckIn:
    """Append a check-in and make its progress the initiative's reported progress."""
    checkin = CheckIn(
        initiative=initiative,
        author=author,
        rag=rag,
        confidence=confidence,
        progress=progress,
        summary=summary,
        blockers=blockers,
        next_steps=next_steps,
        created_at=created_at or timezone.now(),
    )
    return checkin_append(checkin=checkin)


# A second identical check-in by the same author within this window is a repost (a double
# click, a retry after a lost answer), not news: it is stored once.
CHECKIN_REPOST_WINDOW = dt.timedelta(minutes=10)


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
    _mark(initiative.pk)
    return checkin


@transaction.atomic
def milestone_set_completed(
    *, milestone: Milestone, completed_on: dt.date | None, version: int | None = None
) -> Milestone:
    """Complete a milestone on a date (``None`` reopens it); ``version``: see
    ``initiative_save``."""
    if completed_on is not None and completed_on > timezone.localdate():
        raise ValidationError({"completed_on": "A milestone cannot be completed in the future."})
    milestone.completed_on = completed_on
    milestone.full_clean()
    milestone.save(update_fields=["completed_on", "updated_at"], expected_version=version)
    _mark(milestone.initiative_id)
    return milestone


@transaction.atomic
def milestone_save(*, milestone: Milestone, version: int | None = None) -> Milestone:
    """Create or update a milestone; ``version``: see ``initiative_save``."""
    milestone.full_clean()
    milestone.save(expected_version=version)
    _mark(milestone.initiative_id)
    return milestone


@transaction.atomic
def initiative_save(
    *, initiative: Initiative, contributors=None, version: int | None = None, by=None
) -> Initiative:
    """Create or update an initiative's definition (dates, budget, owner, status...).

    An update writes only the fields changed since the initiative was read. ``version``: the
    version the person read (a form's hidden field, the API's If-Match); if someone else saved
    it since, ``strategy.models.VersionConflict`` is raised and nothing is written.

    A changed status is recorded (``StatusTransition``: ``by``, now, from, to), the pause
    bookkeeping follows (``strategy.lifecycle.initiative_pause_track``) and the initiative's
    KPIs are recomputed (a closed initiative's KPIs stop alerting).
    """
    from_status = status_read(instance=initiative)
    if from_status != initiative.status:
        initiative_pause_track(
            initiative=initiative, from_status=from_status, today=timezone.localdate()
        )
    if initiative.status == Initiative.Status.DONE and initiative.completed_on is None:
        initiative.completed_on = timezone.localdate()
    if initiative.status != Initiative.Status.DONE:
        initiative.completed_on = None
    initiative.full_clean()
    initiative.save(expected_version=version)
    if contributors is not None:
        initiative.contributors.set(contributors)
    _mark(initiative.pk)
    if from_status is not None and from_status != initiative.status:
        status_transition_record(instance=initiative, from_status=from_status, by=by)
        status_dependents_mark(initiative_ids=[initiative.pk])
    return initiative


@transaction.atomic
def spend_record(
    *,
    initiative: Initiative,
    date: dt.date,
    amount: Decimal,
    entered_by,
    category: str = "",
    note: str = "",
) -> SpendEntry:
    entry = SpendEntry(
        initiative=initiative,
        date=date,
        amount=amount,
        category=category,
        note=note,
        entered_by=entered_by,
    )
    return spend_save(entry=entry)


@transaction.atomic
def spend_save(*, entry: SpendEntry) -> SpendEntry:
    """Save a spend entry (new or corrected in the admin); the initiative's score follows."""
    entry.full_clean()
    entry.save()
    _mark(entry.initiative_id)
    return entry


@transaction.atomic
def milestone_delete(*, milestone: Milestone) -> None:
    initiative_id = milestone.initiative_id
    milestone.delete()
    _mark(initiative_id)


@transaction.atomic
def initiative_delete(*, initiative: Initiative) -> None:
    """Delete an initiative; its check-ins, spend and KPIs protect it (``ProtectedError``)."""
    objective_id = initiative.objective_id
    initiative.delete()
    subjects_mark_dirty(subjects=[(SubjectType.OBJECTIVE, objective_id)])
