"""Sign-in plumbing that is not a permission rule (those live in ``strategy.access``), and the
name of the strategy office's group, which the rules, the second factor and the deploy checks
share."""

from __future__ import annotations

from django.conf import settings
from django.http import HttpRequest

# The group whose members are the strategy office (``strategy.access``: they see and manage
# everything; ``execsupport.mfa``: they must have a second factor). Made by strategy's migration
# 0002 and after every migrate (``strategy.apps``); ``strategy.models`` re-exports it.
STRATEGY_OFFICE_GROUP = "Strategy office"

# django-axes keeps the username of each failed attempt in a 255-character column.
LOCKOUT_USERNAME_MAX = 255


def lockout_username(request: HttpRequest, credentials: dict | None = None) -> str | None:
    """The username django-axes records and locks by (``AXES_USERNAME_CALLABLE``).

    Whatever was typed, as axes would take it, made storable: at most ``LOCKOUT_USERNAME_MAX``
    characters and no NUL (PostgreSQL refuses both, which made a failed login a 500 before the
    lockout could count it). No account name is that long (Django's limit is 150), so clipping
    merges nothing an attacker could use.
    """
    field = getattr(settings, "AXES_USERNAME_FORM_FIELD", "username")
    if credentials:
        username = credentials.get(field)
    else:
        # The sign-in form (allauth) names the field "login"; its credentials say "username".
        data = getattr(request, "data", request.POST)
        username = data.get(field, data.get("login"))
    if username is None:
        return None
    return str(username).replace("\x00", "\ufffd")[:LOCKOUT_USERNAME_MAX]
