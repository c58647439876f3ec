from __future__ import annotations

from django.urls import path

from security import views

app_name = "security"
urlpatterns = [
    path("security/events/", views.security_event_list, name="event-list"),
]
