"""Writes of a KPI's definition: its plan, saving (target revisions, assignees, history) and
deletion."""

from __future__ import annotations

from datetime import date

from django.core.exceptions import ValidationError
from django.db import transaction

from metrics.models import KPI, SubjectType, TargetRevision
from metrics.services.dirty import subjects_mark_dirty
from metrics.work import work_edit_notify

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
def kpi_delete(*, kpi: KPI) -> None:
    """Delete a KPI with no history; measurements and revisions protect it (``ProtectedError``):
    deactivate it instead (``is_active = False``)."""
    kpi.delete()
