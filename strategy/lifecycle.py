"""Status changes of objectives and initiatives: the trail (who, when, from, to) and what a
change means for the scores and alerts that depend on it.

``objective_save`` and ``initiative_save`` are the only writers of a status; both call
``status_change_apply`` when the status differs from the one read, so pages, the API and the
admin leave the same trail and trigger the same recomputations.
"""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING

from django.db import models
from django.utils import timezone

from strategy.models import StatusTransition
from strategy.signals import announce, status_changed

if TYPE_CHECKING:
    from initiatives.models import Initiative
    from strategy.models import Objective


def status_read(*, instance: models.Model) -> str | None:
    """The status the instance was read with (``None``: a new row, or not read from the
    database)."""
    if instance._state.adding:
        return None
    loaded = getattr(instance, "_loaded_values", None) or {}
    return loaded.get("status")


def status_transition_record(
    *,
    instance: Objective | Initiative,
    from_status: str,
    by=None,
    at: dt.datetime | None = None,
    note: str = "",
) -> StatusTransition:
    """Append one transition of ``instance`` (an ``Objective`` or an ``Initiative``).

    ``by``: the person who made the change (``None`` for scripts; an anonymous user counts as
    nobody). Raises ``ValueError`` for another model."""
    subject_type = instance._meta.model_name
    if subject_type not in StatusTransition.SubjectType.values:
        raise ValueError(f"No status history is kept for {subject_type}.")
    return StatusTransition.objects.create(
        subject_type=subject_type,
        subject_id=instance.pk,
        from_status=from_status,
        to_status=instance.status,
        changed_by=by if getattr(by, "is_authenticated", False) else None,
        changed_at=at or timezone.now(),
        note=note[:300],
    )


def initiative_pause_track(*, initiative, from_status: str | None, today: dt.date) -> None:
    """Keep the pause bookkeeping of an initiative whose status changes from ``from_status``
    (``None``: new) to its current status, on the instance (the caller's save writes it).

    Going on hold remembers the day; coming back adds the days on hold to ``paused_days``
    (they are left out of the elapsed time the schedule is judged on) and records
    ``resumed_on`` (check-ins are expected from then on, not from before the pause)."""
    on_hold = initiative.Status.ON_HOLD
    if initiative.status == on_hold and from_status != on_hold:
        initiative.paused_since = today
    elif from_status == on_hold and initiative.status != on_hold:
        since = initiative.paused_since or today
        initiative.paused_days = (initiative.paused_days or 0) + max(0, (today - since).days)
        initiative.paused_since = None
        initiative.resumed_on = today


def status_dependents_mark(*, objective_ids=(), initiative_ids=()) -> None:
    """Announce a status change of these objectives and initiatives (``status_changed``), for
    what depends on them besides the subject itself: ``metrics`` marks dirty the KPIs of the
    objectives and initiatives (their alerts stop or start) and the initiatives of the
    objectives, and the engine's next run resolves or opens their alerts
    (``metrics.receivers``). Raises ``ImproperlyConfigured`` when nothing listens."""
    announce(status_changed, objective_ids=list(objective_ids), initiative_ids=list(initiative_ids))
