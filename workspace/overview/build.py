"""The overview for one reader: each widget's read in turn (``overview_build``)."""

from __future__ import annotations

import datetime as dt

from django.utils import timezone

from strategy.access import Access
from strategy.models import Period, Theme
from strategy.selectors import OverviewFilters, strategy_current
from workspace.overview.alerts import alerts_read
from workspace.overview.changes import changes_read
from workspace.overview.health import health_focus, trend_read
from workspace.overview.late_work import late_work_read
from workspace.overview.objectives import objectives_read
from workspace.overview.resources import resources_read
from workspace.overview.rows import Overview, TeamRow
from workspace.overview.scope import OverviewScope, team_subtree


def overview_build(*, access: Access, filters: OverviewFilters, today: dt.date) -> Overview:
    """The overview for this reader: only what ``access`` may see, narrowed by ``filters`` (a team:
    it and the teams below it). Without a current strategy only the filters' choices are filled.
    Reads only; a constant number of queries whatever the size of the plan."""
    strategy = strategy_current()
    periods = list(Period.objects.order_by("start_date"))
    themes = (
        list(Theme.objects.filter(strategy=strategy).order_by("order", "name")) if strategy else []
    )
    # Plain rows: a large organisation lists hundreds of teams in the filter. (_make, not
    # TeamRow(*row): a quarter of the time for a thousand teams.)
    teams = list(map(TeamRow._make, access.visible_teams()))
    data = Overview(strategy=strategy, filters=filters, periods=periods, themes=themes, teams=teams)
    if strategy is None:
        return data
    if filters.team_id is not None:
        # A team the person may not see keeps its id alone: the scoped queries then find nothing.
        data.team_ids = team_subtree(teams, filters.team_id)

    scope = OverviewScope(
        access=access,
        filters=filters,
        strategy=strategy,
        today=today,
        since=timezone.make_aware(dt.datetime.combine(filters.since, dt.time.min)),
        team_ids=data.team_ids,
        themes=themes,
        teams=teams,
    )
    focus_type, focus_id = health_focus(data, access)
    strategy_parts = objectives_read(scope, data, focus_type=focus_type, focus_id=focus_id)
    trend_read(data, focus_type=focus_type, focus_id=focus_id)
    alerts_read(scope, data, strategy_parts=strategy_parts)
    late_work_read(scope, data)
    resources_read(scope, data)
    changes_read(scope, data)
    return data
