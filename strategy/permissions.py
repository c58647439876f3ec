"""DRF authentication and permission classes. They decide nothing themselves: roles and object
rules come from ``strategy.access``; tokens add their scopes on top (a token never does more
than its scopes, nor more than the person behind it).

A view states what it needs with two attributes:

* ``token_scopes = {"read": <scope>, "write": <scope>}`` — the token scope for safe and unsafe
  methods (default: ``read`` / ``admin``);
* ``may_write(access, obj, request) -> bool`` — the object rule for unsafe methods, asking
  ``strategy.access``.
"""

from __future__ import annotations

from hmac import compare_digest

from django.utils import timezone
from knox.auth import TokenAuthentication
from knox.crypto import hash_token
from knox.settings import CONSTANTS, knox_settings
from rest_framework import exceptions, permissions
from rest_framework.request import Request
from typing_extensions import override

from strategy.access import access_for
from strategy.models import ApiToken

# Writing ``last_used_at`` on every request would turn each read into a write; once a minute
# is precise enough for "is this token still used?".
LAST_USED_PRECISION_SECONDS = 60


class ApiTokenAuthentication(TokenAuthentication):
    """``Authorization: Bearer es_…``: one indexed lookup and one SHA-512, no password hash.

    A token that exists but is refused (revoked, expired, its person inactive) is left on the
    request as ``api_token_refused`` (the security log names it with the failure)."""

    refused: ApiToken | None = None

    @override
    def authenticate(self, request: Request):
        try:
            return super().authenticate(request)
        except exceptions.AuthenticationFailed:
            if self.refused is not None:
                # A marker of ours on Django's request, read with getattr by security/middleware.py.
                request._request.api_token_refused = self.refused  # type: ignore[attr-defined]
            raise

    @override
    def authenticate_credentials(self, token: bytes):
        try:
            secret = token.decode("ascii")
        except UnicodeDecodeError:
            raise exceptions.AuthenticationFailed("Invalid token.") from None
        if not secret.startswith(knox_settings.TOKEN_PREFIX) or len(secret) > 200:
            raise exceptions.AuthenticationFailed("Invalid token.")
        digest = hash_token(secret)
        found = None
        for candidate in ApiToken.objects.filter(
            token_key=secret[: CONSTANTS.TOKEN_KEY_LENGTH]
        ).select_related("user"):
            if compare_digest(digest, candidate.digest):
                found = candidate
                break
        if found is None:
            raise exceptions.AuthenticationFailed("Invalid token.")
        now = timezone.now()
        self.refused = found  # until it passes every check below
        if found.is_revoked:
            raise exceptions.AuthenticationFailed("This token has been revoked.")
        if found.is_expired(now):
            raise exceptions.AuthenticationFailed("This token has expired.")
        if not found.user.is_active:
            raise exceptions.AuthenticationFailed("The token's user is inactive.")
        self.refused = None
        if (
            found.last_used_at is None
            or (now - found.last_used_at).total_seconds() >= LAST_USED_PRECISION_SECONDS
        ):
            ApiToken.objects.filter(pk=found.pk).update(last_used_at=now)
            found.last_used_at = now
        return found.user, found


def request_token(request: Request) -> ApiToken | None:
    """The request's API token, or None for a session (or no) authentication."""
    auth = getattr(request, "auth", None)
    return auth if isinstance(auth, ApiToken) else None


class AccessPermission(permissions.BasePermission):
    """Signed in (session or token), token scope sufficient, a role somewhere, object rules."""

    @override
    def has_permission(self, request: Request, view) -> bool:
        if not request.user or not request.user.is_authenticated:
            return False
        safe = request.method in permissions.SAFE_METHODS
        token = request_token(request)
        if token is not None:
            scopes = {"read": ApiToken.Scope.READ, "write": ApiToken.Scope.ADMIN}
            scopes.update(getattr(view, "token_scopes", {}))
            needed = scopes["read" if safe else "write"]
            if not token.has_scope(needed):
                self.message = f"This token lacks the '{needed}' scope."
                return False
        access = access_for(request.user)
        if not access.sees_anything:
            self.message = "You have no role in any team yet; ask the strategy office."
            return False
        view_rule = getattr(view, "may_use", None)
        if view_rule is not None and not view_rule(access, request):
            self.message = "Your role does not allow this."
            return False
        return True

    @override
    def has_object_permission(self, request: Request, view, obj) -> bool:
        if request.method in permissions.SAFE_METHODS:
            return True  # querysets are already scoped to what the person may see
        rule = getattr(view, "may_write", None)
        if rule is None:
            return access_for(request.user).is_office
        self.message = "Your role does not allow changing this."
        return rule(access_for(request.user), obj, request)
