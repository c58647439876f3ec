"""What a meeting records: the agenda items discussed and the decisions."""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

from django.core.exceptions import ValidationError
from django.db import transaction

from reviews.models import Decision, Meeting
from reviews.selectors import agenda_keys, kpi_states
from strategy.access import (
    Access,
)

if TYPE_CHECKING:
    pass


# The key of a change in ``reviews.diff``: "<kind>:<subject type>:<id>".
AGENDA_KEY = re.compile(r"[a-z_]{1,40}:[a-z_]{1,40}:[0-9A-Za-z_-]{1,40}")


def meeting_mark_discussed(
    *, meeting: Meeting, key: str, discussed: bool, access: Access
) -> list[str]:
    """Mark one agenda item (a diff change's key, ``<kind>:<subject type>:<id>``) discussed or
    not; returns the keys now discussed. The row is locked so two participants marking at once
    both count. ``ValidationError`` on ``key`` for anything that is not the key of an agenda
    item ``access`` may see (``reviews.selectors.agenda_keys``); the same message whether a
    hidden item exists or not."""
    if not AGENDA_KEY.fullmatch(key) or key not in agenda_keys(meeting=meeting, access=access):
        raise ValidationError({"key": ValidationError("Not an item of this agenda.", "invalid")})
    with transaction.atomic():
        locked = Meeting.objects.select_for_update().get(pk=meeting.pk)
        keys = [k for k in locked.discussed if k != key]
        if discussed:
            keys.append(key)
        locked.discussed = keys
        locked.save(update_fields=["discussed", "updated_at"])
    meeting.discussed = keys
    return keys


def decision_record(
    *,
    meeting: Meeting,
    text: str,
    decided_by,
    recorded_by,
    kpi_ids: Iterable[int] = (),
    objective_ids: Iterable[int] = (),
    initiative_ids: Iterable[int] = (),
) -> Decision:
    """Record a decision with what it concerns and, for each concerned KPI, its latest value,
    status and score now (the evidence its movement is later compared with)."""
    from initiatives.models import Initiative
    from metrics.models import KPI
    from strategy.models import Objective

    kpi_ids, objective_ids, initiative_ids = (
        sorted(set(map(int, kpi_ids))),
        sorted(set(map(int, objective_ids))),
        sorted(set(map(int, initiative_ids))),
    )
    subjects: list[dict[str, Any]] = []
    for model, kind, ids in (
        (KPI, "kpi", kpi_ids),
        (Objective, "objective", objective_ids),
        (Initiative, "initiative", initiative_ids),
    ):
        if ids:
            subjects.extend(
                {"type": kind, "id": pk, "team": team_id}
                for pk, team_id in model.objects.filter(id__in_ids=ids).values_list("id", "team_id")
            )
    decision = Decision(
        meeting=meeting,
        text=text,
        decided_by=decided_by,
        recorded_by=recorded_by,
        subjects=subjects,
        kpis_then=kpi_states(kpi_ids=kpi_ids) if kpi_ids else {},
    )
    decision.full_clean()
    decision.save()
    return decision
