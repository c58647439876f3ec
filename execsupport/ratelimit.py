"""Rate limits for sensitive actions (sending invitations, and any other action that mails or
costs): one throttle for API views and page views alike.

An action is counted twice, per person (when signed in) and per client address (from the one
resolver, ``execsupport.client_ip``, so clients behind the same proxy count apart); either
allowance running out refuses it. Counts live in the Django cache (Redis in production, shared
by every worker), like the API throttles'.

    class InvitationThrottle(ActionThrottle):
        scope = "invitation"
        setting_name = "RATE_LIMIT_INVITATIONS"     # e.g. "20/hour"

    # API: throttle_classes = [InvitationThrottle]
    # page:
    @rate_limited(InvitationThrottle)
    def invitation_send(request): ...
"""

from __future__ import annotations

import math
from collections.abc import Callable
from functools import wraps

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from rest_framework import throttling
from typing_extensions import override

from execsupport.client_ip import client_ip

UNSAFE_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})


class ActionThrottle(throttling.SimpleRateThrottle):
    """Base of an action's throttle: set ``scope`` (a cache-key prefix) and ``setting_name``
    (the setting holding the rate, ``"<n>/<second|minute|hour|day>"``, read on each request).

    ``allow_request`` counts the request against the person's and the address's allowance and
    refuses when either is spent; ``wait()`` is then the seconds until the first frees up.
    """

    setting_name = ""
    # Set by SimpleRateThrottle.__init__ from the rate, when there is one (``rate`` not None).
    num_requests: int
    duration: int

    @override
    def get_rate(self) -> str | None:
        return getattr(settings, self.setting_name) or None  # empty: no limit

    @override
    def get_ident(self, request) -> str:
        return client_ip(request) or "unknown"

    def _keys(self, request) -> list[str]:
        keys = [self.cache_format % {"scope": f"{self.scope}-ip", "ident": self.get_ident(request)}]
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated:
            keys.append(self.cache_format % {"scope": f"{self.scope}-user", "ident": user.pk})
        return keys

    @override
    def allow_request(self, request, view) -> bool:
        if self.rate is None:
            return True
        self.now = self.timer()
        waits: list[float] = []
        histories: list[tuple[str, list[float]]] = []
        for key in self._keys(request):
            history = [t for t in self.cache.get(key, []) if t > self.now - self.duration]
            if len(history) >= self.num_requests:
                waits.append(self.duration - (self.now - history[-1]))
            histories.append((key, history))
        if waits:
            self._wait = max(waits)
            return False
        for key, history in histories:
            history.insert(0, self.now)
            self.cache.set(key, history, self.duration)
        return True

    @override
    def wait(self) -> float | None:
        return getattr(self, "_wait", None)


def rate_limited(
    throttle_class: type[ActionThrottle],
) -> Callable[[Callable[..., HttpResponse]], Callable[..., HttpResponse]]:
    """Page-view decorator: an unsafe request (POST, ...) beyond the allowance of
    ``throttle_class`` is answered 429 with ``Retry-After`` and a page saying when to try again,
    without calling the view; safe requests (showing the form) are not counted."""

    def decorator(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
        @wraps(view)
        def wrapped(request: HttpRequest, *args, **kwargs) -> HttpResponse:
            if request.method in UNSAFE_METHODS:
                throttle = throttle_class()
                if not throttle.allow_request(request, None):
                    seconds = max(1, math.ceil(throttle.wait() or 1))
                    response = render(
                        request, "429.html", {"retry_after_seconds": seconds}, status=429
                    )
                    response["Retry-After"] = str(seconds)
                    return response
            return view(request, *args, **kwargs)

        return wrapped

    return decorator


class InvitationThrottle(ActionThrottle):
    """Sending invitations (``RATE_LIMIT_INVITATIONS``): each one is an e-mail to an address
    the sender typed, so an unlimited form would be a spam relay."""

    scope = "invitation"
    setting_name = "RATE_LIMIT_INVITATIONS"
