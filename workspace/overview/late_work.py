"""The overview's late work: active initiatives whose check-ins are overdue and milestones past
their due date."""

from __future__ import annotations

from django.db.models import F

from initiatives.models import Initiative, Milestone
from metrics.checkins import checkin_silence_annotations
from workspace.overview.rows import (
    LIST_LIMIT,
    OWNER_NAME_FIELDS,
    OverdueMilestone,
    Overview,
    StaleInitiative,
)
from workspace.overview.scope import OverviewScope, initiatives_of


def late_work_read(scope: OverviewScope, data: Overview) -> None:
    """Fill ``data.stale`` (the longest overdue check-ins first) and ``data.overdue`` /
    ``data.overdue_more`` (milestones past due, the oldest first). Two queries."""
    today = scope.today
    # --- stale check-ins and overdue milestones ----------------------------------------------------
    scoped_initiatives = initiatives_of(scope, Initiative)
    open_initiatives = scoped_initiatives.filter(status=Initiative.Status.ACTIVE)
    # The one rule of staleness (scoring.initiative.checkin_silence) in SQL, on the stored last
    # check-in time, the longest overdue first. One query: cutting on bare rows first costs
    # more to build than the joins it saves.
    data.stale = [
        StaleInitiative(*row)
        for row in open_initiatives.annotate(**checkin_silence_annotations(today=today))
        .filter(checkin_stale=True)
        .order_by("-checkin_days_late", F("last_checkin_at").asc(nulls_first=True), "pk")
        .values_list(
            *("id", "title", "team__name", "owner_id", *OWNER_NAME_FIELDS),
            *("checkin_cadence_days", "last_checkin_at", "checkin_days", "checkin_days_late"),
        )[:LIST_LIMIT]
    ]

    overdue_ids = (
        Milestone.objects.filter(
            completed_on__isnull=True,
            due_date__lt=today,
            initiative__in=open_initiatives.values("pk"),
        )
        .order_by("due_date", "pk")
        .values("pk")[: LIST_LIMIT + 1]
    )
    overdue = [  # the initiative is joined on the few rows shown, not on every late one
        OverdueMilestone(*row)
        for row in Milestone.objects.filter(pk__in=overdue_ids)
        .order_by("due_date", "pk")
        .values_list("id", "title", "due_date", "initiative_id", "initiative__title")
    ]
    for milestone in overdue:
        milestone.days_overdue = (today - milestone.due_date).days
    data.overdue, data.overdue_more = overdue[:LIST_LIMIT], len(overdue) > LIST_LIMIT
