"""Writes of the metrics app. Every change that affects a score marks its subject dirty here."""

from __future__ import annotations

import re
import secrets
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field
from datetime import date, timedelta
from functools import partial
from typing import TYPE_CHECKING

import orjson
from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import connection, transaction
from django.db.models import F, Window
from django.db.models.functions import RowNumber
from django.utils import timezone

from execsupport.validation import (
    NOTE_MAX,
    REASON_MAX,
    rule_error,
    text_validators,
    validate_date,
    validate_fields,
    validate_not_future,
    validate_value,
)
from metrics.models import (
    KPI,
    Alert,
    AlertEvent,
    DirtySubject,
    Measurement,
    MeasurementCorrection,
    SubjectType,
    TargetRevision,
    Webhook,
    WebhookDelivery,
)
from metrics.work import (
    work_edit_notify,
    work_measurement_notify,
    work_measurements_notify,
)

if TYPE_CHECKING:
    from metrics.scoring.quality import ImplausibleValue

FUTURE_MEASUREMENT = "A measurement cannot be dated in the future."
# The subjects collected by an open ``subjects_dirty_batch()`` (None: no batch open).
_DIRTY_BATCH: ContextVar[list | None] = ContextVar("subjects_dirty_batch", default=None)
IMPLAUSIBLE_CODE = "implausible"


class ImplausibleMeasurement(ValidationError):
    """The value is far outside the KPI's recent robust range and was not confirmed: nothing
    was written. ``check``: the ``ImplausibleValue`` (why)."""

    def __init__(self, check, *, unit: str = ""):
        super().__init__({"value": [ValidationError(check.reason(unit), code=IMPLAUSIBLE_CODE)]})
        self.check = check


def measurement_plausibility(*, kpi: KPI, as_of: date, value: float) -> ImplausibleValue | None:
    """``ImplausibleValue`` when ``value`` on ``as_of`` would be an implausible jump of this
    KPI by the data-quality outlier test (``metrics.scoring.quality.kpi_value_implausible``,
    with the GAP_OUTLIER_Z and GAP_HISTORY_POINTS settings), else None. One query: the
    latest values before that date."""
    from metrics.engine.common import engine_thresholds
    from metrics.scoring.quality import kpi_value_implausible

    thresholds = engine_thresholds()
    before = list(
        Measurement.objects.filter(kpi_id=kpi.pk, as_of__lt=as_of)
        .order_by("-as_of")
        .values_list("as_of", "value")[: thresholds.quality_window - 1]
    )
    return kpi_value_implausible(
        measurements=before, as_of=as_of, value=value, thresholds=thresholds
    )


PLAN_FIELDS = (
    "baseline_value",
    "baseline_date",
    "target_value",
    "target_date",
    "range_low",
    "range_high",
)


def kpi_plan(*, kpi: KPI) -> dict:
    """The KPI's plan fields as JSON-safe values (dates as ISO strings)."""
    plan = {}
    for name in PLAN_FIELDS:
        value = getattr(kpi, name)
        plan[name] = value.isoformat() if isinstance(value, date) else value
    return plan


def subjects_mark_dirty(*, subjects: Iterable[tuple[str, int]], enqueue: bool = True) -> None:
    """Record in the database, inside the caller's transaction, that these scores are stale.

    A mark survives a lost Celery message or a Redis outage: the periodic sweep of the gap
    engine picks up whatever is still marked.

    After the commit, one recompute task is enqueued for the whole list (a batch of
    measurements recomputes each KPI and each ancestor once). Enqueueing never raises into
    the caller: with the broker down it fails fast, is logged, and the mark stays for the sweep.
    The task clears each mark only if it was not marked again meanwhile (``marked_at``).
    ``enqueue=False`` (bulk loaders that run ``recompute_gaps`` themselves) only marks: the
    sweep recomputes the marked subjects later.

    Inside ``subjects_dirty_batch()`` the subjects are only collected, and marked once when
    the batch ends (an import that calls many services marks each subject once).
    """
    batch = _DIRTY_BATCH.get()
    if batch is not None:
        batch.extend(subjects)
        return
    now = timezone.now()
    keys = list(dict.fromkeys((str(t), int(i)) for t, i in subjects))
    rows = [
        DirtySubject(subject_type=subject_type, subject_id=subject_id, marked_at=now)
        for subject_type, subject_id in keys
    ]
    if rows:
        DirtySubject.objects.bulk_create(
            rows,
            update_conflicts=True,
            unique_fields=["subject_type", "subject_id"],
            update_fields=["marked_at"],
        )
        if enqueue:
            transaction.on_commit(
                lambda: _recompute_enqueue(subjects=keys, marked_at=now), robust=True
            )


@contextmanager
def subjects_dirty_batch() -> Iterator[None]:
    """Collect the ``subjects_mark_dirty`` calls made inside, and mark them all at once (one
    upsert, one recompute task after commit) when the block ends without an exception. Use it
    inside the caller's transaction."""
    collected: list = []  # subjects_mark_dirty extends it meanwhile
    token = _DIRTY_BATCH.set(collected)
    try:
        yield
    finally:
        _DIRTY_BATCH.reset(token)
    subjects_mark_dirty(subjects=collected)


def _recompute_enqueue(*, subjects: list[tuple[str, int]], marked_at) -> None:
    from metrics.tasks import enqueue_safely, gaps_recompute_subjects

    enqueue_safely(
        gaps_recompute_subjects,
        subjects=[list(s) for s in subjects],
        marked_at=marked_at.isoformat(),
    )


@transaction.atomic
def kpi_save(
    *,
    kpi: KPI,
    changed_by,
    reason: str = "",
    previous_plan: dict | None = None,
    version: int | None = None,
) -> KPI:
    """Validate and save a KPI; a change of its plan is recorded with who, when and why.

    ``previous_plan`` is ``kpi_plan()`` taken before the caller changed the instance (``None``
    for a new KPI). A changed plan without a reason is refused. An update writes only the
    fields changed since the KPI was read; ``version``: the version the person read (a form's
    hidden field, the API's If-Match): if someone else saved it since,
    ``strategy.models.VersionConflict`` is raised and nothing is written.
    """
    from strategy.access import assignee_changed, assignees_check

    if changed_by is not None:
        kpi._history_user = changed_by  # who, in the history, also outside a request
    kpi.full_clean()
    if kpi.owner_id is not None and assignee_changed(kpi, "owner", "team"):
        assignees_check(field="owner", people=[kpi.owner], subject=kpi, role="own it")
    new_plan = kpi_plan(kpi=kpi)
    changed = previous_plan is not None and previous_plan != new_plan
    if changed and not reason.strip():
        raise ValidationError({"reason": "Say why the baseline, target or range changed."})
    creating = kpi._state.adding
    fields = kpi.changed_fields()
    previous = dict(getattr(kpi, "_loaded_values", {}))
    kpi.save(expected_version=version)
    if changed:
        TargetRevision.objects.create(
            kpi=kpi,
            changed_by=changed_by,
            reason=reason.strip(),
            old_plan=previous_plan,
            new_plan=new_plan,
        )
    subjects_mark_dirty(subjects=[(SubjectType.KPI, kpi.pk)])
    work_edit_notify(
        instance=kpi,
        by=changed_by,
        created=creating,
        changed=fields,
        previous=previous,
        revised=previous_plan if changed else None,
        reason=reason.strip(),
    )
    return kpi


@transaction.atomic
def measurement_record(
    *,
    kpi: KPI,
    as_of: date,
    value: float,
    entered_by,
    source: str = Measurement.Source.MANUAL,
    note: str = "",
    confirmed: bool = True,
) -> tuple[Measurement, bool]:
    """Record one value of a KPI for a date; returns ``(measurement, created)``.

    A second value for the same KPI and date replaces the first and the replaced value is kept
    as a ``MeasurementCorrection``. Re-sending the same value changes nothing.

    A value far outside the KPI's recent robust range (``measurement_plausibility``) is
    flagged: ``measurement.implausible`` is its ``ImplausibleValue`` (None when plausible),
    and the KPI's data quality and reason show it once scored. ``confirmed=False`` (the page
    form before its confirmation) raises ``ImplausibleMeasurement`` for it instead, writing
    nothing.
    """
    today = timezone.localdate()
    validate_fields(
        {
            "value": (value, [validate_value]),
            "as_of": (
                as_of,
                [
                    partial(validate_not_future, today=today, message=FUTURE_MEASUREMENT),
                    validate_date,
                ],
            ),
            "note": (note, text_validators(NOTE_MAX)),
        }
    )
    # Two first values for one date sent together: the second waits and replaces (or keeps).
    measurements_lock(kpi_ids=[kpi.pk])
    existing = Measurement.objects.select_for_update().filter(kpi=kpi, as_of=as_of).first()
    check = measurement_plausibility(kpi=kpi, as_of=as_of, value=value)
    if check is not None and not confirmed and (existing is None or existing.value != value):
        raise ImplausibleMeasurement(check, unit=kpi.unit)
    if existing is not None:
        existing.implausible = check
        if existing.value == value and existing.note == note:
            return existing, False
        replaced = existing.value if existing.value != value else None
        if existing.value != value:
            MeasurementCorrection.objects.create(
                measurement=existing,
                old_value=existing.value,
                new_value=value,
                source=source,
                changed_by=entered_by,
            )
        existing.value = value
        existing.note = note
        existing.source = source
        existing.entered_by = entered_by
        existing.save(update_fields=["value", "note", "source", "entered_by", "updated_at"])
        subjects_mark_dirty(subjects=[(SubjectType.KPI, kpi.pk)])
        if replaced is not None:
            work_measurement_notify(kpi=kpi, by=entered_by, as_of=as_of, value=value, old=replaced)
        return existing, False
    measurement = Measurement(
        kpi=kpi, as_of=as_of, value=value, source=source, note=note, entered_by=entered_by
    )
    measurement.full_clean(validate_unique=False)
    measurement.save()
    measurement.implausible = check
    subjects_mark_dirty(subjects=[(SubjectType.KPI, kpi.pk)])
    work_measurement_notify(kpi=kpi, by=entered_by, as_of=as_of, value=value, old=None)
    return measurement, True


# --- alerts: acknowledge, snooze, resolve (people) ------------------------------------------
# Each is a guarded, set-based update (only alerts still in a state that allows the step
# change) plus one ``AlertEvent`` per alert changed, in one transaction. The bulk forms take
# ids and return the ids changed (the inbox's bulk actions); the single forms wrap them.
# Who may do it is the caller's check (``Access.can_handle_alert``).


def _alert_note(note: str | None) -> str:
    """The note, stripped; a ``ValidationError`` on ``note`` when too long or holding NUL."""
    note = (note or "").strip()
    errors = []
    for validator in text_validators(REASON_MAX):
        try:
            validator(note)
        except ValidationError as error:
            errors.extend(error.error_list)
    if errors:
        raise ValidationError({"note": errors})
    return note


def _alerts_step(
    *,
    alert_ids: Iterable[int],
    by,
    kind: str,
    allowed: Iterable[str],
    values: dict,
    note: str,
    until=None,
    now,
) -> list[int]:
    """Apply ``values`` to the alerts of ``alert_ids`` whose status is in ``allowed`` and log
    ``kind`` for each: returns the ids changed (others changed state meanwhile)."""
    ids = sorted({int(i) for i in alert_ids})
    if not ids:
        return []
    with transaction.atomic():
        rows = list(
            Alert.objects.select_for_update()
            .filter(id__in=ids, status__in=list(allowed))
            .order_by("id")
            .values_list("id", "severity")
        )
        if not rows:
            return []
        changed = [alert_id for alert_id, _severity in rows]
        Alert.objects.filter(id__in=changed).update(**values)
        AlertEvent.objects.bulk_create(
            [
                AlertEvent(
                    alert_id=alert_id,
                    kind=kind,
                    at=now,
                    by=by,
                    note=note,
                    severity=severity,
                    until=until,
                )
                for alert_id, severity in rows
            ]
        )
    return changed


def alerts_acknowledge(*, alert_ids: Iterable[int], by, note: str = "") -> list[int]:
    """Open → acknowledged, with who, when and why (``note``). Returns the ids changed: those
    still open. Raises ``ValidationError`` on ``note`` (too long, NUL)."""
    note, now = _alert_note(note), timezone.now()
    return _alerts_step(
        alert_ids=alert_ids,
        by=by,
        kind=AlertEvent.Kind.ACKNOWLEDGED,
        allowed=[Alert.Status.OPEN],
        values={
            "status": Alert.Status.ACKNOWLEDGED,
            "acknowledged_at": now,
            "acknowledged_by": by,
            "acknowledge_note": note,
        },
        note=note,
        now=now,
    )


def alert_snooze_check(*, until, now) -> None:
    """``until`` must be an aware date-time after ``now`` and at most
    ``GAP_ALERT_SNOOZE_MAX_DAYS`` days ahead; a ``ValidationError`` on ``until`` otherwise."""
    if until is None:
        raise ValidationError({"until": ["Say until when it is snoozed."]})
    if timezone.is_naive(until):
        until = timezone.make_aware(until)
    if until <= now:
        raise ValidationError(
            {"until": [ValidationError("The snooze must end in the future.", code="past")]}
        )
    longest = timedelta(days=settings.GAP_ALERT_SNOOZE_MAX_DAYS)
    if until - now > longest:
        raise ValidationError(
            {
                "until": [
                    ValidationError(
                        f"An alert is snoozed for at most {settings.GAP_ALERT_SNOOZE_MAX_DAYS} "
                        "days; resolve it if it no longer needs attention.",
                        code="too_far",
                    )
                ]
            }
        )


def alerts_snooze(*, alert_ids: Iterable[int], by, until, note: str = "") -> list[int]:
    """Snooze active alerts until ``until`` (an aware date-time), with who, when and why: they
    notify nobody until then unless they worsen (their severity rises). Status is unchanged
    (open or acknowledged). Returns the ids changed (those still active). Raises
    ``ValidationError`` on ``until`` (past, too far) or ``note``."""
    note, now = _alert_note(note), timezone.now()
    if until is not None and timezone.is_naive(until):
        until = timezone.make_aware(until)
    alert_snooze_check(until=until, now=now)
    return _alerts_step(
        alert_ids=alert_ids,
        by=by,
        kind=AlertEvent.Kind.SNOOZED,
        allowed=Alert.ACTIVE_STATUSES,
        values={
            "snoozed_at": now,
            "snoozed_until": until,
            "snoozed_by": by,
            "snooze_note": note,
        },
        note=note,
        until=until,
        now=now,
    )


def alerts_resolve(*, alert_ids: Iterable[int], by, note: str = "") -> list[int]:
    """Open or acknowledged → resolved by a person (never reopened by the engine: if the
    condition still holds, it opens a fresh alert at its next run). Returns the ids changed."""
    note, now = _alert_note(note), timezone.now()
    return _alerts_step(
        alert_ids=alert_ids,
        by=by,
        kind=AlertEvent.Kind.RESOLVED,
        allowed=Alert.ACTIVE_STATUSES,
        values={
            "status": Alert.Status.RESOLVED,
            "resolved_at": now,
            "resolved_by": by,
            "clear_since": None,
        },
        note=note,
        now=now,
    )


def _refresh(alert: Alert, done: list[int]) -> bool:
    if done:
        alert.refresh_from_db()
    return bool(done)


def alert_acknowledge(*, alert: Alert, by, note: str = "") -> bool:
    """``alerts_acknowledge`` of one alert: ``False`` if it was not open any more (someone
    else changed it first); the instance is refreshed when it changed."""
    return _refresh(alert, alerts_acknowledge(alert_ids=[alert.pk], by=by, note=note))


def alert_snooze(*, alert: Alert, by, until, note: str = "") -> bool:
    """``alerts_snooze`` of one alert: ``False`` if it was resolved meanwhile."""
    return _refresh(alert, alerts_snooze(alert_ids=[alert.pk], by=by, until=until, note=note))


def alert_resolve(*, alert: Alert, by, note: str = "") -> bool:
    """``alerts_resolve`` of one alert: ``False`` if it was resolved already."""
    return _refresh(alert, alerts_resolve(alert_ids=[alert.pk], by=by, note=note))


# --- bulk ingestion ---------------------------------------------------------------------------
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


# Advisory locks of measurement writers, by KPI: (this namespace, the KPI id folded to 31 bits).
# A fold that collides only makes two writers wait for each other.
MEASUREMENT_LOCK_NAMESPACE = 0x4D45  # "ME"


def measurements_lock(*, kpi_ids: Iterable[int]) -> None:
    """Until the caller's transaction ends, be the only writer of these KPIs' measurements.

    Two batches for the same KPIs then run one after the other: the second reads what the
    first wrote, so each reports true counts (created / updated / unchanged) and a changed value
    keeps the value it really replaced as its correction. PostgreSQL: transaction-level
    advisory locks taken in id order (two batches cannot deadlock). SQLite: nothing to do, every
    write transaction is exclusive (``transaction_mode = IMMEDIATE``).
    """
    if connection.vendor != "postgresql":
        return
    keys = sorted({int(kpi_id) % 2**31 for kpi_id in kpi_ids})
    if not keys:
        return
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT count(pg_advisory_xact_lock(%s, k)) "
            "FROM (SELECT unnest(%s::int[]) AS k ORDER BY 1) AS keys",
            [MEASUREMENT_LOCK_NAMESPACE, keys],
        )


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


# --- webhooks ---------------------------------------------------------------------------------
@transaction.atomic
def webhook_save(*, webhook: Webhook, version: int | None = None, by=None) -> Webhook:
    """Create or update a webhook; ``version``: see ``kpi_save``. Its owner is required (whose
    eyes it sees through) and its team scope, when set, must be a team the owner may see.
    ``by`` (the person saving it, when not the admin): whom they may make its owner
    (``Access.may_make_webhook_owner``: a leader only themselves). ``ValidationError`` by field
    (its URL: ``execsupport.outbound``).

    On creation the signing secret is generated here (256 random bits) and left on the
    instance as ``new_secret`` for the one answer that shows it; it is never shown again."""
    from strategy.access import access_for

    created = webhook.pk is None
    if created:
        webhook.secret = webhook.new_secret = secrets.token_urlsafe(32)
    webhook.alert_kinds = sorted(set(webhook.alert_kinds or []))
    webhook.full_clean()
    if by is not None and not access_for(by).may_make_webhook_owner(webhook.owner_id):
        raise ValidationError(
            {"owner": "A team leader's webhook acts for the leader: choose yourself."}
        )
    webhook_scope_check(owner=webhook.owner, team_id=webhook.team_id)
    webhook.save(expected_version=version)
    return webhook


def webhook_scope_check(*, owner, team_id: int | None) -> None:
    """A webhook needs an owner, and its team scope (when set) must be a team the owner may
    see. ``ValidationError`` by field (``owner``, ``team``); also run by the admin's form."""
    from strategy.access import access_for

    if owner is None:
        raise ValidationError(
            {"owner": "Choose the person this webhook acts for: it receives what they may see."}
        )
    if team_id is not None and not access_for(owner).can_view_team(team_id):
        raise ValidationError(
            {"team": f"{owner} may not see this team: choose one of their teams."}
        )


@transaction.atomic
def webhook_delete(*, webhook: Webhook) -> None:
    """Delete a webhook and its delivery log."""
    webhook.delete()


def webhook_delivery_retry(*, delivery: WebhookDelivery) -> bool:
    """Send a failed delivery again: back to pending with a fresh count of attempts (guarded,
    so two clicks queue it once), then handed to ``metrics.tasks.webhook_deliver`` after
    commit, the path of every delivery (retries with backoff, the URL checked again, the
    payload re-scoped to what the owner may still see). ``False`` when it was not failed."""
    from metrics.tasks import enqueue_safely, webhook_deliver

    with transaction.atomic():
        done = (
            WebhookDelivery.objects.filter(
                pk=delivery.pk, status=WebhookDelivery.Status.FAILED
            ).update(status=WebhookDelivery.Status.PENDING, attempts=0, last_error="")
            == 1
        )
        if done:
            delivery.status = WebhookDelivery.Status.PENDING
            delivery.attempts, delivery.last_error = 0, ""
            transaction.on_commit(lambda: enqueue_safely(webhook_deliver, delivery_id=delivery.pk))
    return done


@transaction.atomic
def kpi_delete(*, kpi: KPI) -> None:
    """Delete a KPI with no history; measurements and revisions protect it (``ProtectedError``):
    deactivate it instead (``is_active = False``)."""
    kpi.delete()
