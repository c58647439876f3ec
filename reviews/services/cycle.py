"""Writes of reviews and their meetings' schedule: a review (its scope and participants), its
deletion, a meeting scheduled, moved or cancelled."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from typing import TYPE_CHECKING

from django.core.exceptions import ValidationError
from django.db import transaction

from reviews.models import Meeting, Review
from strategy.access import (
    assignee_changed,
    assignees_added_check,
    assignees_check,
)

if TYPE_CHECKING:
    pass


SCOPE_FIELDS = ("scope", "strategy", "theme", "team", "objective")


def review_save(*, review: Review, participant_ids: Iterable[int] | None = None) -> Review:
    """Validate and save a review (and its participants when given). Its owner and its
    participants must be able to see its scope (``strategy.access.assignees_check``): a new
    owner or participant, or all of them when the scope changes (``ValidationError`` on
    ``owner`` or ``participants``)."""
    review.full_clean()
    scope_changed = assignee_changed(review, *SCOPE_FIELDS)
    if review.owner_id is not None and (scope_changed or assignee_changed(review, "owner")):
        assignees_check(field="owner", people=[review.owner], subject=review, role="run it")
    current = set(review.participants.values_list("pk", flat=True)) if review.pk else set()
    wanted = set(participant_ids) if participant_ids is not None else current
    assignees_added_check(
        field="participants", current=current, wanted=wanted, all_again=scope_changed,
        subject=review, role="take part in it",
    )  # fmt: skip
    with transaction.atomic():
        review.save()
        if participant_ids is not None:
            review.participants.set(list(participant_ids))
    return review


def review_delete(*, review: Review) -> None:
    """Delete a review with its meetings, packs, decisions (its action items stay, unlinked)."""
    with transaction.atomic():
        review.delete()


def meeting_schedule(*, review: Review, starts_at: dt.datetime) -> Meeting:
    """A new meeting of ``review`` at ``starts_at``."""
    return Meeting.objects.create(review=review, starts_at=starts_at)


def meeting_move(*, meeting: Meeting, starts_at: dt.datetime) -> Meeting:
    """Move a meeting not yet held; ``moved_from`` keeps its first date. ValidationError when
    the meeting was held or cancelled."""
    if meeting.status != Meeting.Status.SCHEDULED:
        raise ValidationError({"starts_at": "Only a scheduled meeting can be moved."})
    if meeting.moved_from is None:
        meeting.moved_from = meeting.starts_at
    meeting.starts_at = starts_at
    meeting.save()
    return meeting


def meeting_cancel(*, meeting: Meeting) -> Meeting:
    """Cancel a meeting not yet held (its pack, if frozen, stays). ValidationError otherwise."""
    if meeting.status == Meeting.Status.HELD:
        raise ValidationError({"status": "A meeting already held cannot be cancelled."})
    meeting.status = Meeting.Status.CANCELLED
    meeting.save()
    return meeting
