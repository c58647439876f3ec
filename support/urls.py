from __future__ import annotations

from django.urls import path

from support import views

app_name = "support"
urlpatterns = [
    path("support/", views.plan, name="plan"),
    path("support/assessments/", views.report_list, name="report-list"),
    path("support/assessments/<int:pk>/", views.report_detail, name="report"),
    path("support/assessments/<int:pk>/pdf/", views.report_pdf, name="report-pdf"),
    path("support/assessments/<int:pk>/notes/", views.report_notes, name="report-notes"),
    path("support/assessments/<int:pk>/freeze/", views.report_freeze, name="report-freeze"),
    path("support/barriers/<int:pk>/measures/new/", views.measure_new, name="measure-new"),
]
