"""The overview's alerts: the most severe the reader may see, rendered for them, and the counts
(total, critical, opened since the chosen day); the health card's reason rendered with them."""

from __future__ import annotations

from typing import Any

from django.db.models import Count, Q

from metrics.explain import alerts_render
from metrics.lists import alert_subjects_filter
from metrics.models import Alert, SubjectType
from strategy.derived import DerivedNames
from workspace.overview.rows import ALERT_LIMIT, OWNER_NAME_FIELDS, Overview, OverviewAlert
from workspace.overview.scope import OverviewScope, scope_filter


def alerts_read(scope: OverviewScope, data: Overview, *, strategy_parts: Any) -> None:
    """Fill ``data.alerts``, ``data.alert_counts`` and ``data.strategy_reason`` (the health card's
    reason, from ``strategy_parts`` when given, for this reader). Three queries at most."""
    access, filters, strategy, themes = scope.access, scope.filters, scope.strategy, scope.themes
    # --- alerts ------------------------------------------------------------------------------------
    # Alerts the reader may see (the one rule, ``Access.alert_filter``: a theme's or the
    # strategy's alerts, which have no team, included).
    alerts = scope_filter(
        Alert.objects.filter(access.alert_filter(), status__in=Alert.ACTIVE_STATUSES), scope
    )
    subjects = alert_subjects_filter(filters, strategy)
    if subjects is not None:
        alerts = alerts.filter(subjects)
    data.alerts = [  # the five most severe, as plain rows
        OverviewAlert(*row)
        for row in alerts.order_by("-severity", "-opened_at", "-pk").values_list(
            *("id", "title", "severity", "message", "opened_at", "team__name", "owner_id"),
            *OWNER_NAME_FIELDS,
            *("title_parts", "message_parts"),
        )[:ALERT_LIMIT]
    ]
    # Derived text for the reader: the themes named by the strategy's reason are read already;
    # the alerts' references cost one query (none when they mention nothing).
    names = DerivedNames(access)
    for theme in themes:
        names.known((SubjectType.THEME, theme.pk), name=theme.name, team_id=None)
    if data.strategy_score is not None:
        reason = data.strategy_score.reason if strategy_parts is None else strategy_parts
        names.want(reason)
    alerts_render(alerts=data.alerts, access=access, names=names)
    if data.strategy_score is not None:
        data.strategy_reason = names.text(reason)
    data.alert_counts = alerts.aggregate(  # severity (never null), not id: in the index
        total=Count("severity"),
        critical=Count("severity", filter=Q(severity=Alert.Severity.CRITICAL)),
        opened_since=Count("severity", filter=Q(opened_at__gte=scope.since)),
    )
