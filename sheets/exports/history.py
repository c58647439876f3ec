"""The exports of history: one object's versions, and every version of the objects of a list."""

from __future__ import annotations

from collections.abc import Iterator

from django.db.models import QuerySet

from sheets.columns import (
    HISTORY,
    OBJECT_HISTORY,
    Sheet,
)
from sheets.exports.rows import _ordered
from strategy.access import Access


def _history_dicts(history) -> Iterator[dict]:
    """The rows of one ``activity.history.History``: newest first, one per changed field (one
    for a version that changed no field, or is sealed)."""
    for version in history.versions:
        base = {
            "at": version.at,
            "action": version.action,
            "by": version.by,
            "reason": version.reason or None,
            "sealed": version.sealed,
            "history_id": version.history_id,
        }
        if not version.changes:
            yield base
        for change in version.changes:
            yield {
                **base,
                "field": change.field,
                "label": change.label,
                "before": change.before,
                "after": change.after,
            }


def history_export(*, history) -> tuple[Sheet, Iterator[list]]:
    """An object's history as its reader sees it (``activity.history.history_for``: sealed
    versions without values), newest first, one row per changed field (one row for a version
    that changed no field, or is sealed): ``(sheet, rows)``."""
    return HISTORY, _ordered(HISTORY, _history_dicts(history))


# The kinds of export whose objects have a history (``activity.history.TRACKED``); measurements
# and check-ins keep their own correction records, alerts their event log.
HISTORY_KINDS = ("objective", "initiative", "kpi", "milestone")
EVERY_VERSION = 10**9


def objects_history_dicts(kind: str, *, queryset: QuerySet, access: Access) -> Iterator[dict]:
    """The history of every object of ``queryset`` (scoped by the caller, in its order), as
    the History tab shows it to this reader (``activity.history.histories_for``: through
    ``strategy.access``, old values of a private object sealed): the object's kind, key, id and
    title, then the History tab's columns. ``kind``: one of ``HISTORY_KINDS``. A fixed number of
    queries whatever the number of objects and versions."""
    from activity.history import histories_for

    pks = list(queryset.values_list("pk", flat=True))
    histories = histories_for(kind=kind, pks=pks, access=access, limit=EVERY_VERSION)
    for pk in pks:
        history = histories.get(pk)
        if history is None:
            continue
        about = {
            "kind": kind,
            "key": getattr(history.current, "key", None),
            "object_id": pk,
            "object": history.title,
        }
        for row in _history_dicts(history):
            yield {**about, **row}


def objects_history_export(
    kind: str, *, queryset: QuerySet, access: Access
) -> tuple[Sheet, Iterator[list]]:
    """``(sheet, rows)`` of ``objects_history_dicts``: the History sheet of an export."""
    return OBJECT_HISTORY, _ordered(
        OBJECT_HISTORY, objects_history_dicts(kind, queryset=queryset, access=access)
    )
