"""The exports of the review cycle: a pack's changes as its reader sees them, and a review's
action items."""

from __future__ import annotations

from collections.abc import Iterator

from sheets.columns import (
    ACTION_ITEMS,
    PACK_CHANGES,
    Sheet,
)
from sheets.exports.rows import _ordered, _person


def pack_changes_export(
    *, changes: list[dict], hidden: int, names, discussed: set[str], site_url: str
) -> tuple[Sheet, Iterator[list]]:
    """A pack's diff as its reader sees it (``reviews.selectors.pack_read``: ``changes``
    already filtered, ``hidden`` counted): ``(sheet, rows)``, biggest first. The changes in
    parts the reader cannot see are one combined row, counted, never named. No query."""

    def rows() -> Iterator[dict]:
        for rank, change in enumerate(changes, start=1):
            yield {
                "rank": rank,
                "change": change["label"],
                "about": change["subject"][0],
                "description": names.text(change["text"]),
                "weight": change["weight"],
                "discussed": change["key"] in discussed,
                "link": site_url + change["url"] if change.get("url") else None,
                "key": change["key"],
            }
        if hidden:
            yield {
                "change": "A change in a part you cannot see"
                if hidden == 1
                else f"{hidden} changes in parts you cannot see",
            }

    return PACK_CHANGES, _ordered(PACK_CHANGES, rows())


def action_items_export(*, items: list, shown_people: set[int]) -> tuple[Sheet, Iterator[list]]:
    """Action items the caller has filtered for the reader (with ``owner`` and ``meeting``
    joined): ``(sheet, rows)`` in the given order; an owner the reader may not see
    (``shown_people`` lacks them) is "someone you cannot see", without address. No query."""
    from django.utils import timezone

    today = timezone.localdate()

    def rows() -> Iterator[dict]:
        for item in items:
            owner = _person("owner", item.owner) if item.owner_id in shown_people else {}
            yield {
                "title": item.title,
                "status": item.status,
                "overdue": item.is_overdue(today),
                "due_date": item.due_date,
                "owner": owner.get("owner"),
                "owner_name": owner.get("owner_name") or "someone you cannot see",
                "meeting": timezone.localdate(item.meeting.starts_at) if item.meeting_id else None,
                "note": item.note or None,
                "closed_at": item.closed_at,
                "initiative_id": item.initiative_id,
                "id": item.pk,
            }

    return ACTION_ITEMS, _ordered(ACTION_ITEMS, rows())
