from __future__ import annotations

from django.urls import path

from assessment import views

app_name = "assessment"
urlpatterns = [
    path("assessment/", views.assessment_list, name="assessment-list"),
    path("assessment/new/", views.assessment_new, name="assessment-new"),
    path("assessment/<int:pk>/", views.assessment_detail, name="assessment-detail"),
    path("assessment/<int:pk>/edit/", views.assessment_edit, name="assessment-edit"),
    path("assessment/evidence/<slug:code>/", views.evidence_rows, name="evidence-rows"),
    path("assessment/calibration/", views.calibration_page, name="calibration"),
]
