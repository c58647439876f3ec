from __future__ import annotations

from django.apps import AppConfig


class StrategyConfig(AppConfig):
    name = "strategy"

    def ready(self) -> None:
        from strategy import schema  # noqa: F401  (registers the OpenAPI auth extension)
