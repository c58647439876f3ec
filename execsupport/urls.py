from __future__ import annotations

from django.contrib import admin
from django.urls import include, path

from execsupport import views

urlpatterns = [
    path("", views.home, name="home"),
    path("healthz", views.healthz, name="healthz"),
    path("accounts/", include("django.contrib.auth.urls")),
    path("", include("strategy.urls")),
    path("", include("initiatives.urls")),
    path("", include("metrics.urls")),
    path("admin/", admin.site.urls),
]
