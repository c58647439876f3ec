"""Project-wide HTTP middleware."""

from __future__ import annotations

from collections.abc import Callable

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
        response = self.get_response(request)
        if response.has_header("Cache-Control"):
            return response
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated:
            response["Cache-Control"] = "no-store"
        return response
