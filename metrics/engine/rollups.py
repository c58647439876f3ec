"""Rollups: objectives (bottom-up through the tree), then teams, themes and strategies.

Why this module is long: it is one computation, ``rollups_compute``, and the helpers it alone
uses. Its stages (read the affected objectives, their KPIs and initiatives, the themes and
strategies, every stored score they need in one query; then objectives bottom-up, teams,
themes, strategies) share the rows read once and the ``run`` of outcomes each stage adds to the
next one's inputs; that sharing is what keeps the query count fixed whatever the tree's size.
Cut into modules, each stage would take or return the same half-dozen maps.

Incremental mode (``objective_ids`` given) touches only those objectives and their ancestors,
their teams up to the company, their themes and strategies, reading every other part's latest
stored score. Full mode (``objective_ids=None``) computes everything from the stored KPI and
initiative scores. Both issue a fixed number of queries, whatever the size of the tree.
"""

from __future__ import annotations

import dataclasses
from collections import defaultdict
from collections.abc import Iterable, Mapping
from datetime import date
from typing import Any

from django.db.models import Q

from initiatives.models import Initiative, Milestone
from metrics.alerts import (
    OBJECTIVE_KINDS,
    ROLLUP_KINDS,
    Cause,
    Subject,
    objective_alerts,
    objective_root_alert,
)
from metrics.engine.common import (
    Actors,
    Key,
    LatestCache,
    Outcome,
    child_values,
    owners_active,
    stored_values,
    unavailable_outcome,
)
from metrics.engine.unchanged import Unchanged, canonical, inputs_fingerprint, row_parts
from metrics.models import KPI, Alert, SubjectType
from metrics.scoring import Child, Result, Thresholds, rollup_score
from metrics.scoring.common import NO_DATA
from metrics.scoring.rollup import part_weight
from strategy.models import Objective, Strategy, Team, Theme
from strategy.trees import tree_walk

OBJECTIVE_FIELDS = (
    "id",
    "title",
    "parent_id",
    "team_id",
    "theme_id",
    "strategy_id",
    "weight",
    "status",
    "owner_id",
    "parent__owner_id",
    "owner__is_active",
    "parent__owner__is_active",
    "period__start_date",
    "period__end_date",
)
# The theme columns the rollups read (their rows are dicts: owners_active clears an inactive
# strategy owner).
THEME_FIELDS = (
    "id",
    "name",
    "weight",
    "strategy_id",
    "strategy__name",
    "strategy__owner_id",
    "strategy__owner__is_active",
    "strategy__status",
)
# A row of ``values()``, as the rollups read it.
Row = Mapping[str, Any]
CLOSED = {
    Objective.Status.ACHIEVED: "achieved",
    Objective.Status.MISSED: "missed",
    Objective.Status.CANCELLED: "cancelled",
}


def _children_from(
    groups: Iterable[tuple[str, str, str, Iterable[Row]]],
    run: dict[Key, Outcome],
    latest: LatestCache,
    parent_starts_on: date | None = None,
) -> list[Child]:
    """The parts of a rollup from rows of scored children: ``(subject type, noun, label
    column, rows)`` per group, each row with ``id`` and ``weight`` (and ``status`` and
    ``ended_on`` for objectives and initiatives: ``part_weight`` decides what a closed part
    weighs). The parts are stored as references (``Child.label_parts``): their names are
    rendered for each reader."""
    return [
        _child_from(
            (subject_type, row["id"]),
            noun,
            part_weight(
                weight=float(row["weight"]),
                status=row.get("status"),
                ended_on=_ended_on(row),
                parent_starts_on=parent_starts_on,
            ),
            run,
            latest,
        )
        for subject_type, noun, label, rows in groups
        for row in rows
    ]


def _ended_on(row: Row) -> date | None:
    """When a closed objective or initiative ended: its period's end, or its delivery."""
    return row.get("completed_on") or row.get("period__end_date")


def _child_from(
    key: Key, label: str, weight: float, run: dict[Key, Outcome], latest: LatestCache
) -> Child:
    outcome = run.get(key)
    values = child_values(outcome) if outcome is not None else stored_values(latest.get(key))
    score, status, detail, progress, expected, detail_parts = values
    return Child(
        key=f"{key[0]}:{key[1]}",
        label=label,
        score=score,
        weight=weight,
        status=status,
        detail=detail,
        subject_type=key[0],
        subject_id=key[1],
        progress=progress,
        expected_progress=expected,
        detail_parts=detail_parts,
    )


def _part_causes(
    *,
    full: bool,
    kpis_of: dict[int, list[Row]],
    initiatives_of: dict[int, list[Row]],
    initiative_kpis: list[tuple[int, int]],
    affected: set[int],
    run: dict[Key, Outcome],
) -> dict[int, list[Cause]]:
    """Objective id -> the active alerts of its parts once this run is written: its KPIs, its
    initiatives, their KPIs and their milestones. Stored alerts, except that a part this run
    computed has the alerts of the kinds it evaluated replaced by the run's own (its outcome's
    ``scopes`` and ``alerts``). ``initiative_kpis``: (KPI id, initiative id) of the KPIs of
    initiatives. One query (two when milestones have alerts), whatever the number of
    objectives."""
    initiative_objective = {i["id"]: oid for oid in affected for i in initiatives_of.get(oid, [])}
    kpi_objective = {k["id"]: oid for oid in affected for k in kpis_of.get(oid, [])}
    for kpi_id, initiative_id in initiative_kpis:
        if initiative_id in initiative_objective:
            kpi_objective.setdefault(kpi_id, initiative_objective[initiative_id])
    types = (SubjectType.KPI, SubjectType.INITIATIVE, SubjectType.MILESTONE)
    stored = Alert.objects.filter(status__in=Alert.ACTIVE_STATUSES, subject_type__in=types)
    if not full:
        stored = stored.filter(
            Q(subject_type=SubjectType.KPI, subject_id__in=list(kpi_objective))
            | Q(subject_type=SubjectType.INITIATIVE, subject_id__in=list(initiative_objective))
            | Q(
                subject_type=SubjectType.MILESTONE,
                subject_id__in=Milestone.objects.filter(
                    initiative_id__in=list(initiative_objective)
                ).values("id"),
            )
        )
    evaluated: dict[Key, frozenset[str]] = {}
    fresh: list[Cause] = []
    milestone_initiative: dict[int, int] = {}
    for outcome in run.values():
        if outcome.key[0] not in (SubjectType.KPI, SubjectType.INITIATIVE):
            continue
        evaluated.update(outcome.scopes)
        for key in outcome.scopes:
            if key[0] == SubjectType.MILESTONE:
                milestone_initiative[key[1]] = outcome.key[1]
        fresh += [Cause(s.subject_type, s.subject_id, s.kind, s.severity) for s in outcome.alerts]
    causes = [
        Cause(t, i, kind, severity)
        for t, i, kind, severity in stored.order_by().values_list(
            "subject_type", "subject_id", "kind", "severity"
        )
        if kind not in evaluated.get((t, i), ())
    ] + fresh
    wanted = [c.subject_id for c in causes if c.subject_type == SubjectType.MILESTONE]
    missing = [m for m in wanted if m not in milestone_initiative]
    if missing:
        milestone_initiative.update(
            Milestone.objects.filter(id__in=missing).values_list("id", "initiative_id")
        )
    by_objective: dict[int, list[Cause]] = defaultdict(list)
    seen: set[str] = set()
    for cause in causes:
        if cause.dedup_key in seen:
            continue
        seen.add(cause.dedup_key)
        if cause.subject_type == SubjectType.KPI:
            oid = kpi_objective.get(cause.subject_id)
        elif cause.subject_type == SubjectType.INITIATIVE:
            oid = initiative_objective.get(cause.subject_id)
        else:
            oid = initiative_objective.get(milestone_initiative.get(cause.subject_id, -1))
        if oid is not None:
            by_objective[oid].append(cause)
    return by_objective


def _bottom_up(ids: set[int], parent_of: Mapping[int, int | None]) -> list[int]:
    """``ids`` ordered children first (deepest first), iteratively (no recursion limit)."""
    depth: dict[int, int] = {}
    for start in ids:
        chain: list[int] = []
        node: int | None = start
        while node in ids and node not in depth and node not in chain:
            chain.append(node)
            node = parent_of.get(node)
        base = depth.get(node, -1) if node in ids else -1
        for i, n in enumerate(reversed(chain)):
            depth[n] = base + 1 + i
    return sorted(ids, key=lambda i: (-depth.get(i, 0), i))


def rollups_compute(
    *,
    objective_ids: set[int] | None,
    today: date,
    thresholds: Thresholds,
    run: dict[Key, Outcome],
    latest: LatestCache,
    actors: Actors | None = None,
    unchanged: Unchanged | None = None,
) -> list[Outcome]:
    """Objective, team, theme and strategy outcomes. ``run`` holds this run's KPI and initiative
    outcomes (they win over stored scores) and receives the new ones.

    ``unchanged``: skip the subjects whose inputs (their row, their parts' scores as this run
    sees them, the causes of their root alert, their route, the day) match their latest
    score's (``metrics.engine.unchanged``): they get no outcome, so their parents read their
    stored score, which is what they would have computed."""
    actors = actors or Actors()
    full = objective_ids is None
    if objective_ids is None:  # full
        objectives = list(Objective.objects.order_by("id").values(*OBJECTIVE_FIELDS))
        affected = {o["id"] for o in objectives}
    else:
        walk = tree_walk(model=Objective, start_ids=objective_ids, up=True, include_start=True)
        ancestors = (
            Objective.objects.filter(Q(id__in=walk)).order_by("id").values(*OBJECTIVE_FIELDS)
        )
        objectives = list(ancestors)
        affected = {o["id"] for o in objectives}
    if not objectives:
        return []
    owners_active(
        objectives,
        [("owner_id", "owner__is_active"), ("parent__owner_id", "parent__owner__is_active")],
    )
    by_id = {o["id"]: o for o in objectives}
    strategy_ids = {o["strategy_id"] for o in objectives}

    # The objectives' KPIs, and their initiatives' KPIs (whose alerts are causes of the
    # objective's root alert), in one query.
    if full:
        kpi_q = Q(objective__isnull=False) | Q(initiative__isnull=False)
        ini_q = Q()
    else:
        kpi_q = Q(objective_id__in=affected) | Q(initiative__objective_id__in=affected)
        ini_q = Q(objective_id__in=affected)
    kpi_rows = list(
        KPI.objects.filter(kpi_q, is_active=True)
        .order_by("id")
        .values("id", "name", "weight", "kind", "objective_id", "initiative_id")
    )
    kpis = [k for k in kpi_rows if k["objective_id"] is not None and k["objective_id"] in affected]
    initiative_kpis = [(k["id"], k["initiative_id"]) for k in kpi_rows if k["initiative_id"]]
    initiatives = list(
        # Support measures (kind "support") are scored as initiatives but are not parts of
        # their objective: they must not move the plan's health (support app, issue #18).
        Initiative.objects.filter(ini_q, kind=Initiative.Kind.PLAN)
        .order_by("id")
        .values("id", "title", "weight", "objective_id", "status", "completed_on")
    )
    teams = {t["id"]: t for t in Team.objects.order_by("id").values("id", "name", "parent_id")}
    team_affected: set[int] = set()
    for o in objectives:
        node = o["team_id"]
        while node is not None and node not in team_affected:
            team_affected.add(node)
            node = teams[node]["parent_id"] if node in teams else None
    theme_affected = {o["theme_id"] for o in objectives}
    outside_children: list[Row] = []
    if full:
        team_objectives = list(objectives)
        theme_roots = [o for o in objectives if o["parent_id"] is None]
        team_affected = set(teams)
    else:
        # One query for the other objectives the rollups read: children of the affected
        # objectives, objectives of the affected teams, root objectives of affected themes.
        child_q = Q(parent_id__in=affected) & ~Q(id__in=affected)
        extra = list(
            Objective.objects.filter(
                child_q
                | Q(team_id__in=team_affected)
                | Q(theme_id__in=theme_affected, parent__isnull=True)
            )
            .order_by("id")
            .values(
                "id",
                "title",
                "weight",
                "team_id",
                "theme_id",
                "parent_id",
                "strategy_id",
                "strategy__status",
                "status",
                "period__end_date",
            )
        )
        outside_children = [
            o for o in extra if o["parent_id"] in affected and o["id"] not in affected
        ]
        live = [o for o in extra if o["strategy__status"] != Strategy.Status.ARCHIVED]
        team_objectives = [o for o in live if o["team_id"] in team_affected]
        theme_roots = [
            o for o in live if o["theme_id"] in theme_affected and o["parent_id"] is None
        ]
    archived = set()
    themes = list(
        Theme.objects.filter(**({} if full else {"strategy_id__in": strategy_ids}))
        .order_by("id")
        .values(*THEME_FIELDS)
    )
    owners_active(themes, [("strategy__owner_id", "strategy__owner__is_active")])
    for t in themes:
        if t["strategy__status"] == Strategy.Status.ARCHIVED:
            archived.add(t["strategy_id"])
    if full:
        team_objectives = [o for o in team_objectives if o["strategy_id"] not in archived]
        theme_affected = {t["id"] for t in themes}
        strategy_ids = {t["strategy_id"] for t in themes} | strategy_ids

    # Everything read from stored scores, plus what this run writes (for change detection), in
    # one query.
    wanted: set[Key] = set()
    wanted |= {(SubjectType.KPI, k["id"]) for k in kpis}
    wanted |= {(SubjectType.INITIATIVE, i["id"]) for i in initiatives}
    wanted |= {(SubjectType.OBJECTIVE, o["id"]) for o in outside_children}
    wanted |= {(SubjectType.OBJECTIVE, o["id"]) for o in team_objectives + theme_roots}
    wanted |= {(SubjectType.OBJECTIVE, i) for i in affected}
    if full:
        wanted |= {(SubjectType.TEAM, t) for t in teams}
    else:  # the affected teams and their direct children (read for their scored weight)
        wanted |= {
            (SubjectType.TEAM, t["id"])
            for t in teams.values()
            if t["id"] in team_affected or t["parent_id"] in team_affected
        }
    wanted |= {(SubjectType.THEME, t["id"]) for t in themes}
    wanted |= {(SubjectType.STRATEGY, s) for s in strategy_ids}
    wanted |= set(run)  # this run's own subjects: for change detection when written
    latest.load(keys=wanted)

    kpis_of: dict[int, list[Row]] = defaultdict(list)
    for k in kpis:
        kpis_of[k["objective_id"]].append(k)
    initiatives_of: dict[int, list[Row]] = defaultdict(list)
    for i in initiatives:
        initiatives_of[i["objective_id"]].append(i)
    children_of: dict[int, list[Row]] = defaultdict(list)
    for o in objectives:
        if o["parent_id"] is not None:
            children_of[o["parent_id"]].append(o)
    for o in outside_children:
        children_of[o["parent_id"]].append(o)
    for siblings in children_of.values():
        # Parts in a stable order, so the same inputs always store the same result.
        siblings.sort(key=lambda o: o["id"])
    for o in objectives:
        actors.want(o["team_id"], o["owner_id"], o["parent__owner_id"])
    causes_of = _part_causes(
        full=full,
        kpis_of=kpis_of,
        initiatives_of=initiatives_of,
        initiative_kpis=initiative_kpis,
        affected=affected,
        run=run,
    )

    cause_ids: dict[str, int] = {}
    if unchanged is not None:
        cause_ids = dict(
            Alert.objects.filter(
                status__in=Alert.ACTIVE_STATUSES,
                subject_type__in=(SubjectType.KPI, SubjectType.INITIATIVE, SubjectType.MILESTONE),
            )
            .order_by()
            .values_list("dedup_key", "id")
        )
        unchanged.load(
            keys=[
                *((SubjectType.OBJECTIVE, i) for i in sorted(affected)),
                *((SubjectType.TEAM, t) for t in sorted(team_affected)),
                *((SubjectType.THEME, t) for t in sorted(theme_affected)),
                *((SubjectType.STRATEGY, s) for s in sorted(strategy_ids)),
            ]
        )
    outcomes: list[Outcome] = []
    parent_of = {o["id"]: o["parent_id"] for o in objectives}
    for oid in _bottom_up(affected, parent_of):
        o = by_id[oid]
        route = actors.route(o["owner_id"], o["parent__owner_id"], team_id=o["team_id"])
        subject = Subject(
            subject_type=SubjectType.OBJECTIVE,
            subject_id=oid,
            label="objective",
            owner_id=o["owner_id"],
            actor_id=route.actor_id,
            team_id=o["team_id"],
            routed=route.via,
        )
        try:
            parts = _children_from(
                (
                    (SubjectType.KPI, "KPI", "name", kpis_of[oid]),
                    (SubjectType.INITIATIVE, "initiative", "title", initiatives_of[oid]),
                    (SubjectType.OBJECTIVE, "objective", "title", children_of[oid]),
                ),
                run,
                latest,
                parent_starts_on=o["period__start_date"],
            )
            inputs = inputs_fingerprint(
                today,
                row_parts(o),
                canonical(parts),
                # The parts' own rows: a KPI's kind decides the early warning.
                [row_parts(r) for r in (*kpis_of[oid], *initiatives_of[oid], *children_of[oid])],
                # Each cause with the alert that stands for it: a fresh alert for the same
                # condition (after a person's resolve) must be linked to the root again.
                sorted(
                    (c.dedup_key, c.severity, cause_ids.get(c.dedup_key))
                    for c in causes_of.get(oid, [])
                ),
                route,
            )
            if unchanged is not None and unchanged.settled((SubjectType.OBJECTIVE, oid), inputs):
                continue
            if o["status"] == Objective.Status.DRAFT:
                result = Result(status=NO_DATA, reason="Draft: not scored until it is active.")
            else:
                result = rollup_score(
                    children=parts, thresholds=thresholds, closed=CLOSED.get(o["status"])
                )
            kpi_statuses = [
                (k["kind"], k["id"], p.status) for k, p in zip(kpis_of[oid], parts, strict=False)
            ]
            outcome = Outcome(
                subject=subject,
                result=result,
                weight=float(o["weight"]),
                alerts=objective_alerts(
                    subject=subject,
                    kpi_statuses=kpi_statuses,
                    is_open=o["status"] == Objective.Status.ACTIVE,
                )
                + objective_root_alert(
                    subject=subject,
                    status=result.status,
                    score=result.score,
                    causes=causes_of.get(oid, []),
                    is_open=o["status"] == Objective.Status.ACTIVE,
                ),
                scopes={(SubjectType.OBJECTIVE, oid): OBJECTIVE_KINDS},
                parent=(SubjectType.OBJECTIVE, o["parent_id"]) if o["parent_id"] else None,
                inputs=inputs,
            )
        except Exception as exc:
            outcome = unavailable_outcome(subject=subject, exc=exc)
        run[outcome.key] = outcome
        outcomes.append(outcome)

    # Teams: own objectives plus child teams, each child team weighing its scored weight, so
    # a team's score equals the weighted mean over every objective of its subtree.
    objectives_of_team: dict[int, list[Row]] = defaultdict(list)
    for o in team_objectives:
        objectives_of_team[o["team_id"]].append(o)
    child_teams: dict[int, list[int]] = defaultdict(list)
    for t in teams.values():
        if t["parent_id"] is not None:
            child_teams[t["parent_id"]].append(t["id"])
    team_parent = {t: teams[t]["parent_id"] for t in teams}
    for tid in _bottom_up(team_affected, team_parent):
        subject = Subject(
            subject_type=SubjectType.TEAM,
            subject_id=tid,
            label="team",
            owner_id=None,
            actor_id=None,  # a team raises no alert of its own but "score unavailable"
            team_id=tid,
        )
        try:
            parts = _children_from(
                [(SubjectType.OBJECTIVE, "objective", "title", objectives_of_team[tid])],
                run,
                latest,
            )
            for child in child_teams[tid]:
                part = _child_from((SubjectType.TEAM, child), "team", 0.0, run, latest)
                weight = _scored_weight((SubjectType.TEAM, child), run, latest)
                if weight > 0:
                    parts.append(Child(**{**part.__dict__, "weight": weight}))
            inputs = inputs_fingerprint(today, tid, canonical(parts))
            if unchanged is not None and unchanged.settled((SubjectType.TEAM, tid), inputs):
                continue
            result = rollup_score(
                children=parts, thresholds=thresholds, empty_reason="No active objective with data."
            )
            result.components["scored_weight"] = sum(p.weight for p in parts if p.score is not None)
            outcome = Outcome(
                subject=subject,
                result=result,
                scopes={(SubjectType.TEAM, tid): ROLLUP_KINDS},
                parent=(SubjectType.TEAM, teams[tid]["parent_id"])
                if teams[tid]["parent_id"]
                else None,
                inputs=inputs,
            )
        except Exception as exc:
            subject = dataclasses.replace(subject, actor_id=actors.actor(team_id=tid))
            outcome = unavailable_outcome(subject=subject, exc=exc)
        run[outcome.key] = outcome
        outcomes.append(outcome)

    roots_of_theme: dict[int, list[Row]] = defaultdict(list)
    for o in theme_roots:
        roots_of_theme[o["theme_id"]].append(o)
    themes_of: dict[int, list[Row]] = defaultdict(list)
    for t in themes:
        themes_of[t["strategy_id"]].append(t)
    strategy_meta = {
        t["strategy_id"]: (t["strategy__name"], t["strategy__owner_id"]) for t in themes
    }
    for t in themes:
        if t["id"] not in theme_affected:
            continue
        subject = Subject(
            subject_type=SubjectType.THEME,
            subject_id=t["id"],
            label="theme",
            owner_id=t["strategy__owner_id"],
            actor_id=t["strategy__owner_id"],  # an inactive owner was cleared: nobody
            team_id=None,
        )
        try:
            parts = _children_from(
                [(SubjectType.OBJECTIVE, "objective", "title", roots_of_theme[t["id"]])],
                run,
                latest,
            )
            inputs = inputs_fingerprint(today, row_parts(t), canonical(parts))
            if unchanged is not None and unchanged.settled((SubjectType.THEME, t["id"]), inputs):
                continue
            result = rollup_score(
                children=parts, thresholds=thresholds, empty_reason="No active objective with data."
            )
            outcome = Outcome(
                subject=subject,
                result=result,
                weight=float(t["weight"]),
                scopes={(SubjectType.THEME, t["id"]): ROLLUP_KINDS},
                parent=(SubjectType.STRATEGY, t["strategy_id"]),
                inputs=inputs,
            )
        except Exception as exc:
            outcome = unavailable_outcome(subject=subject, exc=exc)
        run[outcome.key] = outcome
        outcomes.append(outcome)

    for sid in sorted(strategy_ids):
        if sid not in strategy_meta:
            continue
        _name, owner = strategy_meta[sid]
        subject = Subject(
            subject_type=SubjectType.STRATEGY,
            subject_id=sid,
            label="strategy",
            owner_id=owner,
            actor_id=owner,
            team_id=None,
        )
        try:
            parts = _children_from(
                [(SubjectType.THEME, "theme", "name", themes_of[sid])], run, latest
            )
            inputs = inputs_fingerprint(today, sid, owner, canonical(parts))
            if unchanged is not None and unchanged.settled((SubjectType.STRATEGY, sid), inputs):
                continue
            result = rollup_score(
                children=parts,
                thresholds=thresholds,
                empty_reason="No theme with data yet.",
            )
            if result.score is not None:
                result.reason_prefix(f"Execution-health index {result.score:.0f}/100. ")
            outcome = Outcome(
                subject=subject,
                result=result,
                scopes={(SubjectType.STRATEGY, sid): ROLLUP_KINDS},
                inputs=inputs,
            )
        except Exception as exc:
            outcome = unavailable_outcome(subject=subject, exc=exc)
        run[outcome.key] = outcome
        outcomes.append(outcome)
    return outcomes


def _scored_weight(key: Key, run: dict[Key, Outcome], latest: LatestCache) -> float:
    outcome = run.get(key)
    if outcome is not None:
        return float(outcome.result.components.get("scored_weight", 0.0) or 0.0)
    return latest.scored_weight(key)
