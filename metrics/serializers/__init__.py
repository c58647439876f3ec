"""Input and output shapes of the metrics API: KPIs, measurements, gap scores, alerts, webhooks.

The shapes of ``GapScore`` JSON fields follow ``metrics.contracts``.

The shapes live in modules by subject, each importing only ``scores`` (the scores nested in
the others): ``scores``, ``kpis`` (with measurements and the bulk ingestion), ``alerts``,
``webhooks`` and ``preferences``. Callers import from ``metrics.serializers``; the names below
are its public face.
"""

from metrics.serializers.alerts import (
    AlertEventSerializer,
    AlertNoteSerializer,
    AlertSerializer,
    AlertSnoozeSerializer,
    ExplainedAlertListSerializer,
)
from metrics.serializers.kpis import (
    ImplausibleRowSerializer,
    ImplausibleSerializer,
    IngestRequestSerializer,
    IngestResultSerializer,
    IngestRowSerializer,
    KPISerializer,
    MeasurementRecordedSerializer,
    MeasurementSerializer,
)
from metrics.serializers.preferences import (
    NotificationPreferencesSerializer,
)
from metrics.serializers.scores import (
    ComponentSerializer,
    ContributorSerializer,
    ExplainedListSerializer,
    GapScoreHistorySerializer,
    GapScoreSerializer,
    LatestScoreSerializer,
)
from metrics.serializers.webhooks import (
    WebhookSerializer,
)

__all__ = [
    "AlertEventSerializer",
    "AlertNoteSerializer",
    "AlertSerializer",
    "AlertSnoozeSerializer",
    "ComponentSerializer",
    "ContributorSerializer",
    "ExplainedAlertListSerializer",
    "ExplainedListSerializer",
    "GapScoreHistorySerializer",
    "GapScoreSerializer",
    "ImplausibleRowSerializer",
    "ImplausibleSerializer",
    "IngestRequestSerializer",
    "IngestResultSerializer",
    "IngestRowSerializer",
    "KPISerializer",
    "LatestScoreSerializer",
    "MeasurementRecordedSerializer",
    "MeasurementSerializer",
    "NotificationPreferencesSerializer",
    "WebhookSerializer",
]
