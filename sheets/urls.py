from __future__ import annotations

from django.urls import path

from sheets import views

app_name = "sheets"
CSV, XLSX = {"fmt": "csv"}, {"fmt": "xlsx"}
urlpatterns = [
    path("plan/import/", views.plan_import_page, name="plan-import"),
    path("plan/import/template.xlsx", views.plan_template, XLSX, name="plan-template"),
    path(
        "plan/import/template/<slug:sheet>.csv",
        views.plan_template,
        CSV,
        name="plan-template-sheet",
    ),
    path("plan/export.xlsx", views.plan_export, name="plan-export"),
    *[
        path(
            f"{kind}/export.{fmt}",
            views.list_export,
            {"kind": kind, "fmt": fmt},
            name=f"{kind}-export-{fmt}",
        )
        for kind in views.LISTS
        for fmt in ("csv", "xlsx")
    ],
    *[
        path(
            f"{kind}/history.csv",
            views.list_history_export,
            {"kind": kind},
            name=f"{kind}-history-csv",
        )
        for kind in views.HISTORY_LISTS
    ],
    path(
        "kpis/<slug:key>/measurements.csv",
        views.kpi_measurements_export,
        CSV,
        name="kpi-measurements-csv",
    ),
    path(
        "kpis/<slug:key>/measurements.xlsx",
        views.kpi_measurements_export,
        XLSX,
        name="kpi-measurements-xlsx",
    ),
    *[
        path(
            f"initiatives/<int:pk>/{segment}.{fmt}",
            views.initiative_tab_export,
            {"tab": tab, "fmt": fmt},
            name=f"{name}-{fmt}",
        )
        for tab, segment, name in (
            ("checkin", "check-ins", "initiative-checkins"),
            ("spend", "spend", "spend"),
        )
        for fmt in ("csv", "xlsx")
    ],
    *[
        path(
            f"history/<slug:kind>/<int:pk>/export.{fmt}",
            views.history_export,
            {"fmt": fmt},
            name=f"history-{fmt}",
        )
        for fmt in ("csv", "xlsx")
    ],
]
