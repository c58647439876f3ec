"""Milestones: completed, saved and deleted, each telling the initiative's people."""

from __future__ import annotations

import datetime as dt

from django.db import transaction

from initiatives.models import (
    Milestone,
)
from initiatives.services.common import fields_before, initiative_mark_stale
from initiatives.signals import milestone_changed


@transaction.atomic
def milestone_set_completed(
    *, milestone: Milestone, completed_on: dt.date | None, version: int | None = None, by=None
) -> Milestone:
    """Complete a milestone on a date (``None`` reopens it); ``version``: see
    ``initiative_save``. A change by ``by`` tells the initiative's people (``metrics.work``)."""
    milestone.completed_on = completed_on
    milestone.full_clean()
    previous = fields_before(milestone, milestone.changed_fields())
    milestone.save(update_fields=["completed_on", "updated_at"], expected_version=version)
    initiative_mark_stale(milestone.initiative_id)
    milestone_changed.send(sender=Milestone, milestone=milestone, by=by, previous=previous)
    return milestone


@transaction.atomic
def milestone_save(*, milestone: Milestone, version: int | None = None, by=None) -> Milestone:
    """Create or update a milestone; ``version``: see ``initiative_save``. A creation or a
    change by ``by`` tells the initiative's owner and contributors (``metrics.work``)."""
    milestone.full_clean()
    creating = milestone._state.adding
    previous = fields_before(milestone, milestone.changed_fields())
    milestone.save(expected_version=version)
    initiative_mark_stale(milestone.initiative_id)
    milestone_changed.send(
        sender=Milestone, milestone=milestone, by=by, created=creating, previous=previous
    )
    return milestone


@transaction.atomic
def milestone_delete(*, milestone: Milestone, by=None) -> None:
    """Delete a milestone; the initiative's people are told when ``by`` is someone else."""
    initiative_id = milestone.initiative_id
    milestone.delete()
    initiative_mark_stale(initiative_id)
    milestone_changed.send(sender=Milestone, milestone=milestone, by=by, deleted=True)
