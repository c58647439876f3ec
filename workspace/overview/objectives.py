"""The overview's objectives: the strategy map (objectives and their initiatives, coloured by
their latest scores), the health card's score, the themes' and the teams furthest behind, the
objectives by status and those whose status changed since the chosen day.
"""

from __future__ import annotations

from typing import Any

from django.db.models import (
    Case,
    Count,
    F,
    JSONField,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    When,
)

from initiatives.models import Initiative
from metrics.models import GapScore, SubjectType
from strategy.models import Objective, Team
from workspace.overview.rows import (
    LIST_LIMIT,
    MAP_INITIATIVE_LIMIT,
    MAP_LIMIT,
    SCORE_FIELDS,
    STATUS_ORDER,
    TEAM_LIMIT,
    MapInitiative,
    MapObjective,
    Overview,
    ScoreRow,
    score_rows,
)
from workspace.overview.scope import OverviewScope, scope_filter, window_count


def objectives_read(
    scope: OverviewScope, data: Overview, *, focus_type: str, focus_id: int | None
) -> Any:
    """Fill the map, the scores (the health card's: ``focus_type``/``focus_id``, the themes',
    the teams furthest behind), the status counts and the changed objectives of ``data``.
    Returns the reason parts of the health card's score (``None`` without one), for the alerts'
    derived names. Five queries at most, whatever the size of the plan."""
    access, filters, themes, teams = scope.access, scope.filters, scope.themes, scope.teams
    strategy = scope.strategy
    # --- objectives in scope (the map, status counts, changes since) ---------------------------
    objectives = access.scope(Objective.objects.filter(strategy=strategy))
    objectives = scope_filter(objectives, scope, theme="theme_id", period="period_id")
    status_then = GapScore.objects.filter(
        subject_type=SubjectType.OBJECTIVE, subject_id=OuterRef("pk"), computed_at__lt=scope.since
    ).order_by("-computed_at", "-id")
    map_order = ("theme__order", "parent_id", "title")
    # The first objectives cut on the bare rows, theme, team and owner joined on those only;
    # the number in scope is an uncorrelated subquery, computed once.
    objective_rows = [  # plain rows of what the map and the changes list show
        MapObjective(*row)
        for row in Objective.objects.filter(
            pk__in=objectives.order_by(*map_order).values("pk")[:MAP_LIMIT]
        )
        .annotate(
            status_then=Subquery(status_then.values("status")[:1]),
            total=Subquery(objectives.order_by().annotate(n=window_count()).values("n")[:1]),
        )
        .order_by(*map_order)
        .values_list(
            *("id", "title", "theme_id", "parent_id", "owner_id", "theme__name"),
            *("theme__colour", "team__name", "owner__first_name", "owner__last_name"),
            *("owner__username", "status_then", "total"),
        )
    ]
    data.objectives_total = objective_rows[0].total if objective_rows else 0
    ids = [o.pk for o in objective_rows]

    # Initiatives under the mapped objectives (their scores come with the others below).
    map_initiatives = (
        scope_filter(
            access.scope(Initiative.objects.filter(objective_id__in_ids=ids)),
            scope,
        )
        .exclude(status=Initiative.Status.CANCELLED)
        .order_by("due_date", "title")[:MAP_INITIATIVE_LIMIT]
    )

    map_initiative_rows = [
        MapInitiative(*row)
        for row in map_initiatives.values_list(
            "id", "title", "objective_id", "progress", "due_date"
        )
    ]

    # Scores of what the page colours, in one query (without the explanation JSON it never
    # shows). Every branch is a list of ids, so each is one probe of the latest-score index.
    scored_rows = (
        GapScore.objects.filter(is_latest=True)
        .filter(
            Q(subject_type=focus_type, subject_id=focus_id)
            | Q(subject_type=SubjectType.THEME, subject_id__in_ids=[t.pk for t in themes])
            | Q(subject_type=SubjectType.OBJECTIVE, subject_id__in_ids=ids)
            | Q(
                subject_type=SubjectType.INITIATIVE,
                subject_id__in_ids=[i.pk for i in map_initiative_rows],
            )
        )
        # The reason parts of the health card's score alone (shown under the health index).
        .annotate(
            parts=Case(
                When(Q(subject_type=focus_type, subject_id=focus_id), then=F("reason_parts")),
                output_field=JSONField(),
            )
        )
        .values_list(*SCORE_FIELDS, "parts")
    )
    by_type: dict[str, dict[int, ScoreRow]] = {}
    strategy_parts = None
    for *fields, parts in scored_rows:
        score = ScoreRow._make(fields)
        by_type.setdefault(score.subject_type, {})[score.subject_id] = score
        if score.subject_type == focus_type and score.subject_id == focus_id:
            strategy_parts = parts
    data.strategy_score = (
        by_type.get(focus_type, {}).get(focus_id) if focus_id is not None else None
    )
    data.theme_scores = by_type.get(SubjectType.THEME, {})
    # The teams furthest behind (a large organisation has hundreds of teams). Without a team
    # filter, the visible teams are a subquery rather than a parameter list of every team id.
    if data.team_ids is None:
        teams_in = Q(subject_id__in=access.scope(Team.objects.all(), "id").values("id"))
    else:
        teams_in = Q(subject_id__in=data.team_ids)
    team_scores = GapScore.objects.filter(
        teams_in,
        is_latest=True,
        subject_type=SubjectType.TEAM,
        score__isnull=False,
    )
    if filters.theme_id is not None or filters.period_id is not None:
        # The teams working on the chosen theme or period: those owning its objectives.
        team_scores = team_scores.filter(subject_id__in=objectives.values("team_id"))
    data.team_scores = {
        s.subject_id: s
        for s in score_rows(team_scores.order_by("score", "subject_id")[:TEAM_LIMIT])
    }
    data.teams_total = len(data.team_ids if data.team_ids is not None else teams)
    objective_scores = by_type.get(SubjectType.OBJECTIVE, {})

    initiative_scores = by_type.get(SubjectType.INITIATIVE, {})
    by_objective: dict[int, list[MapInitiative]] = {}
    for initiative in map_initiative_rows:
        initiative.latest_score = initiative_scores.get(initiative.pk)
        by_objective.setdefault(initiative.objective_id, []).append(initiative)

    index: dict[int | None, MapObjective] = {o.pk: o for o in objective_rows}
    for objective in objective_rows:
        objective.latest_score = objective_scores.get(objective.pk)
        objective.map_initiatives = by_objective.get(objective.pk, [])
        status = objective.latest_score.status if objective.latest_score else None
        data.status_counts[status] = data.status_counts.get(status, 0) + 1
        latest = objective.latest_score
        if latest and objective.status_then and objective.status_then != latest.status:
            data.changed.append(objective)
    for objective in objective_rows:
        parent = index.get(objective.parent_id)
        if parent is not None:
            parent.map_children.append(objective)
        else:
            data.map_roots.append(objective)
    if data.objectives_total > len(objective_rows):
        # The map is cut: count the statuses of every objective in scope (one grouped query).
        data.status_counts = status_counts(objectives, total=data.objectives_total)
    data.status_counts = {
        status: data.status_counts[status]
        for status in STATUS_ORDER
        if data.status_counts.get(status)
    }
    data.objectives = objective_rows
    data.changed = data.changed[: LIST_LIMIT * 2]
    return strategy_parts


def status_counts(objectives: QuerySet, *, total: int) -> dict[str | None, int]:
    """How many of ``objectives`` have a latest score of each status; those without one
    (``total`` less the scored) under None. One query."""
    counts: dict[str | None, int] = dict(
        GapScore.objects.filter(
            is_latest=True,
            subject_type=SubjectType.OBJECTIVE,
            subject_id__in=objectives.order_by().values("pk"),
        )
        .order_by()
        .values_list("status")
        .annotate(n=Count("id"))
        .values_list("status", "n")
    )
    counts[None] = total - sum(counts.values())
    return counts
