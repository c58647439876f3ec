"""Execution: initiatives that support objectives, their milestones, check-ins and spend.

A package by concern, every name importable from ``initiatives.models`` as before:
``initiatives`` (the initiative, its blocker tags and dependencies) and ``execution`` (its
milestones, check-ins and spend).
"""

from __future__ import annotations

from initiatives.models.execution import CheckIn, Milestone, SpendEntry
from initiatives.models.initiatives import (
    CHECKIN_TEXT,
    PERCENT,
    BlockerTag,
    Initiative,
    InitiativeDependency,
    blocker_tags_join,
    blocker_tags_split,
    initiative_dependency_closure,
    validate_blocker_tags,
)

__all__ = [
    "CHECKIN_TEXT",
    "PERCENT",
    "BlockerTag",
    "CheckIn",
    "Initiative",
    "InitiativeDependency",
    "Milestone",
    "SpendEntry",
    "blocker_tags_join",
    "blocker_tags_split",
    "initiative_dependency_closure",
    "validate_blocker_tags",
]
