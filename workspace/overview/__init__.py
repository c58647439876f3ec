"""Reads for the execution overview and the printable review (selectors).

Every read here is one query whatever the size of the plan: lists are capped and totals are
aggregated in the database, so the page runs a constant number of queries. Nothing here
computes a score: scores come from the gap engine's ``GapScore`` rows; where none exist yet the
page says "not scored yet".

One module per widget: ``objectives`` (the map, scores and status counts), ``health`` (the
health card's focus and trend), ``alerts``, ``late_work`` (stale check-ins, overdue
milestones), ``resources`` (budget and effort), ``changes`` (what changed since); ``rows`` holds
the rows and limits, ``scope`` the filters every widget applies, ``build`` runs them in turn and
``version`` fingerprints the data for the page cache.
"""

from __future__ import annotations

from workspace.overview.build import overview_build
from workspace.overview.rows import (
    STATUS_ORDER,
    MapInitiative,
    MapObjective,
    OverdueMilestone,
    Overview,
    OverviewAlert,
    RecentCheckIn,
    ScoreRow,
    StaleInitiative,
    TeamRow,
)
from workspace.overview.version import overview_data_version

__all__ = [
    "STATUS_ORDER",
    "MapInitiative",
    "MapObjective",
    "OverdueMilestone",
    "Overview",
    "OverviewAlert",
    "RecentCheckIn",
    "ScoreRow",
    "StaleInitiative",
    "TeamRow",
    "overview_build",
    "overview_data_version",
]
