"""The overview's "what changed since": the latest check-ins and the counts since the chosen day
(check-ins, alerts opened, objectives whose status changed)."""

from __future__ import annotations

from django.db.models import Count

from initiatives.models import CheckIn
from workspace.overview.rows import LIST_LIMIT, Overview, RecentCheckIn
from workspace.overview.scope import OverviewScope, initiatives_of


def changes_read(scope: OverviewScope, data: Overview) -> None:
    """Fill ``data.recent_checkins`` and ``data.since_counts`` (after the objectives and alerts
    were read: it counts ``data.changed`` and ``data.alert_counts``). Two queries."""
    # --- what changed since ----------------------------------------------------------------------
    checkins = initiatives_of(scope, CheckIn, "initiative__").filter(created_at__gte=scope.since)
    # The number since, counted on their (created_at, initiative) index; the newest few walk that
    # index backwards and stop, joining initiative and author on those rows only. (As a scalar
    # subquery of the list, the count is planned as a nested loop: twice as slow.)
    checkins_since = checkins.aggregate(total=Count("*"))["total"]
    data.recent_checkins = [
        RecentCheckIn(*row)
        for row in checkins.order_by("-created_at", "-pk").values_list(
            *("id", "created_at", "rag", "confidence", "summary", "initiative_id"),
            *("initiative__title", "author__first_name", "author__last_name"),
            "author__username",
        )[:LIST_LIMIT]
    ]
    data.since_counts = {
        "checkins": checkins_since,
        "alerts_opened": data.alert_counts.get("opened_since", 0),
        "status_changes": len(data.changed),
    }
