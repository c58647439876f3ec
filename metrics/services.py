"""Writes of the metrics app. Every change that affects a score marks its subject dirty here."""

from __future__ import annotations

import math
from collections.abc import Iterable
from datetime import date

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from metrics.models import (
    KPI,
    VALUE_LIMIT,
    Alert,
    DirtySubject,
    Measurement,
    MeasurementCorrection,
    SubjectType,
    TargetRevision,
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
    """
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


def _recompute_enqueue(*, subjects: list[tuple[str, int]], marked_at) -> None:
    from metrics.tasks import enqueue_safely, gaps_recompute_subjects

    enqueue_safely(
        gaps_recompute_subjects,
        subjects=[list(s) for s in subjects],
        marked_at=marked_at.isoformat(),
    )


@transaction.atomic
def kpi_save(*, kpi: KPI, changed_by, reason: str = "", previous_plan: dict | None = None) -> KPI:
    """Validate and save a KPI; a change of its plan is recorded with who, when and why.

    ``previous_plan`` is ``kpi_plan()`` taken before the caller changed the instance (``None``
    for a new KPI). A changed plan without a reason is refused.
    """
    kpi.full_clean()
    new_plan = kpi_plan(kpi=kpi)
    changed = previous_plan is not None and previous_plan != new_plan
    if changed and not reason.strip():
        raise ValidationError({"reason": "Say why the baseline, target or range changed."})
    kpi.save()
    if changed:
        TargetRevision.objects.create(
            kpi=kpi,
            changed_by=changed_by,
            reason=reason.strip(),
            old_plan=previous_plan,
            new_plan=new_plan,
        )
    subjects_mark_dirty(subjects=[(SubjectType.KPI, kpi.pk)])
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
) -> tuple[Measurement, bool]:
    """Record one value of a KPI for a date; returns ``(measurement, created)``.

    A second value for the same KPI and date replaces the first and the replaced value is kept
    as a ``MeasurementCorrection``. Re-sending the same value changes nothing.
    """
    if not math.isfinite(value) or abs(value) >= VALUE_LIMIT:
        raise ValidationError({"value": f"Enter a finite number below {VALUE_LIMIT:g}."})
    if as_of > timezone.localdate():
        raise ValidationError({"as_of": "A measurement cannot be dated in the future."})
    existing = Measurement.objects.select_for_update().filter(kpi=kpi, as_of=as_of).first()
    if existing is not None:
        if existing.value == value and existing.note == note:
            return existing, False
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
        return existing, False
    measurement = Measurement(
        kpi=kpi, as_of=as_of, value=value, source=source, note=note, entered_by=entered_by
    )
    measurement.full_clean(validate_unique=False)
    measurement.save()
    subjects_mark_dirty(subjects=[(SubjectType.KPI, kpi.pk)])
    return measurement, True


def alert_acknowledge(*, alert: Alert, by) -> bool:
    """Open → acknowledged. A guarded update: ``False`` if someone else changed it first."""
    now = timezone.now()
    done = (
        Alert.objects.filter(pk=alert.pk, status=Alert.Status.OPEN).update(
            status=Alert.Status.ACKNOWLEDGED, acknowledged_at=now, acknowledged_by=by
        )
        == 1
    )
    if done:
        alert.status, alert.acknowledged_at, alert.acknowledged_by = (
            Alert.Status.ACKNOWLEDGED,
            now,
            by,
        )
    return done


def alert_resolve(*, alert: Alert, by) -> bool:
    """Open or acknowledged → resolved by a person. If the condition still holds, the gap
    engine opens a fresh alert at its next run."""
    now = timezone.now()
    done = (
        Alert.objects.filter(pk=alert.pk, status__in=Alert.ACTIVE_STATUSES).update(
            status=Alert.Status.RESOLVED, resolved_at=now, resolved_by=by
        )
        == 1
    )
    if done:
        alert.status, alert.resolved_at, alert.resolved_by = Alert.Status.RESOLVED, now, by
    return done
