"""Writes of execution data: check-ins, milestones, spend, initiative definitions.

Each service validates, writes inside a transaction and marks the affected score dirty so the
gap engine recomputes it (``strategy.signals.subjects_stale``, which ``metrics`` records). Callers (pages, API,
commands) check permissions with ``strategy.access`` before calling.

A package by subject, every name importable from ``initiatives.services`` as before:
``checkins``, ``milestones``, ``definitions`` (saving and deleting initiatives) and ``spend``;
``common`` holds what they share.
"""

from __future__ import annotations

from initiatives.services.checkins import (
    CHECKIN_REPOST_WINDOW,
    checkin_append,
    checkin_create,
    checkin_request_key,
    checkin_submit,
)
from initiatives.services.definitions import (
    initiative_contributors_set,
    initiative_delete,
    initiative_history_latest_id,
    initiative_members_record,
    initiative_save,
    initiative_status_follow,
)
from initiatives.services.milestones import (
    milestone_delete,
    milestone_save,
    milestone_set_completed,
)
from initiatives.services.spend import (
    spend_record,
    spend_save,
)

__all__ = [
    "CHECKIN_REPOST_WINDOW",
    "checkin_append",
    "checkin_create",
    "checkin_request_key",
    "checkin_submit",
    "initiative_contributors_set",
    "initiative_delete",
    "initiative_history_latest_id",
    "initiative_members_record",
    "initiative_save",
    "initiative_status_follow",
    "milestone_delete",
    "milestone_save",
    "milestone_set_completed",
    "spend_record",
    "spend_save",
]
