"""Throttling: rates read from the settings when a request comes, per token, person and
address.
"""

from __future__ import annotations

from django.conf import settings
from rest_framework import (
    throttling,
)
from rest_framework.request import Request
from typing_extensions import override

from execsupport.client_ip import client_ip


class _SettingsRateMixin:
    setting_name = ""

    def get_rate(self) -> str:
        # Read on each request (not at import) so deployments and tests can change it.
        return getattr(settings, self.setting_name)

    def get_ident(self, request) -> str:
        """The client's address from the one resolver (``TRUSTED_PROXY_COUNT``). DRF's own
        reads ``NUM_PROXIES``, and by default keys on the whole ``X-Forwarded-For`` header, so
        a client could buy a fresh allowance per made-up header."""
        return client_ip(request) or "unknown"


class TokenRateThrottle(_SettingsRateMixin, throttling.SimpleRateThrottle):
    """Per API token: one integration cannot starve the others of the same person."""

    scope = "token"
    setting_name = "API_THROTTLE_TOKEN"

    @override
    def get_cache_key(self, request: Request, view) -> str | None:
        token = getattr(request, "auth", None)
        if token is None or not hasattr(token, "digest"):
            return None
        return self.cache_format % {"scope": self.scope, "ident": token.digest[:32]}


class UserRateThrottle(_SettingsRateMixin, throttling.SimpleRateThrottle):
    """Per person, whatever the credential: tokens never multiply a person's allowance."""

    scope = "user"
    setting_name = "API_THROTTLE_USER"

    @override
    def get_cache_key(self, request: Request, view) -> str | None:
        if not request.user or not request.user.is_authenticated:
            return None
        return self.cache_format % {"scope": self.scope, "ident": request.user.pk}


class AnonRateThrottle(_SettingsRateMixin, throttling.AnonRateThrottle):
    """Per client address, for requests without a signed-in person (rate: ``API_THROTTLE_ANON``)."""

    setting_name = "API_THROTTLE_ANON"
