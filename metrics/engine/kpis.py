"""KPI scores of a chunk: three queries (KPIs, trajectory points, recent measurements)."""

from __future__ import annotations

from collections import defaultdict
from datetime import date

from django.db import connection
from django.db.models import F, Window
from django.db.models.functions import RowNumber
from django.utils import timezone

from initiatives.models import Initiative
from metrics.alerts import KPI_KINDS, Subject, kpi_alerts
from metrics.engine.common import Actors, Outcome, owners_active, unavailable_outcome
from metrics.engine.unchanged import (
    Unchanged,
    inputs_fingerprint,
    points_bytes,
    row_parts,
)
from metrics.models import KPI, Measurement, SubjectType, TrajectoryPoint
from metrics.scoring import KpiPlan, Result, Thresholds, kpi_score
from metrics.scoring.common import NO_DATA
from metrics.scoring.forecast import forecast_read_points
from strategy.models import Objective

KPI_FIELDS = (
    "id",
    "name",
    "unit",
    "kind",
    "direction",
    "baseline_value",
    "baseline_date",
    "target_value",
    "target_date",
    "range_low",
    "range_high",
    "cadence_days",
    "owner_id",
    "team_id",
    "objective_id",
    "initiative_id",
    "weight",
    "is_active",
    "objective__owner_id",
    "initiative__owner_id",
    "objective__status",
    "initiative__status",
    "initiative__objective__status",
    "created_at",
    *(f"{p}owner__is_active" for p in ("", "objective__", "initiative__")),
)
KPI_OWNERS = [(f"{p}owner_id", f"{p}owner__is_active") for p in ("", "objective__", "initiative__")]


def measurements_recent(
    *, kpi_ids: list[int], points: int | dict[int, int], until: date | None = None
) -> dict[int, list[tuple[date, float]]]:
    """The ``points`` most recent measurements of each KPI (dated ``until`` or earlier, when
    given), oldest first, in one query. ``points``: one count for all, or a count per KPI id
    (the engine reads as many as each KPI's forecast window needs).

    On PostgreSQL a LATERAL join reads each KPI's newest rows straight from the
    (kpi, as_of) unique index, instead of ranking every measurement of the chunk; elsewhere a
    window function does the same job.
    """
    limits = points if isinstance(points, dict) else dict.fromkeys(kpi_ids, points)
    kpi_ids = list(kpi_ids)
    if connection.vendor == "postgresql":
        table = connection.ops.quote_name(Measurement._meta.db_table)
        sql = (
            "SELECT m.kpi_id, m.as_of, m.value FROM unnest(%s::bigint[], %s::int[]) AS k(id, n) "  # noqa: S608 - our own quoted table name; values are parameters
            f"CROSS JOIN LATERAL (SELECT kpi_id, as_of, value FROM {table} "
            f"WHERE kpi_id = k.id{' AND as_of <= %s' if until else ''} "
            "ORDER BY as_of DESC LIMIT k.n) AS m"
        )
        with connection.cursor() as cursor:
            cursor.execute(
                sql, [kpi_ids, [limits[i] for i in kpi_ids], *([until] if until else [])]
            )
            rows = cursor.fetchall()
    else:
        measurements = Measurement.objects.filter(kpi_id__in=kpi_ids)
        if until:
            measurements = measurements.filter(as_of__lte=until)
        rows = (
            measurements.annotate(
                rank=Window(RowNumber(), partition_by=[F("kpi_id")], order_by=F("as_of").desc())
            )
            .filter(rank__lte=max(limits.values(), default=0))
            .order_by()
            .values_list("kpi_id", "as_of", "value", "rank")
        )
        rows = [(k, d, v) for k, d, v, rank in rows if rank <= limits[k]]
    series: dict[int, list[tuple[date, float]]] = defaultdict(list)
    for kpi_id, as_of, value in rows:
        series[kpi_id].append((as_of, value))
    for values in series.values():
        values.sort()
    return series


def kpi_work_closed(row: dict) -> bool:
    """Whether the objective or initiative the KPI measures (or the initiative's objective) is
    closed: cancelled, achieved, missed or done. Its KPIs are still scored, but alert no one."""
    return (
        row["objective__status"] in Objective.CLOSED_STATUSES
        or row["initiative__status"] in Initiative.CLOSED_STATUSES
        or row["initiative__objective__status"] in Objective.CLOSED_STATUSES
    )


def kpi_subject(row: dict, actors: Actors) -> Subject:
    """The engine's subject of a KPI row, routed to its owner, else the owner of its objective,
    then of its initiative, else its team's leader or the office."""
    route = actors.route(
        row["owner_id"],
        row["objective__owner_id"],
        row["initiative__owner_id"],
        team_id=row["team_id"],
    )
    return Subject(
        subject_type=SubjectType.KPI,
        subject_id=row["id"],
        label="KPI",
        owner_id=row["owner_id"],
        actor_id=route.actor_id,
        team_id=row["team_id"],
        routed=route.via,
    )


def kpis_compute(
    *,
    kpi_ids: list[int],
    today: date,
    thresholds: Thresholds,
    actors: Actors | None = None,
    history: bool = False,
    unchanged: Unchanged | None = None,
) -> list[Outcome]:
    """The outcomes of the KPIs ``kpi_ids`` (one each; a missing id has none), each with the
    digest of its inputs (``Outcome.inputs``).

    ``history``: score as the KPIs stood at the end of ``today``, a past day (measurements
    dated after it left out; the plan is today's). ``unchanged``: skip the KPIs whose inputs
    match their latest score's (``metrics.engine.unchanged``): they get no outcome and are
    listed in ``unchanged.skipped``."""
    actors = actors or Actors()
    rows = list(KPI.objects.filter(id__in=kpi_ids).order_by().values(*KPI_FIELDS))
    if not rows:
        return []
    owners_active(rows, KPI_OWNERS)
    ids = [r["id"] for r in rows]
    trajectory: dict[int, list[tuple[date, float]]] = defaultdict(list)
    for kpi_id, day, value in (
        TrajectoryPoint.objects.filter(kpi_id__in=ids)
        .order_by()
        .values_list("kpi_id", "date", "value")
    ):
        trajectory[kpi_id].append((day, value))
    # As many measurements as each KPI's forecast window spans at its cadence (a daily KPI
    # needs 91 for 90 days), never fewer than GAP_HISTORY_POINTS (data-quality checks).
    series = measurements_recent(
        kpi_ids=ids,
        points={
            r["id"]: forecast_read_points(cadence_days=r["cadence_days"], thresholds=thresholds)
            for r in rows
        },
        until=today if history else None,
    )
    for row in rows:
        actors.want(
            row["team_id"],
            row["owner_id"],
            row["objective__owner_id"],
            row["initiative__owner_id"],
        )
    if unchanged is not None:
        unchanged.load(keys=[(SubjectType.KPI, i) for i in ids])
    outcomes = []
    for row in rows:
        subject = kpi_subject(row, actors)
        measurements = series.get(row["id"], [])
        points = tuple(sorted(trajectory.get(row["id"], ())))
        inputs = inputs_fingerprint(
            today,
            history,
            row_parts(row),
            points_bytes(points),
            points_bytes(measurements),
            subject.actor_id,
            subject.routed,
        )
        if unchanged is not None and unchanged.settled(subject_key(subject), inputs):
            continue
        parent = (
            (SubjectType.OBJECTIVE, row["objective_id"])
            if row["objective_id"]
            else (SubjectType.INITIATIVE, row["initiative_id"])
        )
        info = {"kind": row["kind"], "name": row["name"], "active": row["is_active"]}
        weight = float(row["weight"])
        if not row["is_active"]:
            outcomes.append(
                Outcome(
                    subject=subject,
                    result=Result(status=NO_DATA, reason="Inactive: no longer tracked or scored."),
                    weight=weight,
                    scopes={subject_key(subject): KPI_KINDS},
                    parent=parent,
                    info=info,
                    inputs=inputs,
                )
            )
            continue
        try:
            plan = KpiPlan(
                name=row["name"],
                direction=row["direction"],
                baseline_value=row["baseline_value"],
                baseline_date=row["baseline_date"],
                target_value=row["target_value"],
                target_date=row["target_date"],
                cadence_days=row["cadence_days"],
                range_low=row["range_low"],
                range_high=row["range_high"],
                trajectory=points,
                unit=row["unit"],
                created_on=timezone.localtime(row["created_at"]).date(),
            )
            result = kpi_score(
                plan=plan,
                measurements=measurements,
                today=today,
                thresholds=thresholds,
            )
            outcomes.append(
                Outcome(
                    subject=subject,
                    result=result,
                    weight=weight,
                    # Work that is closed raises no KPI alert; the open ones resolve.
                    alerts=[]
                    if kpi_work_closed(row)
                    else kpi_alerts(
                        subject=subject,
                        result=result,
                        cadence_days=row["cadence_days"],
                        thresholds=thresholds,
                        kpi_kind=row["kind"],
                    ),
                    scopes={subject_key(subject): KPI_KINDS},
                    parent=parent,
                    info=info,
                    inputs=inputs,
                )
            )
        except Exception as exc:  # one broken KPI must not stop its chunk
            outcome = unavailable_outcome(subject=subject, exc=exc)
            outcome.parent, outcome.weight, outcome.info = parent, weight, info
            outcomes.append(outcome)
    return outcomes


def subject_key(subject: Subject) -> tuple[str, int]:
    """(subject_type, subject_id) of the subject."""
    return (subject.subject_type, subject.subject_id)
