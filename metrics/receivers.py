"""``metrics`` listens to what the lower core apps announce (``strategy.signals``,
``initiatives.signals``): stale scores are marked dirty for the gap engine, and changes to
people's work are told to the people concerned. Connected in ``MetricsConfig.ready``; each
receiver runs synchronously in the sender's transaction, as a direct call did before.
"""

from __future__ import annotations

from django.db.models import Q
from django.dispatch import receiver

from initiatives.models import Initiative
from initiatives.signals import checkin_recorded, milestone_changed, spend_recorded
from metrics.models import KPI
from metrics.services import subjects_mark_dirty
from metrics.work import (
    work_checkin_notify,
    work_edit_notify,
    work_milestone_notify,
    work_spend_notify,
)
from strategy.signals import status_changed, subjects_changed, work_edited
from strategy.subjects import SubjectType


@receiver(subjects_changed, dispatch_uid="metrics_subjects_mark_dirty")
def subjects_changed_mark(sender, *, subjects, **kwargs) -> None:
    """Mark the announced subjects dirty (``subjects_mark_dirty``; batched inside
    ``subjects_dirty_batch``)."""
    subjects_mark_dirty(subjects=subjects)


@receiver(status_changed, dispatch_uid="metrics_status_dependents_mark")
def status_changed_mark(sender, *, objective_ids, initiative_ids, **kwargs) -> None:
    """Mark dirty what a status change affects besides the subject itself: the KPIs of the
    objectives and initiatives (their alerts stop or start), and the initiatives of the
    objectives. The engine's next run then resolves or opens their alerts."""
    objective_ids, initiative_ids = list(objective_ids), list(initiative_ids)
    if objective_ids:
        initiative_ids += list(
            Initiative.objects.filter(objective_id__in=objective_ids).values_list("id", flat=True)
        )
    kpis = KPI.objects.filter(
        Q(objective_id__in=objective_ids) | Q(initiative_id__in=initiative_ids)
    ).values_list("id", flat=True)
    subjects_mark_dirty(
        subjects=[(SubjectType.INITIATIVE, i) for i in initiative_ids]
        + [(SubjectType.KPI, k) for k in kpis]
    )


@receiver(work_edited, dispatch_uid="metrics_work_edit_notify")
def work_edited_notify(sender, *, instance, by, created, changed, previous, **kwargs) -> None:
    """Tell an edited objective's or initiative's people (``work_edit_notify``)."""
    work_edit_notify(instance=instance, by=by, created=created, changed=changed, previous=previous)


@receiver(checkin_recorded, dispatch_uid="metrics_work_checkin_notify")
def checkin_recorded_notify(sender, *, checkin, **kwargs) -> None:
    """Tell an initiative's owner and contributors of a check-in (``work_checkin_notify``)."""
    work_checkin_notify(checkin=checkin)


@receiver(milestone_changed, dispatch_uid="metrics_work_milestone_notify")
def milestone_changed_notify(
    sender, *, milestone, by, created=False, deleted=False, previous=None, **kwargs
) -> None:
    """Tell an initiative's people of a milestone's change (``work_milestone_notify``)."""
    work_milestone_notify(
        milestone=milestone, by=by, created=created, deleted=deleted, previous=previous
    )


@receiver(spend_recorded, dispatch_uid="metrics_work_spend_notify")
def spend_recorded_notify(sender, *, entry, by, previous_amount=None, **kwargs) -> None:
    """Tell an initiative's people of spend recorded or corrected (``work_spend_notify``)."""
    work_spend_notify(entry=entry, by=by, previous_amount=previous_amount)
