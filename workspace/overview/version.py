"""The overview's data version: what its page cache is keyed by."""

from __future__ import annotations

from initiatives.models import CheckIn, Initiative, Milestone, SpendEntry
from metrics.models import Alert, GapScore
from strategy.models import Objective, Period, Strategy, Team, Theme


def overview_data_version() -> str:
    """A fingerprint of everything the overview shows, in one cheap query.

    Each part is an indexed MAX (or the count of active alerts, from their partial index), so a new
    score, check-in, alert, spend entry or edit changes it. Deleted rows are caught by the
    cache's time limit only.
    """
    from django.db import connection

    parts = [
        f"SELECT MAX(id) FROM {GapScore._meta.db_table}",  # noqa: S608
        f"SELECT MAX(id) FROM {CheckIn._meta.db_table}",  # noqa: S608
        f"SELECT MAX(id) FROM {Alert._meta.db_table}",  # noqa: S608
        # COUNT(severity), not COUNT(*): severity is in the partial index of active alerts
        # (alert_active_by_severity_team), so the count is an index-only scan of that index;
        # COUNT(*) was served by scanning the whole (team_id, status) index (issue #19).
        f"SELECT COUNT(severity) FROM {Alert._meta.db_table} "  # noqa: S608
        "WHERE status IN ('open', 'acknowledged')",
    ] + [
        f"SELECT MAX(updated_at) FROM {model._meta.db_table}"  # noqa: S608
        for model in (Milestone, Initiative, SpendEntry, Objective, Theme, Team, Period, Strategy)
    ]
    # Table names come from model metadata, never from input.
    sql = "SELECT " + ", ".join(f"({part})" for part in parts)
    with connection.cursor() as cursor:
        cursor.execute(sql)
        return "|".join(str(value) for value in cursor.fetchone())
