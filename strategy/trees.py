"""Walks of a tree stored as an adjacency list (a model with a ``parent`` foreign key to
itself: teams, objectives), each in one query (recursive CTE).

The models' own checks (``Team.clean``, ``Objective.clean``: no cycle) and the selectors both
use it, so it imports no model: the model is an argument.
"""

from __future__ import annotations

from collections.abc import Iterable

from django.db import models
from django_cte import CTE, with_cte


def tree_walk(
    *, model: type[models.Model], start_ids: Iterable[int], up: bool, include_start: bool
) -> models.QuerySet:
    """Ids of the rows reached from ``start_ids`` by following ``parent`` up or down.

    One query: a ``WITH RECURSIVE`` over the adjacency list. ``UNION`` (not ``UNION ALL``)
    drops repeated rows, so even a cycle that slipped past validation terminates.
    """
    start_ids = list(start_ids)

    def make(cte: CTE) -> models.QuerySet:
        base = model._default_manager.filter(id__in=start_ids).order_by().values("id", "parent_id")
        if up:
            step = cte.join(model, id=cte.col.parent_id)
        else:
            step = cte.join(model, parent_id=cte.col.id)
        return base.union(step.order_by().values("id", "parent_id"), all=False)

    cte = CTE.recursive(make)
    qs = with_cte(cte, select=cte).order_by().values_list("id", flat=True)
    if not include_start:
        qs = qs.exclude(id__in=start_ids)
    return qs


def tree_ancestor_ids(model: type[models.Model], row_id: int) -> set[int]:
    """The ids of the ``model`` row ``row_id``'s ancestors (not the row itself), up to the
    root; one query."""
    return set(tree_walk(model=model, start_ids=[row_id], up=True, include_start=False))
