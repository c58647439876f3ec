"""The overview's resource allocation: planned budget, effort and spend by theme and by priority,
and the objectives with the largest budgets."""

from __future__ import annotations

from decimal import Decimal

from django.db.models import Count, Sum

from initiatives.models import Initiative
from strategy.models import Priority
from workspace.overview.rows import LIST_LIMIT, Overview
from workspace.overview.scope import OverviewScope, initiatives_of


def resources_read(scope: OverviewScope, data: Overview) -> None:
    """Fill ``data.by_theme``, ``data.by_priority`` and ``data.top_objectives_budget`` (shares
    of the total planned budget and effort; ``None`` when nothing is planned). Two grouped
    queries of a few rows."""
    themes = scope.themes
    # --- resource allocation ---------------------------------------------------------------------
    funded = initiatives_of(scope, Initiative).exclude(status=Initiative.Status.CANCELLED)
    # Planned budget, effort and spend by theme and by priority in one grouped query (a few
    # rows), spend from each initiative's stored sum of its entries.
    theme_plan: dict[int, dict] = {}
    priority_plan: dict[int, dict] = {}
    plan_rows = funded.values("objective__theme_id", "objective__priority").annotate(
        budget=Sum("budget_planned"),
        effort=Sum("effort_planned_fte"),
        count=Count("id"),
        spent=Sum("spent"),
    )
    for row in plan_rows.order_by():
        for plans, key in (
            (theme_plan, row["objective__theme_id"]),
            (priority_plan, row["objective__priority"]),
        ):
            total = plans.setdefault(
                key, {"budget": Decimal(0), "effort": Decimal(0), "spent": Decimal(0), "count": 0}
            )
            total["budget"] += row["budget"] or 0
            total["spent"] += row["spent"] or 0
            total["effort"] += row["effort"] or 0
            total["count"] += row["count"]
    for theme in themes:
        plan = theme_plan.get(theme.pk, {})
        data.by_theme.append(
            {
                "theme": theme,
                "budget": plan.get("budget") or Decimal(0),
                "effort": plan.get("effort") or Decimal(0),
                "count": plan.get("count") or 0,
                "spent": plan.get("spent") or Decimal(0),
                "score": data.theme_scores.get(theme.pk),
            }
        )
    total_budget = sum((r["budget"] or 0 for r in priority_plan.values()), Decimal(0))
    total_effort = sum((r["effort"] or 0 for r in priority_plan.values()), Decimal(0))
    for value, label in reversed(Priority.choices):
        plan = priority_plan.get(value, {})
        budget, effort = plan.get("budget") or Decimal(0), plan.get("effort") or Decimal(0)
        data.by_priority.append(
            {
                "priority": label,
                "budget": budget,
                "effort": effort,
                "count": plan.get("count") or 0,
                "budget_share": float(budget / total_budget) if total_budget else None,
                "effort_share": float(effort / total_effort) if total_effort else None,
            }
        )
    data.top_objectives_budget = list(
        funded.values("objective_id", "objective__title", "objective__priority")
        .annotate(budget=Sum("budget_planned"), effort=Sum("effort_planned_fte"))
        .order_by("-budget", "objective__title")[:LIST_LIMIT]
    )
    for row in data.top_objectives_budget:
        row["priority_label"] = Priority(row["objective__priority"]).label
        row["share"] = float(row["budget"] / total_budget) if total_budget else None
