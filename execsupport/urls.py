from __future__ import annotations

from allauth.account import urls as account_urls
from allauth.account.decorators import secure_admin_login
from allauth.account.views import LogoutView
from allauth.urls import build_provider_urlpatterns
from csp.decorators import csp_update
from django.contrib import admin
from django.urls import include, path, re_path, reverse_lazy
from django.views.generic import RedirectView
from drf_spectacular.views import (
    SpectacularAPIView,
    SpectacularRedocView,
    SpectacularSwaggerSplitView,
)

from execsupport import views
from execsupport.viewsets import NotFoundView

# The admin signs in through the same page as everyone (password or single sign-on, then the
# second factor): its own password form is never shown.
admin.site.login = secure_admin_login(admin.site.login)  # type: ignore[method-assign]  # this instance's view, wrapped on purpose

# django-allauth's pages: sign-in, sign-out, password change and reset, second factor (2fa/),
# single sign-on (3rdparty/ and the OpenID Connect provider's oidc/<id>/login/), the person's
# sessions (sessions/). Left out: its deprecated unnamed redirects, and managing one's own
# e-mail addresses (the strategy office keeps them: single sign-on and password reset trust
# them, so nobody may claim an address unconfirmed).
ACCOUNT_ROUTES_LEFT_OUT = {
    "account_email",
    "account_email_verification_sent",
    "account_confirm_email",
}
accounts = [
    path(
        "",
        include(
            [
                p
                for p in account_urls.urlpatterns
                if getattr(p, "name", None) not in ACCOUNT_ROUTES_LEFT_OUT
            ]
        ),
    ),
    path("2fa/", include("allauth.mfa.urls")),
    path("3rdparty/", include("allauth.socialaccount.urls")),
    *build_provider_urlpatterns(),
    path("sessions/", include("allauth.usersessions.urls")),
]

# The browsable API's session login is the site's sign-in (with the second factor), not a
# password form of its own.
api_auth = (
    [
        path(
            "login/",
            RedirectView.as_view(url=reverse_lazy("account_login"), query_string=True),
            name="login",
        ),
        path("logout/", LogoutView.as_view(), name="logout"),
    ],
    "rest_framework",
)

urlpatterns = [
    path("", views.home, name="home"),
    path("healthz", views.healthz, name="healthz"),
    path("accounts/", include(accounts)),
    path("", include("workspace.strategy_urls")),
    path("", include("workspace.initiative_urls")),
    path("", include("metrics.urls")),
    path("", include("security.urls")),
    path("", include("activity.urls")),
    path("", include("reviews.urls")),
    path("", include("surveys.urls")),
    path("", include("sheets.urls")),
    path("", include("assessment.urls")),
    path("", include("support.urls")),
    path("admin/", admin.site.urls),
    path("api/v1/", include("execsupport.api_urls")),
    path("api/auth/", include(api_auth)),
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
