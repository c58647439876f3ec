"""What every widget of the overview reads by: the reader, the filters, the current strategy
and the teams in scope (``OverviewScope``), and the filters applied the same way to every
query (``scope_filter``, ``initiatives_of``).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.db.models import Count, QuerySet, Window

from strategy.access import Access
from strategy.models import Strategy, Theme
from strategy.selectors import OverviewFilters
from workspace.overview.rows import TeamRow


@dataclass(frozen=True)
class OverviewScope:
    """One build's reader (``access``), ``filters``, current ``strategy``, ``today``, the start of
    "changes since" as an aware datetime (``since``), the filter's team and those below it
    (``team_ids``; ``None``: every team the reader may see), and the strategy's ``themes`` and
    the visible ``teams``."""

    access: Access
    filters: OverviewFilters
    strategy: Strategy
    today: dt.date
    since: dt.datetime
    team_ids: set[int] | None
    themes: list[Theme]
    teams: list[TeamRow]


def scope_filter(qs, scope: OverviewScope, *, team="team_id", theme=None, period=None):
    """``qs`` narrowed by the filters: the teams in scope on ``team``, the chosen theme on the
    lookup ``theme`` and the chosen period on ``period`` (each only when given and chosen)."""
    filters = scope.filters
    if scope.team_ids is not None:
        qs = qs.filter(**{f"{team}__in_ids": scope.team_ids})
    if theme and filters.theme_id is not None:
        qs = qs.filter(**{theme: filters.theme_id})
    if period and filters.period_id is not None:
        qs = qs.filter(**{period: filters.period_id})
    return qs


def initiatives_of(scope: OverviewScope, model, prefix: str = "") -> QuerySet:
    """Rows of ``model`` whose initiative is in scope (``prefix``: the path to the initiative,
    e.g. ``"initiative__"``), filtered by joins (no IN subquery)."""
    qs = scope.access.scope(
        model.objects.filter(**{f"{prefix}objective__strategy": scope.strategy}), f"{prefix}team_id"
    )
    return scope_filter(
        qs,
        scope,
        team=f"{prefix}team_id",
        theme=f"{prefix}objective__theme_id",
        period=f"{prefix}objective__period_id",
    )


def window_count() -> Window:
    """The number of rows before LIMIT, on every row: a list and its total in one query."""
    return Window(Count("id"))


def team_subtree(teams: list[TeamRow], root_id: int) -> set[int]:
    """The team ``root_id`` and every team below it among ``teams``."""
    children: dict[int | None, list[int]] = {}
    for team in teams:
        children.setdefault(team.parent_id, []).append(team.pk)
    found, todo = set(), [root_id]
    while todo:
        current = todo.pop()
        if current in found:
            continue
        found.add(current)
        todo.extend(children.get(current, ()))
    return found
