"""Writes of the review cycle: reviews, meetings, packs, decisions and action items.

Every function takes keyword-only arguments, checks nothing about permissions (callers ask
``strategy.access``), and writes in one transaction.

The writes live in modules by subject, none importing another: ``cycle`` (reviews and their
meetings' schedule), ``packs`` (freezing and sending packs), ``meeting`` (what a meeting
records: items discussed, decisions), ``action_items`` and ``minutes``. Callers import from
``reviews.services``; the names below are its public face. A test that replaces a name replaces
it where it is used (``reviews.services.packs.pack_snapshot``).
"""

from reviews.services.action_items import (
    action_item_create,
    action_item_save,
    action_item_set_status,
    action_item_to_initiative,
)
from reviews.services.cycle import (
    SCOPE_FIELDS,
    meeting_cancel,
    meeting_move,
    meeting_schedule,
    review_delete,
    review_save,
)
from reviews.services.meeting import AGENDA_KEY, decision_record, meeting_mark_discussed
from reviews.services.minutes import (
    MINUTES_AFTER,
    MINUTES_WINDOW,
    meeting_minutes_send,
    meetings_minutes_due,
)
from reviews.services.packs import (
    PACK_PDF_SUBJECT,
    gc_paused,
    pack_freeze,
    pack_json,
    pack_notify,
    packs_freeze_due,
)

__all__ = [
    "AGENDA_KEY",
    "MINUTES_AFTER",
    "MINUTES_WINDOW",
    "PACK_PDF_SUBJECT",
    "SCOPE_FIELDS",
    "action_item_create",
    "action_item_save",
    "action_item_set_status",
    "action_item_to_initiative",
    "decision_record",
    "gc_paused",
    "meeting_cancel",
    "meeting_mark_discussed",
    "meeting_minutes_send",
    "meeting_move",
    "meeting_schedule",
    "meetings_minutes_due",
    "pack_freeze",
    "pack_json",
    "pack_notify",
    "packs_freeze_due",
    "review_delete",
    "review_save",
]
