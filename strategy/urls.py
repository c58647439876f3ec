from __future__ import annotations

from django.urls import path

from strategy import views

app_name = "strategy"
urlpatterns = [
    path("overview/", views.overview, name="overview"),
    path("review/", views.review, name="review"),
    path("objectives/new/", views.objective_edit, name="objective-new"),
    path("objectives/<int:pk>/", views.objective_detail, name="objective-detail"),
    path("objectives/<int:pk>/edit/", views.objective_edit, name="objective-edit"),
    path("people/hand-over/", views.person_hand_over_page, name="person-hand-over"),
]
