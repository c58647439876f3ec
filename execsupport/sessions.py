"""Session lifetime: an idle timeout and an absolute lifetime, enforced on every request, and
``Clear-Site-Data`` when a session ends.

Two stamps live in the session (seconds since the epoch): when the person signed in and when
they were last seen. The last-seen stamp is rewritten at most once a minute (a session save
is a database write), so the idle timeout is exact to within a minute.
"""

from __future__ import annotations

import time
from collections.abc import Callable

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import logout
from django.http import HttpRequest, HttpResponse

SIGNED_IN_AT = "_es_signed_in_at"
SEEN_AT = "_es_seen_at"
# Seconds between two rewrites of the last-seen stamp.
SEEN_RESOLUTION = 60
CLEAR_SITE_DATA = '"cache", "cookies", "storage"'


def session_stamp_sign_in(sender, request: HttpRequest | None, user, **kwargs) -> None:
    """``user_logged_in`` receiver: the session's sign-in and last-seen stamps start now."""
    if request is None or not hasattr(request, "session"):
        return
    now = time.time()
    request.session[SIGNED_IN_AT] = now
    request.session[SEEN_AT] = now


def signed_in_within(request: HttpRequest, *, seconds: float) -> bool:
    """Whether this session's sign-in happened less than ``seconds`` ago."""
    session = getattr(request, "session", None)
    signed_in_at = session.get(SIGNED_IN_AT) if session is not None else None
    return signed_in_at is not None and time.time() - signed_in_at < seconds


def session_expiry_reason(*, signed_in_at: float, seen_at: float, now: float) -> str | None:
    """Why a session stamped so has ended at ``now`` (a sentence for the person), or None.

    Idle: more than ``SESSION_IDLE_TIMEOUT_MINUTES`` since the last request; absolute: more
    than ``SESSION_MAX_AGE_HOURS`` since sign-in, however active.
    """
    idle = settings.SESSION_IDLE_TIMEOUT_MINUTES * 60
    lifetime = settings.SESSION_MAX_AGE_HOURS * 3600
    if now - signed_in_at >= lifetime:
        return (
            f"You were signed out: sessions last at most {settings.SESSION_MAX_AGE_HOURS} "
            "hours. Please sign in again."
        )
    if now - seen_at >= idle:
        return (
            f"You were signed out after {settings.SESSION_IDLE_TIMEOUT_MINUTES} minutes "
            "without activity. Please sign in again."
        )
    return None


class SessionLifetimeMiddleware:
    """Ends a session that was idle too long or is older than the absolute lifetime (the
    request then goes on signed out: pages send to the sign-in page with a message, the
    API answers 403), and adds ``Clear-Site-Data: "cache", "cookies", "storage"`` to any
    response that ended a session (sign-out by any route, or expiry here). Placed after the
    authentication middleware."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        """Enforce the session's lifetimes for a signed-in person; a response that ended the
        session sends ``Clear-Site-Data``."""
        signed_in = request.user.is_authenticated
        if signed_in:
            self._enforce(request)
        response = self.get_response(request)
        if signed_in and not request.user.is_authenticated:
            response["Clear-Site-Data"] = CLEAR_SITE_DATA
        return response

    @staticmethod
    def _enforce(request: HttpRequest) -> None:
        session = request.session
        now = time.time()
        signed_in_at = session.get(SIGNED_IN_AT)
        seen_at = session.get(SEEN_AT)
        if signed_in_at is None or seen_at is None:
            # A session from before these stamps (or a sign-in that sent no signal): its
            # lifetime starts now.
            session[SIGNED_IN_AT] = signed_in_at or now
            session[SEEN_AT] = now
            return
        reason = session_expiry_reason(signed_in_at=signed_in_at, seen_at=seen_at, now=now)
        if reason is not None:
            logout(request)
            messages.info(request, reason)
            return
        if now - seen_at >= SEEN_RESOLUTION:
            session[SEEN_AT] = now
