"""API authentication failures into the security log."""

from __future__ import annotations

from collections.abc import Callable

from django.http import HttpRequest, HttpResponse

API_PREFIX = "/api/"


class ApiAuthFailureMiddleware:
    """Every ``401`` the API answers (no credentials, a malformed, unknown, revoked or expired
    token, a token of an inactive person) is written to the security log as
    ``api_auth_failed`` with its reason, bounded per address and window like failed sign-ins
    (``security.services.security_failure_record``). Placed right after the request id, so
    it sees the final answer of every layer below."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        """Record a 401 answered under the API prefix as a security event (noisy kind: counted per
        window)."""
        response = self.get_response(request)
        if response.status_code == 401 and request.path.startswith(API_PREFIX):
            from security.models import SecurityEvent
            from security.receivers import token_ref
            from security.services import security_failure_record

            detail = ""
            data = getattr(response, "data", None)
            if isinstance(data, dict):
                detail = str(data.get("detail", ""))[:200]
            scheme = request.headers.get("Authorization", "").partition(" ")[0][:20].lower()
            token = getattr(request, "api_token_refused", None)
            details = {
                "reason": detail,
                "credentials": scheme or "none",
                "method": request.method,
                "path": request.path[:200],
            }
            ref = token_ref(token) if token is not None else ""
            if ref:
                details["token"] = ref
            security_failure_record(
                kind=SecurityEvent.Kind.API_AUTH_FAILED,
                key=f"{detail}|{ref}",
                request=request,
                subject=token.user if token is not None else None,
                details=details,
            )
        return response
