from __future__ import annotations

from django.apps import AppConfig
from typing_extensions import override


class SecurityConfig(AppConfig):
    """The security log app: its signal receivers are connected on start."""

    name = "security"
    verbose_name = "Security log"

    @override
    def ready(self) -> None:
        from security import receivers

        receivers.connect()
