"""Request types for annotations: what our middleware adds to Django's ``HttpRequest``.

Used only in signatures (``def view(request: HtmxHttpRequest)``); at run time a view gets
Django's own ``HttpRequest`` with these attributes set by the middleware in ``settings``.
"""

from __future__ import annotations

from django.contrib.auth.models import User
from django.http import HttpRequest
from django_htmx.middleware import HtmxDetails

__all__ = ["AuthenticatedHttpRequest", "HtmxHttpRequest"]


class HtmxHttpRequest(HttpRequest):
    """A request that went through ``django_htmx.middleware.HtmxMiddleware``: ``htmx`` tells
    whether HTMX sent it (truthy) and which element asked (django-htmx's documented pattern)."""

    htmx: HtmxDetails


class AuthenticatedHttpRequest(HtmxHttpRequest):
    """A request of a signed-in person (views behind ``login_required`` or the login-required
    middleware): ``user`` is a ``User``, never ``AnonymousUser``."""

    user: User  # narrower than HttpRequest.user (User | AnonymousUser): login ensures it
