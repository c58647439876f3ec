"""Reads of execution data."""

from __future__ import annotations

from django_cte import CTE, with_cte

from initiatives.models import InitiativeDependency


def initiative_dependency_closure(*, initiative_id: int) -> set[int]:
    """Every initiative that ``initiative_id`` depends on, directly or transitively (one query)."""

    def make(cte: CTE):
        base = (
            InitiativeDependency.objects.filter(initiative_id=initiative_id)
            .order_by()
            .values("depends_on_id")
        )
        step = cte.join(InitiativeDependency, initiative_id=cte.col.depends_on_id).values(
            "depends_on_id"
        )
        return base.union(step, all=False)

    cte = CTE.recursive(make)
    return set(with_cte(cte, select=cte).values_list("depends_on_id", flat=True))
