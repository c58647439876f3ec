"""Overdue action items raise alerts through the product's alert rules.

The rule is ``metrics.alerts.action_item_alerts``; opening, refreshing, reopening and resolving
(with the alert event log, hysteresis and de-duplication) are the gap engine's
``metrics.engine.alert_writes.alerts_sync``; who gets the alert is ``metrics.engine.common.Actors``
(the owner, else, when the owner is deactivated or can no longer see the item's team, a leader
of its team, else the strategy office); messages go through the notification outbox
(``metrics.tasks.alerts_notify``). Nothing here is a second alert mechanism: this module only
says which action items to evaluate.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable

from django.db import transaction
from django.utils import timezone

from reviews.models import ActionItem

SUBJECT = "action"


def _outcomes(*, item_ids: list[int], today: dt.date) -> list:
    from metrics.alerts import ACTION_KINDS, Subject, action_item_alerts
    from metrics.engine.common import Actors, Outcome
    from metrics.scoring.common import Result

    rows = list(
        ActionItem.objects.filter(id__in=item_ids)
        .order_by("id")
        .values("id", "owner_id", "owner__is_active", "team_id", "status", "due_date")
    )
    actors = Actors()
    for row in rows:
        actors.want(row["team_id"], row["owner_id"])
    outcomes = []
    for row in rows:
        owner_id = row["owner_id"] if row["owner__is_active"] else None
        route = actors.route(owner_id, team_id=row["team_id"])
        subject = Subject(
            subject_type=SUBJECT,
            subject_id=row["id"],
            label="action item",
            owner_id=owner_id,
            actor_id=route.actor_id,
            team_id=row["team_id"],
            routed=route.via,
        )
        outcomes.append(
            Outcome(
                subject=subject,
                result=Result(status=row["status"], reason=""),
                alerts=action_item_alerts(
                    subject=subject, status=row["status"], due_date=row["due_date"], today=today
                ),
                scopes={(SUBJECT, row["id"]): ACTION_KINDS},
            )
        )
    # An item deleted since its alert opened: evaluated with nothing firing, so it resolves.
    for gone in sorted(set(item_ids) - {row["id"] for row in rows}):
        subject = Subject(
            subject_type=SUBJECT,
            subject_id=gone,
            label="action item",
            owner_id=None,
            actor_id=None,
            team_id=None,
        )
        outcomes.append(
            Outcome(
                subject=subject,
                result=Result(status="deleted", reason=""),
                scopes={(SUBJECT, gone): ACTION_KINDS},
            )
        )
    return outcomes


def action_items_alerts_sync(
    *,
    item_ids: Iterable[int] | None = None,
    today: dt.date | None = None,
    now: dt.datetime | None = None,
    notify: bool = True,
) -> list[int]:
    """Evaluate the overdue rule for action items and let the alert engine open, keep, reopen
    or resolve their alerts; returns the ids of the alerts to notify (opened, reopened,
    worsened), which are queued for ``alerts_notify`` after commit when ``notify``.

    ``item_ids``: these items (after a status or due date change); by default every open item
    past its due date and every item with an active overdue alert (the beat job). Two queries
    to choose, one to read the items, then the engine's writes; idempotent (a rerun opens
    nothing more and changes nothing)."""
    from metrics.engine.alert_writes import alerts_sync
    from metrics.models import Alert

    today = today or timezone.localdate()
    now = now or timezone.now()
    if item_ids is None:
        ids = set(
            ActionItem.objects.filter(
                status=ActionItem.Status.OPEN, due_date__lt=today
            ).values_list("id", flat=True)
        )
        ids |= set(
            Alert.objects.filter(
                subject_type=SUBJECT,
                kind=Alert.Kind.ACTION_OVERDUE,
                status__in=Alert.ACTIVE_STATUSES,
            ).values_list("subject_id", flat=True)
        )
    else:
        ids = set(item_ids)
    if not ids:
        return []
    with transaction.atomic():
        opened = alerts_sync(outcomes=_outcomes(item_ids=sorted(ids), today=today), now=now)
    if notify and opened:
        from metrics.tasks import alerts_notify, enqueue_safely

        transaction.on_commit(lambda: enqueue_safely(alerts_notify, alert_ids=opened))
    return opened
