"""Measures of the plan: KPIs and their measurements, computed gap scores and alerts.

Scores are computed by the gap engine (``metrics/scoring.py`` for the maths, services for
persistence); nothing here computes them.

The models live in modules by concern, each importing only those before it (one direction):
``common`` (subject types), ``kpis``, ``scores`` (gap scores and the recompute bookkeeping),
``alerts``, ``webhooks`` and ``notifications``. Callers import from ``metrics.models``; the
names below are its public face. Migrations name ``metrics.models.validate_time_zone`` and
``metrics.models.alert_kinds_validate``: keep them here.
"""

from metrics.models.alerts import Alert, AlertEvent
from metrics.models.common import SubjectType
from metrics.models.kpis import (
    KPI,
    KPI_KEY_TAKEN,
    SANE_VALUE,
    Measurement,
    MeasurementCorrection,
    TargetRevision,
    TrajectoryPoint,
)
from metrics.models.notifications import (
    ALERT_EVENTS,
    Delivery,
    NotificationEvent,
    NotificationPreferences,
    OutboxMessage,
    time_zone_names,
    validate_time_zone,
)
from metrics.models.scores import DirtySubject, GapScore, RecomputeChunk, RecomputeRun
from metrics.models.webhooks import Webhook, WebhookDelivery, alert_kinds_validate

__all__ = [
    "ALERT_EVENTS",
    "KPI",
    "KPI_KEY_TAKEN",
    "SANE_VALUE",
    "Alert",
    "AlertEvent",
    "Delivery",
    "DirtySubject",
    "GapScore",
    "Measurement",
    "MeasurementCorrection",
    "NotificationEvent",
    "NotificationPreferences",
    "OutboxMessage",
    "RecomputeChunk",
    "RecomputeRun",
    "SubjectType",
    "TargetRevision",
    "TrajectoryPoint",
    "Webhook",
    "WebhookDelivery",
    "alert_kinds_validate",
    "time_zone_names",
    "validate_time_zone",
]
