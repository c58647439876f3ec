"""Undo: the strategy office puts an earlier version's values back through the object's own save
service (``history_restore``)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.core.exceptions import PermissionDenied
from django.db import models, transaction
from django.http import Http404
from django.utils import formats, timezone

from activity.history.tracking import TrackedKind, tracked_fields, tracked_kind
from initiatives.models import Initiative, Milestone
from metrics.models import KPI, Webhook
from strategy.access import Access
from strategy.models import Objective, Period, Strategy, Team, Theme

if TYPE_CHECKING:
    from activity.history.tracking import TrackedModel


def _save(tracked: TrackedKind, instance: TrackedModel, *, by, version: int | None, reason: str):
    from initiatives.services import initiative_save, milestone_save
    from metrics.services import kpi_plan, kpi_save, webhook_save
    from strategy.services import (
        objective_save,
        period_save,
        strategy_save,
        team_save,
        theme_save,
    )

    # The instance is one of ``tracked.model``, the model of its kind.
    kind = tracked.kind
    if kind == "objective" and isinstance(instance, Objective):
        return objective_save(objective=instance, version=version, by=by)
    if kind == "initiative" and isinstance(instance, Initiative):
        return initiative_save(initiative=instance, version=version, by=by)
    if kind == "kpi" and isinstance(instance, KPI):
        stored = KPI.objects.get(pk=instance.pk)
        return kpi_save(
            kpi=instance,
            changed_by=by,
            reason=reason,
            previous_plan=kpi_plan(kpi=stored),
            version=version,
        )
    if kind == "membership":
        instance.full_clean()
        instance.save()
        return instance
    if kind == "strategy" and isinstance(instance, Strategy):
        return strategy_save(strategy=instance, version=version)
    if kind == "period" and isinstance(instance, Period):
        return period_save(period=instance, version=version)
    if kind == "theme" and isinstance(instance, Theme):
        return theme_save(theme=instance, version=version)
    if kind == "team" and isinstance(instance, Team):
        return team_save(team=instance, version=version)
    if kind == "milestone" and isinstance(instance, Milestone):
        return milestone_save(milestone=instance, version=version, by=by)
    if kind == "webhook" and isinstance(instance, Webhook):
        return webhook_save(webhook=instance, version=version)
    raise KeyError(kind)


@transaction.atomic
def history_restore(
    *, kind: str, pk: int, history_id: int, by, access: Access, version: int | None = None
) -> models.Model | None:
    """Put back the values of an earlier version of a definition (undo).

    Only the strategy office restores (``PermissionDenied``). The object must still exist
    (``Http404`` otherwise, or for a version of another object). The values go through the
    object's own save service: validated (``ValidationError`` by field, e.g. a parent that
    was deleted since), version-checked against ``version`` when given (``VersionConflict``),
    and recorded as a new version by ``by`` with the reason "Restored the version of …".
    Returns the saved object, or ``None`` when the earlier version has the same values as the
    current state (nothing is written, no version is recorded).
    """
    if not access.is_office:
        raise PermissionDenied("Only the strategy office restores an earlier version.")
    tracked = tracked_kind(kind)
    record = tracked.model.history.filter(id=pk, history_id=history_id).first()
    instance = tracked.model._default_manager.filter(pk=pk).first()
    if record is None or instance is None or record.history_type == "-":
        raise Http404("No such version.")
    editable = [f for f in tracked_fields(tracked.model) if f.editable]
    if all(getattr(instance, f.attname) == getattr(record, f.attname) for f in editable):
        return None
    for f in editable:
        setattr(instance, f.attname, getattr(record, f.attname))
    when = formats.date_format(timezone.localtime(record.history_date), "j M Y H:i")
    reason = f"Restored the version of {when}"
    # Read by django-simple-history when the save records the version.
    instance._history_user = by  # type: ignore[union-attr]  # set for simple_history, not a field
    instance._change_reason = reason  # type: ignore[union-attr]  # set for simple_history, not a field
    return _save(tracked, instance, by=by, version=version, reason=reason)
