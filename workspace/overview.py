"""Reads for the execution overview and the printable review (selectors).

Every read here is one query whatever the size of the plan: lists are capped and totals are
aggregated in the database, so the page runs a constant number of queries. Nothing here
computes a score: scores come from the gap engine's ``GapScore`` rows; where none exist yet the
page says "not scored yet".
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any, NamedTuple

from django.db.models import (
    Case,
    Count,
    F,
    JSONField,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    Sum,
    When,
    Window,
)
from django.utils import timezone

from initiatives.models import CheckIn, Initiative, Milestone, SpendEntry
from metrics.checkins import checkin_silence_annotations
from metrics.explain import AlertText, alerts_render
from metrics.lists import alert_subjects_filter
from metrics.models import Alert, GapScore, SubjectType
from strategy.access import Access
from strategy.derived import DerivedNames
from strategy.models import Objective, Period, Priority, Strategy, Team, Theme
from strategy.people import person_name
from strategy.selectors import OverviewFilters, strategy_current

MAP_LIMIT = 60  # objectives drawn on the strategy map; filters narrow it further
MAP_INITIATIVE_LIMIT = 180
LIST_LIMIT = 8
ALERT_LIMIT = 5
TREND_LIMIT = 400
TEAM_LIMIT = 12  # teams shown on the gap-by-team chart, furthest behind first
OWNER_NAME_FIELDS = ("owner__first_name", "owner__last_name", "owner__username")
SCORE_FIELDS = ("subject_type", "subject_id", "status", "score", "reason", "as_of")


class ScoreRow(NamedTuple):
    """What the page shows of a latest ``GapScore`` (badges, charts): plain rows, as a large
    plan colours a hundred or more subjects."""

    subject_type: str
    subject_id: int
    status: str
    score: float | None
    reason: str
    as_of: dt.date


def _score_rows(scores) -> list[ScoreRow]:
    return list(map(ScoreRow._make, scores.values_list(*SCORE_FIELDS)))


class TeamRow(NamedTuple):
    """A team as the filter and the gap-by-team chart need it."""

    pk: int
    name: str
    parent_id: int | None

    def __str__(self) -> str:
        return self.name


def _name(first_name: str | None, last_name: str | None, username: str | None) -> str:
    return person_name(
        first_name=first_name or "", last_name=last_name or "", username=username or ""
    )


class _Owned:
    """Rows read with ``OWNER_NAME_FIELDS``: the owner's name as the ``person`` filter shows it."""

    __slots__ = ()

    # Set by the dataclasses below (annotations only: no attribute, so no slot, here).
    owner_first_name: str | None
    owner_last_name: str | None
    owner_username: str | None

    @property
    def owner_name(self) -> str:
        return _name(self.owner_first_name, self.owner_last_name, self.owner_username)


@dataclass(slots=True)
class OverviewAlert(_Owned):
    """An alert in the overview's list of the most severe."""

    pk: int
    title: str
    severity: int
    message: str
    opened_at: dt.datetime
    team_name: str | None
    owner_id: int | None
    owner_first_name: str | None
    owner_last_name: str | None
    owner_username: str | None
    title_parts: Any = None
    message_parts: Any = None
    text: AlertText | None = None  # title and message for the reader (metrics.explain)


@dataclass(slots=True)
class StaleInitiative(_Owned):
    """An initiative in the stale check-ins list."""

    pk: int
    title: str
    team_name: str
    owner_id: int | None
    owner_first_name: str | None
    owner_last_name: str | None
    owner_username: str | None
    checkin_cadence_days: int
    last_checkin_at: dt.datetime | None
    checkin_days: int
    checkin_days_late: int


@dataclass(slots=True)
class OverdueMilestone:
    """A milestone in the overdue list."""

    pk: int
    title: str
    due_date: dt.date
    initiative_id: int
    initiative_title: str
    days_overdue: int = 0


@dataclass(slots=True)
class RecentCheckIn:
    """A check-in in the latest check-ins list."""

    pk: int
    created_at: dt.datetime
    rag: str
    confidence: int
    summary: str
    initiative_id: int
    initiative_title: str
    author_first_name: str
    author_last_name: str
    author_username: str

    @property
    def author_name(self) -> str:
        """The author's full name, else their username."""
        return _name(self.author_first_name, self.author_last_name, self.author_username)


@dataclass(slots=True)
class MapInitiative:
    """An initiative as the strategy map shows it."""

    pk: int
    title: str
    objective_id: int
    progress: int
    due_date: dt.date
    latest_score: ScoreRow | None = None


@dataclass(slots=True)
class MapObjective(_Owned):
    """An objective as the strategy map and the changes list show it."""

    pk: int
    title: str
    theme_id: int
    parent_id: int | None
    owner_id: int | None
    theme_name: str
    theme_colour: str
    team_name: str
    owner_first_name: str | None
    owner_last_name: str | None
    owner_username: str | None
    status_then: str | None
    total: int
    latest_score: ScoreRow | None = None
    map_children: list[MapObjective] = field(default_factory=list)
    map_initiatives: list[MapInitiative] = field(default_factory=list)


@dataclass
class Overview:
    """Everything the overview page shows for one reader and set of filters (``overview_build``):
    the strategy's health and its trend, scores by theme and team, the strategy map, status counts
    and changes, alerts, stale check-ins, overdue milestones and allocation by theme."""

    strategy: Strategy | None
    filters: OverviewFilters
    periods: list[Period]
    themes: list[Theme]
    teams: list[TeamRow]
    team_ids: set[int] | None = None  # the chosen team and the teams below it
    teams_total: int = 0
    team_limit: int = TEAM_LIMIT
    # The health card and its trend follow the filters: the chosen theme's score, else the
    # chosen team's (when the reader may see it), else the strategy's.
    health_label: str = "Execution health"
    strategy_score: ScoreRow | None = None  # the health card's score (see health_label)
    strategy_reason: str = ""  # that score's reason for the reader
    trend: list[tuple[dt.date, float]] = field(default_factory=list)
    theme_scores: dict[int, ScoreRow] = field(default_factory=dict)
    team_scores: dict[int, ScoreRow] = field(default_factory=dict)
    objectives: list[MapObjective] = field(default_factory=list)
    objectives_total: int = 0
    map_roots: list[MapObjective] = field(default_factory=list)
    # Every objective in scope by the status of its latest score (None: not scored yet), in
    # ``STATUS_ORDER``: the parts add up to ``objectives_total``.
    status_counts: dict[str | None, int] = field(default_factory=dict)
    alerts: list[OverviewAlert] = field(default_factory=list)
    alert_counts: dict[str, int] = field(default_factory=dict)
    stale: list[StaleInitiative] = field(default_factory=list)
    overdue: list[OverdueMilestone] = field(default_factory=list)
    overdue_more: bool = False
    by_theme: list[dict] = field(default_factory=list)
    by_priority: list[dict] = field(default_factory=list)
    top_objectives_budget: list[dict] = field(default_factory=list)
    changed: list[MapObjective] = field(default_factory=list)
    recent_checkins: list[RecentCheckIn] = field(default_factory=list)
    since_counts: dict[str, int] = field(default_factory=dict)


# The order of the statuses in the Objectives card: every status a score may have, then
# the objectives not scored yet (None).
STATUS_ORDER: tuple[str | None, ...] = (*GapScore.Status.values, None)


def _status_counts(objectives: QuerySet, *, total: int) -> dict[str | None, int]:
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


def _subtree(teams: list[TeamRow], root_id: int) -> set[int]:
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


def overview_build(*, access: Access, filters: OverviewFilters, today: dt.date) -> Overview:
    """The overview for this reader: only what ``access`` may see, narrowed by ``filters`` (a team:
    it and the teams below it). Without a current strategy only the filters' choices are filled.
    Reads only."""
    strategy = strategy_current()
    periods = list(Period.objects.order_by("start_date"))
    themes = (
        list(Theme.objects.filter(strategy=strategy).order_by("order", "name")) if strategy else []
    )
    # Plain rows: a large organisation lists hundreds of teams in the filter. (_make, not
    # TeamRow(*row): a quarter of the time for a thousand teams.)
    teams = list(map(TeamRow._make, access.visible_teams()))
    data = Overview(strategy=strategy, filters=filters, periods=periods, themes=themes, teams=teams)
    if strategy is None:
        return data
    if filters.team_id is not None:
        # A team the person may not see keeps its id alone: the scoped queries then find nothing.
        data.team_ids = _subtree(teams, filters.team_id)

    since_dt = timezone.make_aware(dt.datetime.combine(filters.since, dt.time.min))
    focus_type, focus_id = _health_focus(data, access)

    # --- objectives in scope (the map, status counts, changes since) ---------------------------
    objectives = access.scope(Objective.objects.filter(strategy=strategy))
    objectives = _filter(objectives, filters, data.team_ids, theme="theme_id", period="period_id")
    status_then = GapScore.objects.filter(
        subject_type=SubjectType.OBJECTIVE, subject_id=OuterRef("pk"), computed_at__lt=since_dt
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
            total=Subquery(objectives.order_by().annotate(n=_window_count()).values("n")[:1]),
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
        _filter(
            access.scope(Initiative.objects.filter(objective_id__in_ids=ids)),
            filters,
            data.team_ids,
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
        for s in _score_rows(team_scores.order_by("score", "subject_id")[:TEAM_LIMIT])
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
        data.status_counts = _status_counts(objectives, total=data.objectives_total)
    data.status_counts = {
        status: data.status_counts[status]
        for status in STATUS_ORDER
        if data.status_counts.get(status)
    }
    data.objectives = objective_rows
    data.changed = data.changed[: LIST_LIMIT * 2]

    # --- health trend ----------------------------------------------------------------------------
    history = (
        GapScore.objects.filter(
            subject_type=focus_type,
            subject_id=focus_id,  # type: ignore[misc]  # None: IS NULL, nothing (see _health_focus)
            score__isnull=False,
        )
        .order_by("-computed_at")
        .values_list("computed_at", "score")[:TREND_LIMIT]
    )
    per_day: dict[dt.date, float] = {}
    for computed_at, value in history:  # newest first: the first seen is the day's last value
        assert value is not None  # score__isnull=False above
        per_day.setdefault(timezone.localtime(computed_at).date(), value)
    data.trend = sorted(per_day.items())

    # --- alerts ------------------------------------------------------------------------------------
    # Alerts the reader may see (the one rule, ``Access.alert_filter``: a theme's or the
    # strategy's alerts, which have no team, included).
    alerts = _filter(
        Alert.objects.filter(access.alert_filter(), status__in=Alert.ACTIVE_STATUSES),
        filters,
        data.team_ids,
    )
    subjects = alert_subjects_filter(filters, strategy)
    if subjects is not None:
        alerts = alerts.filter(subjects)
    data.alerts = [  # the five most severe, as plain rows
        OverviewAlert(*row)
        for row in alerts.order_by("-severity", "-opened_at", "-pk").values_list(
            *("id", "title", "severity", "message", "opened_at", "team__name", "owner_id"),
            *OWNER_NAME_FIELDS,
            *("title_parts", "message_parts"),
        )[:ALERT_LIMIT]
    ]
    # Derived text for the reader: the themes named by the strategy's reason are read already;
    # the alerts' references cost one query (none when they mention nothing).
    names = DerivedNames(access)
    for theme in themes:
        names.known((SubjectType.THEME, theme.pk), name=theme.name, team_id=None)
    if data.strategy_score is not None:
        reason = data.strategy_score.reason if strategy_parts is None else strategy_parts
        names.want(reason)
    alerts_render(alerts=data.alerts, access=access, names=names)
    if data.strategy_score is not None:
        data.strategy_reason = names.text(reason)
    data.alert_counts = alerts.aggregate(  # severity (never null), not id: in the index
        total=Count("severity"),
        critical=Count("severity", filter=Q(severity=Alert.Severity.CRITICAL)),
        opened_since=Count("severity", filter=Q(opened_at__gte=since_dt)),
    )

    # --- stale check-ins and overdue milestones ----------------------------------------------------
    def initiatives_of(model, prefix: str = ""):
        """Rows of ``model`` whose initiative is in scope, filtered by joins (no IN subquery)."""
        qs = access.scope(
            model.objects.filter(**{f"{prefix}objective__strategy": strategy}), f"{prefix}team_id"
        )
        return _filter(
            qs,
            filters,
            data.team_ids,
            team=f"{prefix}team_id",
            theme=f"{prefix}objective__theme_id",
            period=f"{prefix}objective__period_id",
        )

    scoped_initiatives = initiatives_of(Initiative)
    open_initiatives = scoped_initiatives.filter(status=Initiative.Status.ACTIVE)
    # The one rule of staleness (scoring.initiative.checkin_silence) in SQL, on the stored last
    # check-in time, the longest overdue first. One query: cutting on bare rows first costs
    # more to build than the joins it saves.
    data.stale = [
        StaleInitiative(*row)
        for row in open_initiatives.annotate(**checkin_silence_annotations(today=today))
        .filter(checkin_stale=True)
        .order_by("-checkin_days_late", F("last_checkin_at").asc(nulls_first=True), "pk")
        .values_list(
            *("id", "title", "team__name", "owner_id", *OWNER_NAME_FIELDS),
            *("checkin_cadence_days", "last_checkin_at", "checkin_days", "checkin_days_late"),
        )[:LIST_LIMIT]
    ]

    overdue_ids = (
        Milestone.objects.filter(
            completed_on__isnull=True,
            due_date__lt=today,
            initiative__in=open_initiatives.values("pk"),
        )
        .order_by("due_date", "pk")
        .values("pk")[: LIST_LIMIT + 1]
    )
    overdue = [  # the initiative is joined on the few rows shown, not on every late one
        OverdueMilestone(*row)
        for row in Milestone.objects.filter(pk__in=overdue_ids)
        .order_by("due_date", "pk")
        .values_list("id", "title", "due_date", "initiative_id", "initiative__title")
    ]
    for milestone in overdue:
        milestone.days_overdue = (today - milestone.due_date).days
    data.overdue, data.overdue_more = overdue[:LIST_LIMIT], len(overdue) > LIST_LIMIT

    # --- resource allocation ---------------------------------------------------------------------
    funded = scoped_initiatives.exclude(status=Initiative.Status.CANCELLED)
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

    # --- what changed since ----------------------------------------------------------------------
    checkins = initiatives_of(CheckIn, "initiative__").filter(created_at__gte=since_dt)
    # The number since, counted on their (created_at, initiative) index; the newest few walk that
    # index backwards and stop, joining initiative and author on those rows only. (As a scalar
    # subquery of the list, the count is planned as a nested loop: twice as slow.)
    checkins_since = checkins.aggregate(total=Count("*"))["total"]
    data.recent_checkins = [
        RecentCheckIn(*row)
        for row in checkins.order_by("-created_at", "-pk").values_list(
            *("id", "created_at", "rag", "confidence", "summary", "initiative_id"),
            *("initiative__title", "author__first_name", "author__last_name"),
            "author__username",
        )[:LIST_LIMIT]
    ]
    data.since_counts = {
        "checkins": checkins_since,
        "alerts_opened": data.alert_counts.get("opened_since", 0),
        "status_changes": len(data.changed),
    }
    return data


def _health_focus(data: Overview, access: Access) -> tuple[str, int | None]:
    """Whose score the health card and its trend show, by the filters: the chosen theme's, else
    the chosen team's, else the strategy's. A team the reader may not see has none (``None``:
    nothing is read), exactly like an unknown one. Sets ``data.health_label``."""
    filters = data.filters
    if filters.theme_id is not None:
        theme = next((t for t in data.themes if t.pk == filters.theme_id), None)
        data.health_label = f"Health of {theme.name}" if theme else "Health of the theme"
        return SubjectType.THEME, filters.theme_id if theme else None
    if filters.team_id is not None:
        team = next((t for t in data.teams if t.pk == filters.team_id), None)
        if team is None or not access.can_view_team(team.pk):
            data.health_label = "Health of the team"
            return SubjectType.TEAM, None
        data.health_label = f"Health of {team.name}"
        return SubjectType.TEAM, team.pk
    assert data.strategy is not None  # overview_build returns before this without one
    return SubjectType.STRATEGY, data.strategy.pk


def _window_count() -> Window:
    """The number of rows before LIMIT, on every row: a list and its total in one query."""
    return Window(Count("id"))


def _filter(qs, filters: OverviewFilters, team_ids, *, team="team_id", theme=None, period=None):
    if team_ids is not None:
        qs = qs.filter(**{f"{team}__in_ids": team_ids})
    if theme and filters.theme_id is not None:
        qs = qs.filter(**{theme: filters.theme_id})
    if period and filters.period_id is not None:
        qs = qs.filter(**{period: filters.period_id})
    return qs


def overview_data_version() -> str:
    """A fingerprint of everything the overview shows, in one cheap query.

    Each part is an indexed MAX (or the count of active alerts, from their partial index), so a new
    score, check-in, alert, spend entry or edit changes it. Deleted rows are caught by the
    cache's time limit only.
    """
    from django.db import connection

    parts = [
        f"SELECT MAX(id) FROM {GapScore._meta.db_table}",  # noqa: S608
        f"SELECT MAX(id) FROM {CheckIn._meta.db_table}",  # noqa: S608
        f"SELECT MAX(id) FROM {Alert._meta.db_table}",  # noqa: S608
        # COUNT(severity), not COUNT(*): severity is in the partial index of active alerts
        # (alert_active_by_severity_team), so the count is an index-only scan of that index;
        # COUNT(*) was served by scanning the whole (team_id, status) index (issue #19).
        f"SELECT COUNT(severity) FROM {Alert._meta.db_table} "  # noqa: S608
        "WHERE status IN ('open', 'acknowledged')",
    ] + [
        f"SELECT MAX(updated_at) FROM {model._meta.db_table}"  # noqa: S608
        for model in (Milestone, Initiative, SpendEntry, Objective, Theme, Team, Period, Strategy)
    ]
    # Table names come from model metadata, never from input.
    sql = "SELECT " + ", ".join(f"({part})" for part in parts)
    with connection.cursor() as cursor:
        cursor.execute(sql)
        return "|".join(str(value) for value in cursor.fetchone())
