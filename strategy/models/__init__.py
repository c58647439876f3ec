"""The plan: teams and their people, planning periods, strategies, themes and the objective tree.

Both trees (teams and objectives) are adjacency lists over a ``parent`` key; whole subtrees and
ancestor chains are read in one query with a recursive CTE (see ``strategy/selectors.py``).

A package by concern, every name importable from ``strategy.models`` as before: ``base``
(timestamped and versioned models, history, priorities, shared validators), ``teams`` (teams
and memberships), ``plan`` (periods, strategies, themes, objectives, the status trail) and
``people`` (hand-overs, API tokens, invitations). ``VersionConflict`` and the strategy office's
group name are defined in the ground (``execsupport``) and re-exported here.
"""

from __future__ import annotations

from execsupport.auth import STRATEGY_OFFICE_GROUP
from execsupport.concurrency import VersionConflict
from strategy.models.base import (
    HEX_COLOUR,
    HISTORY_BOOKKEEPING,
    POSITIVE_WEIGHT,
    Priority,
    TimestampedModel,
    VersionedModel,
    history_m2m_record,
    history_records,
)
from strategy.models.people import ApiToken, HandOver, Invitation
from strategy.models.plan import (
    PERIOD_DAYS,
    Objective,
    Period,
    StatusTransition,
    Strategy,
    Theme,
    objective_period_mismatch,
)
from strategy.models.teams import Membership, Team

__all__ = [
    "HEX_COLOUR",
    "HISTORY_BOOKKEEPING",
    "PERIOD_DAYS",
    "POSITIVE_WEIGHT",
    "STRATEGY_OFFICE_GROUP",
    "ApiToken",
    "HandOver",
    "Invitation",
    "Membership",
    "Objective",
    "Period",
    "Priority",
    "StatusTransition",
    "Strategy",
    "Team",
    "Theme",
    "TimestampedModel",
    "VersionConflict",
    "VersionedModel",
    "history_m2m_record",
    "history_records",
    "objective_period_mismatch",
]
