"""Project-wide HTTP middleware, and the request being answered (``current_request``)."""

from __future__ import annotations

import re
import uuid
from collections.abc import Callable
from contextvars import ContextVar

from django.http import HttpRequest, HttpResponse


class NoStoreWhenSignedInMiddleware:
    """``Cache-Control: no-store`` on every response to a signed-in person (session or API
    token), so that no browser cache, back button on a shared computer or proxy keeps a copy
    of what only they may see.

    A response that already chose its caching keeps it: the API's version-keyed lists answer
    ``private, no-cache`` with an ETag so that pollers revalidate (304) instead of
    downloading again, which ``no-store`` would defeat. Placed after the authentication
    middleware; DRF sets ``request.user`` for token requests before this runs on the way out.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        """Add ``Cache-Control: no-store`` to a signed-in person's responses that set no caching of
        their own."""
        response = self.get_response(request)
        if response.has_header("Cache-Control"):
            return response
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated:
            response["Cache-Control"] = "no-store"
        return response


# --- request id -------------------------------------------------------------------------------
# An id given by a proxy or a client is kept only in this shape (letters, digits and . _ : -,
# at most 64 characters), so that it can never inject anything into a log line or a header.
REQUEST_ID_PATTERN = re.compile(r"[A-Za-z0-9][A-Za-z0-9._:-]{0,63}")

_current_request: ContextVar[HttpRequest | None] = ContextVar("current_request", default=None)


def current_request() -> HttpRequest | None:
    """The request being answered in this thread (or task), if any: lets code far from the
    view (model signals, services) say who did something, from where (the security log).
    ``None`` in Celery tasks and management commands."""
    return _current_request.get()


class RequestIdMiddleware:
    """Gives every request an id (``request.request_id``), sent back as ``X-Request-ID`` and
    written with each security event, so a log line, an event and a proxy's access log can be
    matched. An incoming ``X-Request-ID`` (from a proxy) is kept when it has the safe shape of
    ``REQUEST_ID_PATTERN``; otherwise a new random one (32 hex digits) is made. First in
    ``MIDDLEWARE``, so every later layer sees the id."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        """Take the caller's ``X-Request-ID`` if well-formed (else a new one), keep the request for
        the logs while it runs and echo the id in the response."""
        given = request.headers.get("X-Request-ID", "")
        request_id = given if REQUEST_ID_PATTERN.fullmatch(given) else uuid.uuid4().hex
        request.request_id = request_id  # type: ignore[attr-defined]  # ours, read with getattr (security.services)
        token = _current_request.set(request)
        try:
            response = self.get_response(request)
        finally:
            _current_request.reset(token)
        response["X-Request-ID"] = request_id
        return response
