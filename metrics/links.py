"""Absolute links to the app's pages, for what is read outside it (e-mails, webhooks)."""

from __future__ import annotations

from django.conf import settings


def site_link(path: str) -> str:
    """The absolute URL of one of the app's pages (``SITE_URL`` + ``path``) for messages read
    outside the app (e-mails, webhooks). Never the Django admin: the people told are rarely
    superusers."""
    return settings.SITE_URL.rstrip("/") + path
