"""Bulk ingestion of measurements (API, spreadsheets): row checks, locking and the upsert."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date

import orjson
from django.core.exceptions import ValidationError
from django.db import connection, transaction
from django.db.models import F, Window
from django.db.models.functions import RowNumber
from django.utils import timezone

from execsupport.validation import (
    NOTE_MAX,
    rule_error,
    text_validators,
    validate_date,
    validate_not_future,
    validate_value,
)
from metrics.models import KPI, Measurement, MeasurementCorrection, SubjectType
from metrics.services.dirty import subjects_mark_dirty
from metrics.services.measurements import measurements_lock
from metrics.work import work_measurements_notify

INGEST_FIELDS = frozenset({"kpi", "as_of", "value", "note"})
_KEY_RE = re.compile(r"[-a-zA-Z0-9_]{1,80}")
_DATE_RE = re.compile(r"\d{4}-\d{2}-\d{2}")


class BatchRejected(Exception):
    """A batch with bad rows: nothing was written. ``errors`` lists every problem found."""

    def __init__(self, errors: list[dict]):
        super().__init__(f"{len(errors)} error(s)")
        self.errors = errors


@dataclass
class IngestResult:
    """What ``measurements_ingest`` did: rows received, created, updated and unchanged, the KPIs
    touched (keys) and the implausible rows."""

    received: int
    created: int
    updated: int
    unchanged: int
    kpis: list[str]
    # rows recorded with a value far outside their KPI's recent robust range (accepted and
    # flagged): index, kpi, as_of, value and the ``ImplausibleValue`` fields
    implausible: list[dict] = field(default_factory=list)
    # each row's (index, "created" / "updated" / "unchanged"), in the batch's order
    actions: list[tuple[int, str]] = field(default_factory=list)


def _row_error(errors: list[dict], index: int, field: str, code: str, message: str) -> None:
    errors.append({"index": index, "field": field, "code": code, "message": message})


def measurement_rows_check(rows: list, *, today: date) -> tuple[list[tuple], list[dict]]:
    """The flat validator of the bulk ingestion: every row (a dict of ``kpi``, ``as_of``,
    ``value``, ``note``) checked, every problem of every field reported with the row's index
    (``{"index", "field", "code", "message"}``); the good rows as ``(index, key, as_of, value,
    note)``. No query (KPI keys are resolved by ``measurements_ingest``)."""
    errors: list[dict] = []
    clean: list[tuple] = []
    for index, row in enumerate(rows):
        if not isinstance(row, dict):
            _row_error(errors, index, "", "invalid", "Each row must be an object.")
            continue
        bad = False
        for name in row.keys() - INGEST_FIELDS:
            _row_error(
                errors,
                index,
                str(name)[:80],
                "unknown_field",
                "Unknown field; a row has kpi, as_of, value and optionally note.",
            )
            bad = True
        key = row.get("kpi")
        if key is None:
            _row_error(errors, index, "kpi", "required", "The KPI key is required.")
            bad = True
        elif not isinstance(key, str) or not _KEY_RE.fullmatch(key):
            _row_error(errors, index, "kpi", "invalid", "Enter a KPI key (letters, digits, - _).")
            bad = True
        raw_date = row.get("as_of")
        as_of = None
        if raw_date is None:
            _row_error(errors, index, "as_of", "required", "The date is required.")
        elif not isinstance(raw_date, str) or not _DATE_RE.fullmatch(raw_date):
            _row_error(errors, index, "as_of", "invalid", "Enter a date as YYYY-MM-DD.")
        else:
            try:
                as_of = date.fromisoformat(raw_date)
            except ValueError:
                _row_error(errors, index, "as_of", "invalid", f"{raw_date} is not a real date.")
            else:
                try:
                    validate_not_future(as_of, today=today)
                    validate_date(as_of)
                except ValidationError as error:
                    _row_error(errors, index, "as_of", *rule_error(error))
                    as_of = None
        bad = bad or as_of is None
        value = row.get("value")
        if value is None:
            _row_error(errors, index, "value", "required", "The value is required.")
            bad = True
        elif isinstance(value, bool) or not isinstance(value, int | float):
            _row_error(errors, index, "value", "invalid", "The value must be a JSON number.")
            bad = True
        else:
            try:
                validate_value(value)
            except ValidationError as error:
                _row_error(errors, index, "value", *rule_error(error))
                bad = True
        note = row.get("note", "")
        if not isinstance(note, str):
            _row_error(errors, index, "note", "invalid", "The note must be a string.")
            bad = True
        else:
            try:
                for validator in text_validators(NOTE_MAX):
                    validator(note)
            except ValidationError as error:
                _row_error(errors, index, "note", *rule_error(error))
                bad = True
        if not bad and value is not None:  # (bad when it is None)
            clean.append((index, key, as_of, float(value), note.strip()))
    return clean, errors


_EXISTING_SQL = {
    "postgresql": """
        SELECT m.id, m.kpi_id, m.as_of, m.value, m.note FROM metrics_measurement m
        JOIN jsonb_to_recordset(%s::jsonb) AS r(k bigint, d date) ON m.kpi_id = r.k AND m.as_of = r.d
        FOR UPDATE OF m""",
    "sqlite": """
        SELECT m.id, m.kpi_id, m.as_of, m.value, m.note FROM metrics_measurement m
        JOIN json_each(%s) AS j ON m.kpi_id = json_extract(j.value, '$.k')
         AND m.as_of = json_extract(j.value, '$.d')""",
}
_UPSERT_SQL = {
    "postgresql": """
        INSERT INTO metrics_measurement
            (kpi_id, as_of, value, note, source, entered_by_id, created_at, updated_at)
        SELECT r.k, r.d, r.v, r.n, %s, %s, %s, %s
          FROM jsonb_to_recordset(%s::jsonb) AS r(k bigint, d date, v double precision, n text)
        ON CONFLICT (kpi_id, as_of) DO UPDATE SET
            value = EXCLUDED.value, note = EXCLUDED.note, source = EXCLUDED.source,
            entered_by_id = EXCLUDED.entered_by_id, updated_at = EXCLUDED.updated_at
        WHERE metrics_measurement.value IS DISTINCT FROM EXCLUDED.value
           OR metrics_measurement.note IS DISTINCT FROM EXCLUDED.note""",
    "sqlite": """
        INSERT INTO metrics_measurement
            (kpi_id, as_of, value, note, source, entered_by_id, created_at, updated_at)
        SELECT json_extract(j.value, '$.k'), json_extract(j.value, '$.d'),
               json_extract(j.value, '$.v'), json_extract(j.value, '$.n'), %s, %s, %s, %s
          FROM json_each(%s) AS j WHERE true
        ON CONFLICT (kpi_id, as_of) DO UPDATE SET
            value = excluded.value, note = excluded.note, source = excluded.source,
            entered_by_id = excluded.entered_by_id, updated_at = excluded.updated_at
        WHERE metrics_measurement.value IS NOT excluded.value
           OR metrics_measurement.note IS NOT excluded.note""",
}


def measurements_ingest(
    *,
    rows: list,
    access,
    entered_by,
    source: str = Measurement.Source.API,
    max_rows: int = 10_000,
    today: date | None = None,
) -> IngestResult:
    """Record a batch of measurements by KPI key: all or nothing, idempotent.

    Every row is checked (a flat validator, not a serializer per row) and every bad row is
    reported in ``BatchRejected.errors``; KPI keys are resolved in one query; the write is one
    ``INSERT ... ON CONFLICT DO UPDATE`` of the new and changed rows only (re-sending a batch
    writes nothing); a changed value is kept as a ``MeasurementCorrection``; the gap engine is
    told once per KPI. ``access`` (``strategy.access.Access``) decides which KPIs the caller
    may see and record; an invisible KPI is reported as unknown, never as forbidden.
    """
    if not isinstance(rows, list):
        raise BatchRejected(
            [{"field": "measurements", "code": "invalid", "message": "Send a list of rows."}]
        )
    if len(rows) > max_rows:
        raise BatchRejected(
            [
                {
                    "field": "measurements",
                    "code": "too_many_rows",
                    "message": f"{len(rows)} rows: at most {max_rows} per request; split it.",
                }
            ]
        )
    today = today or timezone.localdate()
    clean, errors = measurement_rows_check(rows, today=today)

    keys = {row[1] for row in clean}
    kpis = {
        key: KPI(id=kpi_id, key=key, team_id=team_id, owner_id=owner_id, unit=unit)
        for kpi_id, key, team_id, owner_id, unit in access.scope(KPI.objects.filter(key__in=keys))
        .order_by()
        .values_list("id", "key", "team_id", "owner_id", "unit")
    }
    allowed = {key: access.can_record_measurement(kpi) for key, kpi in kpis.items()}
    seen: dict[tuple[int, date], int] = {}
    payload: list[dict] = []
    for index, key, as_of, value, note in clean:
        kpi = kpis.get(key)
        if kpi is None:
            _row_error(errors, index, "kpi", "unknown", f"Unknown KPI key '{key}'.")
            continue
        if not allowed[key]:
            _row_error(
                errors,
                index,
                "kpi",
                "permission_denied",
                f"You may not record measurements for KPI '{key}'.",
            )
            continue
        first = seen.setdefault((kpi.id, as_of), index)
        if first != index:
            _row_error(
                errors,
                index,
                "as_of",
                "duplicate",
                f"Row {first} already gives KPI '{key}' a value for {as_of.isoformat()}.",
            )
            continue
        payload.append({"k": kpi.id, "d": as_of.isoformat(), "v": value, "n": note, "i": index})
    if errors:
        errors.sort(key=lambda e: (e["index"], e["field"]))
        raise BatchRejected(errors)

    vendor = connection.vendor if connection.vendor in _UPSERT_SQL else "sqlite"
    now = timezone.now()
    with transaction.atomic():
        # Without it, two identical batches sent together both read "nothing yet" and both
        # reported every row as created (issue #12).
        measurements_lock(kpi_ids=(row["k"] for row in payload))
        existing: dict[tuple[int, str], tuple[int, float, str]] = {}
        if payload:
            with connection.cursor() as cursor:
                cursor.execute(
                    _EXISTING_SQL[vendor],
                    [orjson.dumps([{"k": r["k"], "d": r["d"]} for r in payload]).decode()],
                )
                for pk, kpi_id, as_of, value, note in cursor.fetchall():
                    day = as_of if isinstance(as_of, str) else as_of.isoformat()
                    existing[(kpi_id, day)] = (pk, value, note)
        writes: list[dict] = []
        corrections: list[MeasurementCorrection] = []
        created = updated = 0
        actions: list[tuple[int, str]] = []
        for row in payload:
            old = existing.get((row["k"], row["d"]))
            if old is None:
                created += 1
                actions.append((row["i"], "created"))
            elif old[1] == row["v"] and old[2] == row["n"]:
                actions.append((row["i"], "unchanged"))
                continue
            else:
                updated += 1
                actions.append((row["i"], "updated"))
                if old[1] != row["v"]:
                    corrections.append(
                        MeasurementCorrection(
                            measurement_id=old[0],
                            old_value=old[1],
                            new_value=row["v"],
                            source=source,
                            changed_by=entered_by,
                            changed_at=now,
                        )
                    )
            writes.append(row)
        if writes:
            stamp = connection.ops.adapt_datetimefield_value(now)
            with connection.cursor() as cursor:
                cursor.execute(
                    _UPSERT_SQL[vendor],
                    [
                        source,
                        getattr(entered_by, "pk", None),
                        stamp,
                        stamp,
                        orjson.dumps(
                            [{"k": r["k"], "d": r["d"], "v": r["v"], "n": r["n"]} for r in writes]
                        ).decode(),
                    ],
                )
            if corrections:
                MeasurementCorrection.objects.bulk_create(corrections, batch_size=2000)
            touched = dict.fromkeys(row["k"] for row in writes)
            subjects_mark_dirty(subjects=[(SubjectType.KPI, kpi_id) for kpi_id in touched])
        new_values = [
            row
            for row in writes
            if (old := existing.get((row["k"], row["d"]))) is None or old[1] != row["v"]
        ]
        implausible = _ingest_implausible(rows=new_values, kpis=kpis)
        # Their owners are told once for the whole batch (metrics.work), never once per row.
        counts: dict[int, tuple[int, str]] = {}
        for row in new_values:
            count, last = counts.get(row["k"], (0, row["d"]))
            counts[row["k"]] = (count + 1, max(last, row["d"]))
        work_measurements_notify(
            kpis={kpi.id: kpi for kpi in kpis.values()}, counts=counts, by=entered_by
        )
    key_of = {kpi.id: key for key, kpi in kpis.items()}
    return IngestResult(
        received=len(rows),
        created=created,
        updated=updated,
        unchanged=len(payload) - created - updated,
        kpis=sorted({key_of[row["k"]] for row in writes}),
        implausible=implausible,
        actions=actions,
    )


# Each KPI's values of the batch's days, and the window of values before its first day (its
# latest quality_window - 1 of them), never its whole history. PostgreSQL: a LATERAL join
# that reads the window from the (kpi, as_of) index.
_WINDOW_SQL = """
    SELECT r.k, m.as_of, m.value FROM jsonb_to_recordset(%s::jsonb) AS r(k bigint, f date, l date)
    CROSS JOIN LATERAL (
        (SELECT as_of, value FROM metrics_measurement
          WHERE kpi_id = r.k AND as_of < r.f ORDER BY as_of DESC LIMIT %s)
        UNION ALL
        (SELECT as_of, value FROM metrics_measurement
          WHERE kpi_id = r.k AND as_of >= r.f AND as_of <= r.l)
    ) AS m"""


def _ingest_windows(by_kpi: dict[int, list[dict]], before: int) -> list[tuple]:
    """(KPI id, as-of, value) of the values ``_ingest_implausible`` compares: per KPI the
    ``before`` values before its first new day and every value from there to its last."""
    spans = [
        {"k": kpi_id, "f": min(r["d"] for r in rows), "l": max(r["d"] for r in rows)}
        for kpi_id, rows in by_kpi.items()
    ]
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute(_WINDOW_SQL, [orjson.dumps(spans).decode(), before])
            return cursor.fetchall()
    # Elsewhere: the same with a window function (from the batch's first day on, for all).
    first, last = min(s["f"] for s in spans), max(s["l"] for s in spans)
    ids = list(by_kpi)
    earlier = (
        Measurement.objects.filter(kpi_id__in=ids, as_of__lt=first)
        .annotate(back=Window(RowNumber(), partition_by=[F("kpi_id")], order_by=F("as_of").desc()))
        .filter(back__lte=before)
        .values_list("kpi_id", "as_of", "value")
    )
    since = Measurement.objects.filter(
        kpi_id__in=ids, as_of__gte=first, as_of__lte=last
    ).values_list("kpi_id", "as_of", "value")
    return [*earlier, *since]


def _ingest_implausible(*, rows: list[dict], kpis: dict[str, KPI]) -> list[dict]:
    """The rows of a written batch whose new value is an implausible jump of its KPI (the
    data-quality outlier test, ``series_implausible``), in row order. One query
    (two on SQLite): ``_ingest_windows``."""
    if not rows:
        return []
    from metrics.engine.common import engine_thresholds
    from metrics.scoring.quality import series_implausible

    thresholds = engine_thresholds()
    by_kpi: dict[int, list[dict]] = {}
    for row in rows:
        by_kpi.setdefault(row["k"], []).append(row)
    series: dict[int, list[tuple[date, float]]] = {kpi_id: [] for kpi_id in by_kpi}
    for kpi_id, as_of, value in sorted(_ingest_windows(by_kpi, thresholds.quality_window - 1)):
        series[kpi_id].append(
            (as_of if isinstance(as_of, date) else date.fromisoformat(as_of), value)
        )
    found = series_implausible(
        series=series,
        candidates={
            kpi_id: [date.fromisoformat(row["d"]) for row in kpi_rows]
            for kpi_id, kpi_rows in by_kpi.items()
        },
        thresholds=thresholds,
    )
    kpi_by_id = {kpi.id: kpi for kpi in kpis.values()}
    flagged: list[dict] = []
    for kpi_id, kpi_rows in by_kpi.items():
        kpi = kpi_by_id[kpi_id]
        for row in kpi_rows:
            check = found.get((kpi_id, date.fromisoformat(row["d"])))
            if check is not None:
                flagged.append({"index": row["i"], "kpi": kpi.key, **check.as_dict(kpi.unit)})
    flagged.sort(key=lambda flag: flag["index"])
    return flagged
