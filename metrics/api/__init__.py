"""API of the metrics: KPIs (by id or stable key), measurements (one or a batch), gap scores
(latest and history), alerts (acknowledge, snooze, resolve, log) and webhooks (strategy office).

Rules come from ``strategy.access``; writes call ``metrics.services``.

The viewsets live in modules by subject, none importing another: ``kpis`` (with
measurements), ``scores``, ``alerts`` and ``settings`` (webhooks, the signed-in person's
preferences). ``execsupport.api_urls`` registers them from ``metrics.api``; the names below are
its public face.
"""

from metrics.api.alerts import AlertFilter, AlertViewSet
from metrics.api.kpis import (
    KPI_KEY_REGEX,
    WRITE_MEASUREMENTS,
    KPIFilter,
    KPIViewSet,
    MeasurementFilter,
    MeasurementViewSet,
)
from metrics.api.scores import GapScoreFilter, GapScoreViewSet, scores_visible_to
from metrics.api.settings import MeViewSet, WebhookViewSet

__all__ = [
    "KPI_KEY_REGEX",
    "WRITE_MEASUREMENTS",
    "AlertFilter",
    "AlertViewSet",
    "GapScoreFilter",
    "GapScoreViewSet",
    "KPIFilter",
    "KPIViewSet",
    "MeViewSet",
    "MeasurementFilter",
    "MeasurementViewSet",
    "WebhookViewSet",
    "scores_visible_to",
]
