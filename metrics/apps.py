from __future__ import annotations

from django.apps import AppConfig
from typing_extensions import override


class MetricsConfig(AppConfig):
    """The metrics app (KPIs, gap scores, alerts, webhooks): checks the gap engine's settings on
    start."""

    name = "metrics"

    @override
    def ready(self) -> None:
        # Every process (web, worker, beat, manage.py) validates the gap engine's settings at
        # start-up: a bad GAP_FORECAST_INTERVAL stops it with a message naming the setting.
        from metrics.engine.common import engine_thresholds

        engine_thresholds()
