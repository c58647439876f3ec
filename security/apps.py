from __future__ import annotations

from django.apps import AppConfig


class SecurityConfig(AppConfig):
    name = "security"
    verbose_name = "Security log"

    def ready(self) -> None:
        from security import receivers

        receivers.connect()
