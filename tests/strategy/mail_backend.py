"""An e-mail backend that stands for a real server in tests: it keeps what it sends, and its
path is not one of the backends that reach nobody (``strategy.invitations``)."""

from __future__ import annotations

from django.core.mail.backends.base import BaseEmailBackend


class DeliveringBackend(BaseEmailBackend):
    """Keeps every message sent in ``DeliveringBackend.sent``."""

    sent: list = []

    def send_messages(self, email_messages):
        self.sent.extend(email_messages)
        return len(email_messages)
