"""Writes of the plan. Callers check permissions with ``strategy.access`` first."""

from __future__ import annotations

from django.db import transaction

from metrics.models import SubjectType
from metrics.services import subjects_mark_dirty
from strategy.models import Objective


@transaction.atomic
def objective_save(*, objective: Objective) -> Objective:
    """Create or update an objective (validated: no cycle, theme of the same strategy...)."""
    objective.full_clean()
    objective.save()
    subjects_mark_dirty(subjects=[(SubjectType.OBJECTIVE, objective.pk)])
    return objective
