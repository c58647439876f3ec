"""Writes of the metrics app. Every change that affects a score marks its subject dirty here.

The writes live in modules by subject, each importing only those before it (one direction):
``dirty`` (marking scores stale), ``kpis`` (a KPI's definition), ``measurements`` (one
measurement), ``ingest`` (batches of measurements), ``alerts`` (people's actions on alerts) and
``webhooks``. Callers import from ``metrics.services``; the names below are its public face.
"""

from metrics.services.alerts import (
    alert_acknowledge,
    alert_resolve,
    alert_snooze,
    alert_snooze_check,
    alerts_acknowledge,
    alerts_resolve,
    alerts_snooze,
)
from metrics.services.dirty import subjects_dirty_batch, subjects_mark_dirty
from metrics.services.ingest import (
    INGEST_FIELDS,
    BatchRejected,
    IngestResult,
    measurement_rows_check,
    measurements_ingest,
)
from metrics.services.kpis import PLAN_FIELDS, kpi_delete, kpi_plan, kpi_save
from metrics.services.measurements import (
    FUTURE_MEASUREMENT,
    IMPLAUSIBLE_CODE,
    MEASUREMENT_LOCK_NAMESPACE,
    ImplausibleMeasurement,
    measurement_plausibility,
    measurement_record,
    measurements_lock,
)
from metrics.services.webhooks import (
    webhook_delete,
    webhook_delivery_retry,
    webhook_save,
    webhook_scope_check,
)

__all__ = [
    "FUTURE_MEASUREMENT",
    "IMPLAUSIBLE_CODE",
    "INGEST_FIELDS",
    "MEASUREMENT_LOCK_NAMESPACE",
    "PLAN_FIELDS",
    "BatchRejected",
    "ImplausibleMeasurement",
    "IngestResult",
    "alert_acknowledge",
    "alert_resolve",
    "alert_snooze",
    "alert_snooze_check",
    "alerts_acknowledge",
    "alerts_resolve",
    "alerts_snooze",
    "kpi_delete",
    "kpi_plan",
    "kpi_save",
    "measurement_plausibility",
    "measurement_record",
    "measurement_rows_check",
    "measurements_ingest",
    "measurements_lock",
    "subjects_dirty_batch",
    "subjects_mark_dirty",
    "webhook_delete",
    "webhook_delivery_retry",
    "webhook_save",
    "webhook_scope_check",
]
