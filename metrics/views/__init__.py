"""Pages of the metrics app: KPIs and their measurements, alerts, notification preferences.

The pages live in modules by subject, none importing another: ``kpis``, ``alerts`` and
``preferences``. ``metrics.urls`` names them from ``metrics.views``; the names below are its
public face (``kpi_get_for_user`` and ``alerts_list`` are also the spreadsheet exports').
"""

from metrics.views.alerts import (
    ALERT_PAGE,
    BULK_ACTIONS,
    BULK_MAX,
    alert_ack,
    alert_bulk,
    alert_detail,
    alert_done,
    alert_list,
    alert_list_filters,
    alert_snooze_view,
    alerts_filtered,
    alerts_list,
)
from metrics.views.kpis import (
    TABLE_ROWS,
    kpi_by_id,
    kpi_detail,
    kpi_edit,
    kpi_get_for_user,
    kpi_key_proposal,
    measurement_new,
)
from metrics.views.preferences import notification_preferences

__all__ = [
    "ALERT_PAGE",
    "BULK_ACTIONS",
    "BULK_MAX",
    "TABLE_ROWS",
    "alert_ack",
    "alert_bulk",
    "alert_detail",
    "alert_done",
    "alert_list",
    "alert_list_filters",
    "alert_snooze_view",
    "alerts_filtered",
    "alerts_list",
    "kpi_by_id",
    "kpi_detail",
    "kpi_edit",
    "kpi_get_for_user",
    "kpi_key_proposal",
    "measurement_new",
    "notification_preferences",
]
