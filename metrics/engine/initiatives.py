"""Initiative scores of a chunk: initiatives with their stored spend and last check-in time
and their last check-in's status (one query), milestones (one), their KPIs (one) and the KPIs'
latest scores (one, unless computed in the same run)."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping
from datetime import date, datetime, time, timedelta
from typing import Any

from django.db.models import OuterRef, Subquery, Sum
from django.utils import timezone

from initiatives.models import CheckIn, Initiative, Milestone, SpendEntry
from metrics.alerts import (
    INITIATIVE_KINDS,
    MILESTONE_KINDS,
    Subject,
    initiative_alerts,
    milestone_alerts,
)
from metrics.engine.common import (
    Actors,
    Key,
    Outcome,
    child_values,
    latest_load,
    owners_active,
    stored_values,
    unavailable_outcome,
)
from metrics.engine.unchanged import Unchanged, canonical, inputs_fingerprint, row_parts
from metrics.models import KPI, SubjectType
from metrics.scoring import Child, InitiativeFacts, Result, Thresholds, initiative_score
from metrics.scoring.common import NO_DATA
from metrics.scoring.initiative import Milestone as MilestoneFacts

OPEN = (Initiative.Status.ACTIVE, Initiative.Status.ON_HOLD)


def _initiative_rows(ids: list[int], *, until: date | None = None) -> list[dict]:
    """The initiatives' rows; ``until``: as they stood at the end of that past day."""
    last = CheckIn.objects.filter(initiative=OuterRef("pk")).order_by("-created_at", "-id")
    extra = {}
    if until is not None:
        end = timezone.make_aware(datetime.combine(until + timedelta(days=1), time.min))
        last = last.filter(created_at__lt=end)
        spend = (
            SpendEntry.objects.filter(initiative=OuterRef("pk"), date__lte=until)
            .order_by()
            .values("initiative")
            .annotate(total=Sum("amount"))
            .values("total")
        )
        extra = {
            "progress_then": Subquery(last.values("progress")[:1]),
            "last_checkin_then": Subquery(last.values("created_at")[:1]),
            "spent_then": Subquery(spend),
        }
    rows = list(
        Initiative.objects.filter(id__in=ids)
        .order_by()
        .annotate(
            last_rag=Subquery(last.values("rag")[:1]),
            last_confidence=Subquery(last.values("confidence")[:1]),
            **extra,
        )
        .values(
            "id",
            "title",
            "status",
            "start_date",
            "due_date",
            "completed_on",
            "progress",
            "checkin_cadence_days",
            "budget_planned",
            "weight",
            "owner_id",
            "team_id",
            "objective_id",
            "objective__owner_id",
            "owner__is_active",
            "objective__owner__is_active",
            "spent",
            "last_checkin_at",
            "paused_days",
            "paused_since",
            "resumed_on",
            "last_rag",
            "last_confidence",
            *extra,
        )
    )
    if until is not None:
        for row in rows:
            row["progress"] = row.pop("progress_then") or 0
            row["last_checkin_at"] = row.pop("last_checkin_then")
            row["spent"] = row.pop("spent_then") or 0
            if row["completed_on"] is not None and row["completed_on"] > until:
                # Delivered later: still under way that day.
                row["completed_on"] = None
                if row["status"] == Initiative.Status.DONE:
                    row["status"] = Initiative.Status.ACTIVE
    return rows


def kpi_children(
    *, kpi_rows: list[Mapping[str, Any]], overrides: dict[Key, Outcome], latest: dict
) -> list[Child]:
    """The KPIs as rollup parts, from this run's outcomes or else their latest stored score."""
    children = []
    for row in kpi_rows:
        key = (SubjectType.KPI, row["id"])
        outcome = overrides.get(key)
        values = child_values(outcome) if outcome is not None else stored_values(latest.get(key))
        score, status, detail, progress, expected, detail_parts = values
        children.append(
            Child(
                key=f"kpi:{row['id']}",
                label="KPI",  # a reference is stored, never the name
                score=score,
                weight=float(row["weight"]),
                status=status,
                detail=detail,
                subject_type=SubjectType.KPI,
                subject_id=row["id"],
                progress=progress,
                expected_progress=expected,
                detail_parts=detail_parts,
            )
        )
    return children


def initiatives_compute(
    *,
    initiative_ids: list[int],
    today: date,
    thresholds: Thresholds,
    overrides: dict[Key, Outcome] | None = None,
    actors: Actors | None = None,
    history: bool = False,
    unchanged: Unchanged | None = None,
) -> list[Outcome]:
    """The outcomes of the initiatives ``initiative_ids`` (one each; a missing id has none),
    each with the digest of its inputs (``Outcome.inputs``).

    ``history``: score as the initiatives stood at the end of ``today``, a past day: their
    last check-in and spend up to it; milestones and deliveries completed after it not done
    yet (the plan, statuses other than done, and the KPIs' stored scores are today's).
    ``unchanged``: skip the initiatives whose inputs match their latest score's
    (``metrics.engine.unchanged``): they get no outcome and are listed in
    ``unchanged.skipped``."""
    overrides = overrides or {}
    actors = actors or Actors()
    rows = _initiative_rows(initiative_ids, until=today if history else None)
    if not rows:
        return []
    owners_active(
        rows,
        [("owner_id", "owner__is_active"), ("objective__owner_id", "objective__owner__is_active")],
    )
    ids = [r["id"] for r in rows]
    milestones: dict[int, list[MilestoneFacts]] = defaultdict(list)
    for m in Milestone.objects.filter(initiative_id__in=ids).order_by("due_date", "id"):
        completed_on = m.completed_on
        if history and completed_on is not None and completed_on > today:
            completed_on = None
        milestones[m.initiative_id].append(
            MilestoneFacts(
                id=m.id,
                title=m.title,
                due_date=m.due_date,
                completed_on=completed_on,
                weight=float(m.weight),
            )
        )
    kpis: dict[int, list[Mapping[str, Any]]] = defaultdict(list)  # values() rows
    for k in (
        KPI.objects.filter(initiative_id__in=ids, is_active=True)
        .order_by("id")
        .values("id", "name", "weight", "initiative_id")
    ):
        kpis[k["initiative_id"]].append(k)
    needed = [
        (SubjectType.KPI, k["id"])
        for ks in kpis.values()
        for k in ks
        if (SubjectType.KPI, k["id"]) not in overrides
    ]
    latest = latest_load(keys=needed)
    for row in rows:
        actors.want(row["team_id"], row["owner_id"], row["objective__owner_id"])
    if unchanged is not None:
        unchanged.load(
            keys=[(SubjectType.INITIATIVE, i) for i in ids],
            alert_keys={
                (SubjectType.INITIATIVE, i): tuple(
                    (SubjectType.MILESTONE, m.id) for m in milestones[i]
                )
                for i in ids
            },
        )

    outcomes = []
    for row in rows:
        route = actors.route(row["owner_id"], row["objective__owner_id"], team_id=row["team_id"])
        subject = Subject(
            subject_type=SubjectType.INITIATIVE,
            subject_id=row["id"],
            label="initiative",
            owner_id=row["owner_id"],
            actor_id=route.actor_id,
            team_id=row["team_id"],
            routed=route.via,
        )
        parent = (SubjectType.OBJECTIVE, row["objective_id"])
        weight = float(row["weight"])
        children = tuple(kpi_children(kpi_rows=kpis[row["id"]], overrides=overrides, latest=latest))
        inputs = inputs_fingerprint(
            today,
            history,
            row_parts(row),
            tuple(milestones[row["id"]]),
            canonical(children),
            subject.actor_id,
            subject.routed,
        )
        if unchanged is not None and unchanged.settled((SubjectType.INITIATIVE, row["id"]), inputs):
            continue
        scopes: dict[Key, frozenset[str]] = {(SubjectType.INITIATIVE, row["id"]): INITIATIVE_KINDS}
        scopes.update(
            {(SubjectType.MILESTONE, m.id): MILESTONE_KINDS for m in milestones[row["id"]]}
        )
        try:
            if row["status"] == Initiative.Status.PROPOSED:
                result = Result(status=NO_DATA, reason="Proposed: not started yet, so not scored.")
            else:
                checkin_at = row["last_checkin_at"]
                facts = InitiativeFacts(
                    title=row["title"],
                    status=row["status"],
                    start_date=row["start_date"],
                    due_date=row["due_date"],
                    completed_on=row["completed_on"],
                    reported_progress=row["progress"] / 100.0,
                    checkin_cadence_days=row["checkin_cadence_days"],
                    milestones=tuple(milestones[row["id"]]),
                    last_checkin_on=timezone.localtime(checkin_at).date() if checkin_at else None,
                    last_rag=row["last_rag"],
                    last_confidence=row["last_confidence"],
                    budget_planned=float(row["budget_planned"]),
                    spent=float(row["spent"] or 0),
                    kpis=children,
                    paused_days=row["paused_days"],
                    paused_since=row["paused_since"],
                    resumed_on=row["resumed_on"],
                )
                result = initiative_score(facts=facts, today=today, thresholds=thresholds)
            is_open = row["status"] in OPEN
            paused = row["status"] == Initiative.Status.ON_HOLD
            alerts = initiative_alerts(
                subject=subject,
                result=result,
                thresholds=thresholds,
                is_open=is_open,
                paused=paused,
            ) + milestone_alerts(
                initiative=subject,
                result=result,
                milestone_team_id=row["team_id"],
                is_open=is_open and not paused,
            )
            outcomes.append(
                Outcome(
                    subject=subject,
                    result=result,
                    weight=weight,
                    alerts=alerts,
                    scopes=scopes,
                    parent=parent,
                    info={"status": row["status"]},
                    inputs=inputs,
                )
            )
        except Exception as exc:  # one broken initiative must not stop its chunk
            outcome = unavailable_outcome(subject=subject, exc=exc)
            outcome.parent, outcome.weight = parent, weight
            outcomes.append(outcome)
    return outcomes
