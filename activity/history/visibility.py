"""Which versions a reader may see: the team a version belonged to, whether the object is
visible now, and whether a team (or one above it) was private at a version's moment (sealed)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable

from activity.history.tracking import TrackedKind
from strategy.access import Access
from strategy.models import Team


def _team_of(tracked: TrackedKind, record, initiative_teams: dict[int, int]) -> int | None:
    """The team a version belonged to (``None``: a kind no team owns)."""
    kind = tracked.kind
    if kind == "team":
        return record.id
    if kind in ("objective", "initiative", "kpi", "membership"):
        return record.team_id
    if kind == "milestone":
        return initiative_teams.get(record.initiative_id)
    return None


def _object_visible(tracked: TrackedKind, access: Access, record) -> bool:
    """May this reader see the object (its latest version)?"""
    if access.is_office:
        return True
    if not access.sees_anything:
        return False
    kind = tracked.kind
    if kind == "webhook":
        return record.owner_id is not None and record.owner_id == access.user_id
    # Team-owned kinds are decided by the caller with the team.
    return kind in ("strategy", "period", "theme")


def _private_then(team_ids: set[int]) -> Callable[[int, dt.datetime], bool]:
    """``private(team_id, at)``: whether the team or a team above it was private at ``at``,
    from the teams' own history (the earliest recorded state for times before it; the
    current state when a team has no history). Two queries: the teams' parents, their history.
    """
    parent_of, now_private = {}, {}
    for team_id, parent_id, is_private in Team.objects.values_list("id", "parent_id", "is_private"):
        parent_of[team_id], now_private[team_id] = parent_id, is_private
    chains: dict[int, set[int]] = {}
    for t in team_ids:
        chain: set[int] = set()
        step: int | None = t
        while step is not None and step not in chain:
            chain.add(step)
            step = parent_of.get(step)
        chains[t] = chain
    everyone = set().union(*chains.values()) if chains else set()
    timeline: dict[int, list[tuple[dt.datetime, bool]]] = {}
    for team_id, at, is_private in (
        Team.history.filter(id__in=everyone)
        .order_by("history_date", "history_id")
        .values_list("id", "history_date", "is_private")
    ):
        timeline.setdefault(team_id, []).append((at, is_private))

    def team_private(team_id: int, at: dt.datetime) -> bool:
        states = timeline.get(team_id)
        if not states:
            return now_private.get(team_id, False)
        state = states[0][1]
        for when, is_private in states:
            if when > at:
                break
            state = is_private
        # Private at any recorded moment up to and including ``at``'s state: the latest.
        return state

    def private(team_id: int, at: dt.datetime) -> bool:
        return any(team_private(t, at) for t in chains.get(team_id, {team_id}))

    return private
