from __future__ import annotations

from django.urls import path

from metrics import views

app_name = "metrics"
urlpatterns = [
    path("kpis/new/", views.kpi_edit, name="kpi-new"),
    # Not under kpis/: any slug there is a KPI's key.
    path("kpi-keys/proposal/", views.kpi_key_proposal, name="kpi-key-proposal"),
    path("kpis/id/<int:pk>/", views.kpi_by_id, name="kpi-by-id"),
    path("kpis/<slug:key>/", views.kpi_detail, name="kpi-detail"),
    path("kpis/<slug:key>/edit/", views.kpi_edit, name="kpi-edit"),
    path("kpis/<slug:key>/measurements/", views.measurement_new, name="measurement-new"),
    path("alerts/", views.alert_list, name="alert-list"),
    path("alerts/bulk/", views.alert_bulk, name="alert-bulk"),
    path("alerts/<int:pk>/", views.alert_detail, name="alert-detail"),
    path("alerts/<int:pk>/snooze/", views.alert_snooze_view, name="alert-snooze"),
    path("alerts/<int:pk>/acknowledge/", views.alert_ack, name="alert-acknowledge"),
    path("alerts/<int:pk>/resolve/", views.alert_done, name="alert-resolve"),
    path(
        "account/notifications/",
        views.notification_preferences,
        name="notification-preferences",
    ),
]
