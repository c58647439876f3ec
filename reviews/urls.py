from __future__ import annotations

from django.urls import path

from reviews import views

app_name = "reviews"
urlpatterns = [
    path("reviews/", views.review_list, name="review-list"),
    path("reviews/<int:pk>/", views.review_detail, name="review-detail"),
    path("reviews/<int:pk>/meetings/", views.meeting_new, name="meeting-new"),
    path("reviews/meetings/<int:pk>/", views.meeting_detail, name="meeting"),
    path("reviews/meetings/<int:pk>/freeze/", views.meeting_freeze, name="meeting-freeze"),
    path("reviews/meetings/<int:pk>/move/", views.meeting_move, name="meeting-move"),
    path("reviews/meetings/<int:pk>/cancel/", views.meeting_cancel, name="meeting-cancel"),
    path("reviews/meetings/<int:pk>/discussed/", views.meeting_discussed, name="meeting-discussed"),
    path("reviews/meetings/<int:pk>/minutes/", views.meeting_minutes, name="meeting-minutes"),
    path("reviews/meetings/<int:pk>/decisions/", views.decision_new, name="decision-new"),
    path("reviews/meetings/<int:pk>/action-items/", views.action_item_new, name="action-item-new"),
    path(
        "reviews/action-items/<int:pk>/status/", views.action_item_status, name="action-item-status"
    ),
    path(
        "reviews/action-items/<int:pk>/to-initiative/",
        views.action_item_to_initiative,
        name="action-item-to-initiative",
    ),
    path("reviews/packs/<int:pk>/", views.pack_detail, name="pack"),
    path("reviews/packs/<int:pk>/pdf/", views.pack_pdf_download, name="pack-pdf"),
    path(
        "reviews/packs/<int:pk>/changes.csv",
        views.pack_changes_export,
        {"fmt": "csv"},
        name="pack-changes-csv",
    ),
    path(
        "reviews/packs/<int:pk>/changes.xlsx",
        views.pack_changes_export,
        {"fmt": "xlsx"},
        name="pack-changes-xlsx",
    ),
    path(
        "reviews/<int:pk>/action-items.csv",
        views.action_items_export,
        {"fmt": "csv"},
        name="action-items-csv",
    ),
    path(
        "reviews/<int:pk>/action-items.xlsx",
        views.action_items_export,
        {"fmt": "xlsx"},
        name="action-items-xlsx",
    ),
]
