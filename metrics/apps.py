from __future__ import annotations

from django.apps import AppConfig
from typing_extensions import override


class MetricsConfig(AppConfig):
    """The metrics app (KPIs, gap scores, alerts, webhooks): checks the gap engine's settings on
    start and listens to what ``strategy`` and ``initiatives`` announce (``metrics.receivers``); registers KPIs
    and alerts as owned work (``strategy.ownership``)."""

    name = "metrics"

    @override
    def ready(self) -> None:
        # Every process (web, worker, beat, manage.py) validates the gap engine's settings at
        # start-up: a bad GAP_FORECAST_INTERVAL stops it with a message naming the setting.
        from metrics import receivers  # noqa: F401  (marks stale scores, tells people of work)
        from metrics.engine.common import engine_thresholds

        engine_thresholds()

        # The work a person owns and hands over when leaving (strategy.ownership): KPIs, and
        # the open and acknowledged alerts (their owner changes; nothing is recomputed).
        from metrics.models import KPI, Alert
        from strategy.ownership import OwnedKind, owned_kind_register
        from strategy.subjects import SubjectType

        owned_kind_register(OwnedKind("kpis", "KPI", KPI, SubjectType.KPI, order=30))
        owned_kind_register(
            OwnedKind(
                "alerts",
                "alert",
                Alert,
                owned=lambda alerts: alerts.filter(status__in=Alert.ACTIVE_STATUSES),
                order=40,
            )
        )
