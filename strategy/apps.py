from __future__ import annotations

from django.apps import AppConfig


class StrategyConfig(AppConfig):
    name = "strategy"

    def ready(self) -> None:
        from django.db.models import Field, ForeignObject

        from strategy import (
            schema,  # noqa: F401  (registers the OpenAPI auth extension)
            signals,  # noqa: F401  (revokes tokens on password change)
        )
        from strategy.access import InIds, InIdSet

        # Relations keep their own lookups (they do not inherit those of Field).
        for lookup in (InIds, InIdSet):
            Field.register_lookup(lookup)
            ForeignObject.register_lookup(lookup)
