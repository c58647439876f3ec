from __future__ import annotations

from csp.decorators import csp_update
from django.contrib import admin
from django.urls import include, path, re_path
from drf_spectacular.views import (
    SpectacularAPIView,
    SpectacularRedocView,
    SpectacularSwaggerSplitView,
)

from execsupport import views
from execsupport.viewsets import NotFoundView

urlpatterns = [
    path("", views.home, name="home"),
    path("healthz", views.healthz, name="healthz"),
    path("accounts/", include("django.contrib.auth.urls")),
    path("", include("strategy.urls")),
    path("", include("initiatives.urls")),
    path("", include("metrics.urls")),
    path("admin/", admin.site.urls),
    path("api/v1/", include("execsupport.api_urls")),
    # Session login for the browsable API; django-axes guards it like every login.
    path("api/auth/", include("rest_framework.urls")),
    path("api/schema/", SpectacularAPIView.as_view(), name="api-schema"),
    # Split view: the page loads its start-up script from this URL (?script), not inline, so the
    # CSP needs no 'unsafe-inline'; Swagger UI and Redoc are static files (sidecar).
    path("api/docs/", SpectacularSwaggerSplitView.as_view(url_name="api-schema"), name="api-docs"),
    # Redoc builds its search index in a Web Worker made from a blob: URL; only this page may.
    path(
        "api/redoc/",
        csp_update({"worker-src": ["'self'", "blob:"]})(
            SpectacularRedocView.as_view(url_name="api-schema")
        ),
        name="api-redoc",
    ),
    re_path(r"^api/", NotFoundView.as_view()),
]
