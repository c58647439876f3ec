"""Writes of the metrics app. Every change that affects a score marks its subject dirty here."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from metrics.models import KPI, DirtySubject, SubjectType, TargetRevision

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


def subjects_mark_dirty(*, subjects: Iterable[tuple[str, int]]) -> None:
    """Record in the database, inside the caller's transaction, that these scores are stale.

    A mark survives a lost Celery message or a Redis outage: the periodic sweep of the gap
    engine picks up whatever is still marked.
    """
    now = timezone.now()
    rows = [
        DirtySubject(subject_type=subject_type, subject_id=subject_id, marked_at=now)
        for subject_type, subject_id in dict.fromkeys(subjects)
    ]
    if rows:
        DirtySubject.objects.bulk_create(
            rows,
            update_conflicts=True,
            unique_fields=["subject_type", "subject_id"],
            update_fields=["marked_at"],
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
