"""The overview's health card: whose score it shows (``health_focus``) and its trend."""

from __future__ import annotations

import datetime as dt

from django.utils import timezone

from metrics.models import GapScore, SubjectType
from strategy.access import Access
from workspace.overview.rows import TREND_LIMIT, Overview


def health_focus(data: Overview, access: Access) -> tuple[str, int | None]:
    """Whose score the health card and its trend show, by the filters: the chosen theme's, else
    the chosen team's, else the strategy's. A team the reader may not see has none (``None``:
    nothing is read), exactly like an unknown one. Sets ``data.health_label``."""
    filters = data.filters
    if filters.theme_id is not None:
        theme = next((t for t in data.themes if t.pk == filters.theme_id), None)
        data.health_label = f"Health of {theme.name}" if theme else "Health of the theme"
        return SubjectType.THEME, filters.theme_id if theme else None
    if filters.team_id is not None:
        team = next((t for t in data.teams if t.pk == filters.team_id), None)
        if team is None or not access.can_view_team(team.pk):
            data.health_label = "Health of the team"
            return SubjectType.TEAM, None
        data.health_label = f"Health of {team.name}"
        return SubjectType.TEAM, team.pk
    assert data.strategy is not None  # overview_build returns before this without one
    return SubjectType.STRATEGY, data.strategy.pk


def trend_read(data: Overview, *, focus_type: str, focus_id: int | None) -> None:
    """Fill ``data.trend``: the health card's score, the day's last value per day (newest
    ``TREND_LIMIT`` scores, one query)."""
    # --- health trend ----------------------------------------------------------------------------
    history = (
        GapScore.objects.filter(
            subject_type=focus_type,
            subject_id=focus_id,  # type: ignore[misc]  # None: IS NULL, nothing (see _health_focus)
            score__isnull=False,
        )
        .order_by("-computed_at")
        .values_list("computed_at", "score")[:TREND_LIMIT]
    )
    per_day: dict[dt.date, float] = {}
    for computed_at, value in history:  # newest first: the first seen is the day's last value
        assert value is not None  # score__isnull=False above
        per_day.setdefault(timezone.localtime(computed_at).date(), value)
    data.trend = sorted(per_day.items())
