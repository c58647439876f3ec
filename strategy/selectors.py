"""Reads of the plan: the current strategy, the filters the overview and the lists share, and
trees of teams and objectives, each in one query (recursive CTE)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass, field

from django.db import models
from django.db.models import Case, F, Value, When
from django.utils import timezone

from strategy.models import Objective, Strategy, Team
from strategy.trees import tree_ancestor_ids, tree_walk


def team_ancestor_ids(*, team_id: int) -> set[int]:
    """The team's ancestors (not the team itself), up to the company."""
    return tree_ancestor_ids(Team, team_id)


def team_subtree_ids(*, team_ids: Iterable[int]) -> set[int]:
    """The given teams and everything below them."""
    return set(tree_walk(model=Team, start_ids=team_ids, up=False, include_start=True))


def objective_ancestor_ids(*, objective_id: int) -> set[int]:
    """The objective's ancestors (not itself), up to the company-level objective."""
    return tree_ancestor_ids(Objective, objective_id)


def objective_subtree(*, objective: Objective) -> models.QuerySet[Objective]:
    """The objective and all objectives aligned below it, loaded in one query."""
    cte_ids = tree_walk(model=Objective, start_ids=[objective.pk], up=False, include_start=True)
    return Objective.objects.filter(id__in=cte_ids)


def objective_tree(*, strategy_id: int) -> list[Objective]:
    """Every objective of a strategy, parents before children, in one query.

    Callers build the tree from ``parent_id``; ``children_of`` below does it for them.
    """
    return list(
        Objective.objects.filter(strategy_id=strategy_id)
        .select_related("theme", "team", "owner")
        .order_by(F("parent_id").asc(nulls_first=True), "theme__order", "title")
    )


def children_of(objectives: Iterable[Objective]) -> dict[int | None, list[Objective]]:
    """Index a flat list by ``parent_id`` so a tree can be walked without queries."""
    index: dict[int | None, list[Objective]] = {}
    for objective in objectives:
        index.setdefault(objective.parent_id, []).append(objective)
    return index


def objective_ancestors(*, objective: Objective) -> models.QuerySet[Objective]:
    """The objective's ancestors (not itself), up to the top, loaded in one query."""
    ids = tree_walk(model=Objective, start_ids=[objective.pk], up=True, include_start=False)
    return Objective.objects.filter(id__in=ids)


def strategy_current() -> Strategy | None:
    """The active strategy, else the most recent draft (one query)."""
    return (
        Strategy.objects.exclude(status=Strategy.Status.ARCHIVED)
        .order_by(
            Case(When(status=Strategy.Status.ACTIVE, then=Value(0)), default=Value(1)),
            "-horizon_start",
        )
        .first()
    )


@dataclass
class OverviewFilters:
    """The overview's filters (ids, None: all) and the day its "changes since" start (default 30
    days ago)."""

    period_id: int | None = None
    theme_id: int | None = None
    team_id: int | None = None
    since: dt.date = field(default_factory=lambda: timezone.localdate() - dt.timedelta(days=30))
