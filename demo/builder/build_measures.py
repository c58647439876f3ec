"""Measures: KPIs, trajectory points, target revisions and the measurement series."""

from __future__ import annotations

import datetime as dt
import io
from collections.abc import Iterator
from decimal import Decimal

import numpy as np
from django.db import connection
from django.utils import timezone

from demo.builder import kpis as kpi_catalog
from demo.builder.base import BuilderBase, OrgCopy, add_months
from demo.builder.series import SeriesPlan, series_dates, series_values
from metrics.models import KPI, Measurement, TargetRevision, TrajectoryPoint
from metrics.services import kpi_plan

MEASUREMENT_BATCH = 5000
COPY_CHUNK = 50_000
NULL = "\\N"  # COPY text format
COPY_COLUMNS = (
    "kpi_id",
    "as_of",
    "value",
    "source",
    "note",
    "entered_by_id",
    "created_at",
    "updated_at",
)


class MeasureBuilder(BuilderBase):
    """Builds the demo's KPIs, their trajectories, plan revisions and measurement series."""

    # --- measures -------------------------------------------------------------------------------
    def build_kpis(self) -> None:
        """Insert every copy's KPIs of ``kpi_catalog.KPIS`` (``self.kpis``) with their trajectory
        points and plan revisions, and queue each KPI's measurement series (13 to 18 months up to
        yesterday; none for the ``no_data`` scenario, shorter for ``stale``) in ``series_jobs`` for
        ``insert_measurements``."""
        rows, trajectory, revisions = [], [], []
        first_of_month = self.today.replace(day=1)
        for copy in self.copies:
            rng = copy.rng
            for index, spec in enumerate(kpi_catalog.KPIS):
                if spec.subject.startswith("o_"):
                    objective, initiative = copy.objectives[spec.subject], None
                    team = objective.team
                else:
                    objective, initiative = None, copy.initiatives[spec.subject]
                    team = initiative.team
                team_ref = next(r for r, t in copy.teams.items() if t is team)
                baseline_date = add_months(first_of_month, -spec.baseline_months)
                target_date = add_months(baseline_date, spec.horizon_months)
                low, high = spec.range or (None, None)
                kpi = KPI(
                    key=spec.key + copy.slug_suffix,
                    name=spec.name + copy.suffix,
                    description=spec.description,
                    unit=spec.unit,
                    kind=spec.kind,
                    direction=spec.direction,
                    baseline_value=float(spec.baseline),
                    baseline_date=baseline_date,
                    target_value=float(spec.target),
                    target_date=target_date,
                    range_low=low,
                    range_high=high,
                    cadence_days=spec.cadence,
                    owner=self.person(copy, spec.owner, team_ref),
                    team=team,
                    objective=objective,
                    initiative=initiative,
                    weight=Decimal(spec.weight),
                    data_source=spec.source,
                    is_active=spec.active,
                )
                rows.append(kpi)
                plan = SeriesPlan(
                    direction=spec.direction,
                    baseline=kpi.baseline_value,
                    target=kpi.target_value,
                    baseline_date=baseline_date,
                    target_date=target_date,
                    scenario=spec.scenario,
                    noise=spec.noise,
                    decimals=spec.decimals,
                    range_low=low,
                    range_high=high,
                    lower=spec.bounds[0],
                    upper=spec.bounds[1],
                    weekly=spec.weekly,
                    trajectory=spec.trajectory,
                    cumulative=spec.cumulative,
                )
                trajectory += self.trajectory(kpi, spec, plan)
                if spec.scenario != "no_data":
                    # 13 to 18 months of history
                    first = self.today - dt.timedelta(days=rng.randint(395, 548))
                    if spec.cumulative:
                        first = max(first, baseline_date)  # a running total starts at its baseline
                    last = self.today - dt.timedelta(days=1)
                    if not spec.active:
                        last = min(last, target_date)
                    if spec.scenario == "stale":
                        last -= dt.timedelta(days=4 * spec.cadence + rng.randint(10, 25))
                    self.series_jobs.append((kpi, plan, first, last, copy.index, index))
                if spec.revision:
                    revisions.append((copy, spec, kpi))
        self.kpis = self.insert(KPI, rows)
        self.insert(TrajectoryPoint, trajectory)
        self.insert(TargetRevision, [self.revision(*r) for r in revisions])

    def trajectory(self, kpi: KPI, spec, plan: SeriesPlan) -> list[TrajectoryPoint]:
        """The KPI's trajectory points (not saved): the spec's shares of the baseline-to-target
        distance, spread evenly between the two dates."""
        n = len(spec.trajectory)
        span_days = (plan.target_date - plan.baseline_date).days
        return [
            TrajectoryPoint(
                kpi=kpi,
                date=plan.baseline_date + dt.timedelta(days=round(span_days * (i + 1) / (n + 1))),
                value=round(plan.baseline + (plan.target - plan.baseline) * share, spec.decimals),
            )
            for i, share in enumerate(spec.trajectory)
        ]

    def revision(self, copy: OrgCopy, spec, kpi: KPI) -> TargetRevision:
        """The KPI's plan revision of the spec (not saved): the plan before (the spec's old baseline
        or target) and now, dated on the 10th of the month ``months_ago``, never before the baseline
        date."""
        rev = spec.revision
        new_plan = kpi_plan(kpi=kpi)
        old_plan = dict(new_plan)
        if rev.old_baseline is not None:
            old_plan["baseline_value"] = rev.old_baseline
        if rev.old_target is not None:
            old_plan["target_value"] = rev.old_target
        changed = add_months(self.today.replace(day=1), -rev.months_ago) + dt.timedelta(days=9)
        return TargetRevision(
            kpi=kpi,
            changed_by=self.person(copy, rev.by) or kpi.owner,
            changed_at=self.at(max(changed, kpi.baseline_date), copy.rng),
            reason=rev.reason,
            old_plan=old_plan,
            new_plan=new_plan,
        )

    def measurement_count(self) -> int:
        """How many measurements ``insert_measurements`` will insert (for the progress bar's
        total)."""
        return sum(
            len(series_dates(cadence=kpi.cadence_days, first=first, last=last))
            for kpi, _, first, last, _, _ in self.series_jobs
        )

    def measurement_series(self) -> Iterator[tuple[int, list, list[float], str, int | None]]:
        """Per KPI: its id, as-of dates, values, source and who entered them."""
        source = {1: Measurement.Source.API, 7: Measurement.Source.IMPORT}
        for kpi, plan, first, last, copy_index, index in self.series_jobs:
            rng = np.random.default_rng([self.seed, copy_index, index])
            dates = series_dates(cadence=kpi.cadence_days, first=first, last=last)
            values = series_values(rng=rng, dates=dates, plan=plan)
            src = source.get(kpi.cadence_days, Measurement.Source.MANUAL)
            entered_by_id = kpi.owner_id if src == Measurement.Source.MANUAL else None
            yield kpi.pk, dates.astype(object).tolist(), values.tolist(), src, entered_by_id

    def insert_measurements(self) -> None:
        """Insert the queued measurement series: COPY on PostgreSQL when the columns still match,
        else ``bulk_create``."""
        with connection.cursor() as cursor:
            can_copy = connection.vendor == "postgresql" and hasattr(cursor, "copy_expert")
        if can_copy and _copy_columns_match():
            self.copy_measurements()
        else:
            self.bulk_create_measurements()

    def bulk_create_measurements(self) -> None:
        """Insert the queued measurement series with ``bulk_create``, ``MEASUREMENT_BATCH`` rows at
        a time."""
        batch: list[Measurement] = []
        for kpi_id, dates, values, src, entered_by_id in self.measurement_series():
            batch += [
                Measurement(
                    kpi_id=kpi_id, as_of=day, value=value, source=src, entered_by_id=entered_by_id
                )
                for day, value in zip(dates, values, strict=True)
            ]
            if len(batch) >= MEASUREMENT_BATCH:
                self.insert(Measurement, batch, MEASUREMENT_BATCH)
                batch = []
        self.insert(Measurement, batch, MEASUREMENT_BATCH)

    def copy_measurements(self) -> None:
        """PostgreSQL: stream the rows with COPY, about ten times faster than INSERTs.

        Same rows as ``bulk_create_measurements`` (a test compares both), sent in chunks so
        memory stays bounded; the database checks every constraint as for an INSERT.
        """
        now = timezone.now().isoformat()
        table = connection.ops.quote_name(Measurement._meta.db_table)
        sql = f"COPY {table} ({', '.join(COPY_COLUMNS)}) FROM STDIN"
        buffer, rows = io.StringIO(), 0
        with connection.cursor() as cursor:
            for kpi_id, dates, values, src, entered_by_id in self.measurement_series():
                entered_by = NULL if entered_by_id is None else entered_by_id
                tail = f"\t{src}\t\t{entered_by}\t{now}\t{now}\n"
                buffer.writelines(
                    f"{kpi_id}\t{day.isoformat()}\t{value!r}{tail}"
                    for day, value in zip(dates, values, strict=True)
                )
                rows += len(dates)
                if rows >= COPY_CHUNK:
                    self._send(cursor, sql, buffer, rows)
                    buffer, rows = io.StringIO(), 0
            self._send(cursor, sql, buffer, rows)

    def _send(self, cursor, sql: str, buffer: io.StringIO, rows: int) -> None:
        if rows:
            buffer.seek(0)
            cursor.copy_expert(sql, buffer)
            self.bar.update(rows)


def _copy_columns_match() -> bool:
    """COPY names its columns; a field added to Measurement later falls back to bulk_create."""
    columns = {f.column for f in Measurement._meta.concrete_fields if not f.primary_key}
    return columns == set(COPY_COLUMNS)
