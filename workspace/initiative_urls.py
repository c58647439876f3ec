from __future__ import annotations

from django.urls import path

from workspace import initiative_views as views

app_name = "initiatives"
urlpatterns = [
    path("my-work/", views.my_work, name="my-work"),
    path("initiatives/new/", views.initiative_edit, name="initiative-new"),
    path("initiatives/<int:pk>/", views.initiative_detail, name="initiative-detail"),
    path("initiatives/<int:pk>/edit/", views.initiative_edit, name="initiative-edit"),
    path("initiatives/<int:pk>/check-ins/", views.checkin_new, name="checkin-new"),
    path(
        "initiatives/<int:initiative_pk>/milestones/new/",
        views.milestone_edit,
        name="milestone-new",
    ),
    path(
        "initiatives/<int:initiative_pk>/milestones/<int:pk>/edit/",
        views.milestone_edit,
        name="milestone-edit",
    ),
    path("milestones/<int:pk>/complete/", views.milestone_complete, name="milestone-complete"),
]
