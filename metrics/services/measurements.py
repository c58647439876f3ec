"""One measurement of a KPI: recording or correcting it, with the plausibility check."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date
from functools import partial
from typing import TYPE_CHECKING

from django.core.exceptions import ValidationError
from django.db import connection, transaction
from django.utils import timezone

from execsupport.validation import (
    NOTE_MAX,
    text_validators,
    validate_date,
    validate_fields,
    validate_not_future,
    validate_value,
)
from metrics.models import KPI, Measurement, MeasurementCorrection, SubjectType
from metrics.services.dirty import subjects_mark_dirty
from metrics.work import work_measurement_notify

if TYPE_CHECKING:
    from metrics.scoring.quality import ImplausibleValue


FUTURE_MEASUREMENT = "A measurement cannot be dated in the future."
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
