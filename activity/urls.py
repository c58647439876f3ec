from __future__ import annotations

from django.urls import path

from activity import views

app_name = "activity"
urlpatterns = [
    path("history/<slug:kind>/<int:pk>/", views.history_page, name="history"),
    path(
        "history/<slug:kind>/<int:pk>/restore/<int:history_id>/",
        views.history_restore_page,
        name="history-restore",
    ),
    path("activity/<slug:kind>/<int:pk>/", views.activity_page, name="activity"),
    path("activity/<slug:kind>/<int:pk>/comments/", views.comment_new, name="comment-new"),
    path("comments/<int:comment_pk>/edit/", views.comment_edit_page, name="comment-edit"),
    path("comments/<int:comment_pk>/delete/", views.comment_delete_page, name="comment-delete"),
    path("whats-new/", views.whats_new_page, name="whats-new"),
]
