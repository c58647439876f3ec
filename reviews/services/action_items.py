"""Writes of action items: created, edited, their status set, turned into an initiative; their
owners told (``metrics.work``) and their overdue alerts kept in step."""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from metrics.work import work_action_item_notify, work_action_item_status_notify, work_batch
from reviews.models import ActionItem, Decision, Meeting
from reviews.overdue import action_items_alerts_sync
from strategy.access import (
    assignee_changed,
    assignees_check,
)

if TYPE_CHECKING:
    from initiatives.models import Initiative


def _owner_check(item: ActionItem) -> None:
    """A new owner of an action item (or a new team or meeting for it) must be able to see it
    (``strategy.access.assignees_check``): ``ValidationError`` on ``owner``."""
    if item.owner_id is not None and assignee_changed(item, "owner", "team", "meeting"):
        assignees_check(field="owner", people=[item.owner], subject=item, role="own it")


def action_item_create(
    *,
    title: str,
    owner,
    due_date: dt.date,
    created_by,
    note: str = "",
    team_id: int | None = None,
    meeting: Meeting | None = None,
    decision: Decision | None = None,
) -> ActionItem:
    """A new open action item (validated; ValidationError with field errors)."""
    item = ActionItem(
        title=title,
        owner=owner,
        due_date=due_date,
        note=note,
        team_id=team_id,
        meeting=meeting,
        decision=decision,
        created_by=created_by,
    )
    item.full_clean()
    _owner_check(item)
    with transaction.atomic():
        item.save()
        if item.due_date < timezone.localdate():
            action_items_alerts_sync(item_ids=[item.pk])
        work_action_item_notify(item=item, by=created_by)  # unless they gave it to themselves
    return item


def action_item_save(*, item: ActionItem, by=None) -> ActionItem:
    """Validate and save an edited action item (title, owner, due date, note); its overdue
    alert follows at once (opens, moves to the new owner, or resolves when the date moved).
    A new owner is told it was given to them by ``by`` (``metrics.work``; not when ``by`` is
    None or themselves)."""
    item.full_clean()
    _owner_check(item)
    new_owner = "owner" in (item.changed_fields() or [])
    with transaction.atomic():
        item.save()
        action_items_alerts_sync(item_ids=[item.pk])
        if new_owner:
            work_action_item_notify(item=item, by=by)
    return item


def action_item_set_status(
    *,
    item: ActionItem,
    status: str,
    note: str | None = None,
    now: dt.datetime | None = None,
    by=None,
) -> ActionItem:
    """Close (done, dropped) or reopen an action item; its overdue alert follows in the same
    transaction (``reviews.overdue``). A real change by ``by`` tells its owner and the person
    who gave it (``metrics.work``; not ``by`` themselves, nobody when ``by`` is None); a new
    owner set in the same save (an API PATCH of both) is told it was given to them, in the
    same message."""
    if status not in ActionItem.Status.values:
        raise ValidationError({"status": f"Choose one of {', '.join(ActionItem.Status.values)}."})
    previous = (getattr(item, "_loaded_values", None) or {}).get("status", item.status)
    item.status = status
    item.closed_at = None if status == ActionItem.Status.OPEN else (now or timezone.now())
    if note is not None:
        item.note = note
    item.full_clean()
    _owner_check(item)
    new_owner = "owner" in (item.changed_fields() or [])
    with transaction.atomic(), work_batch():
        item.save()
        # Done or dropped: its overdue alert resolves now; reopened past its date: it reopens.
        action_items_alerts_sync(item_ids=[item.pk], now=now)
        work_action_item_status_notify(item=item, by=by, previous=previous)
        if new_owner:
            work_action_item_notify(item=item, by=by)
    return item


def action_item_to_initiative(*, item: ActionItem, objective, by) -> Initiative:
    """Turn an action item into a proposed initiative under ``objective`` (its team, the item's
    owner, from today to the item's due date or a month later); the item is then done and
    points to it (its owner and the person who gave it are told, ``metrics.work``). One
    transaction."""
    from initiatives.models import Initiative

    today = timezone.localdate()
    due = item.due_date if item.due_date > today else today + dt.timedelta(days=30)
    with transaction.atomic():
        initiative = Initiative(
            objective=objective,
            team_id=objective.team_id,
            owner=item.owner,
            title=item.title,
            description=item.note,
            status=Initiative.Status.PROPOSED,
            start_date=today,
            due_date=due,
        )
        initiative.full_clean()
        initiative.save()
        previous = item.status
        item.initiative = initiative
        item.status = ActionItem.Status.DONE
        item.closed_at = timezone.now()
        item.save()
        action_items_alerts_sync(item_ids=[item.pk])
        work_action_item_status_notify(item=item, by=by, previous=previous, initiative=initiative)
    return initiative
