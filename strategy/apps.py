from __future__ import annotations

from django.apps import AppConfig


class StrategyConfig(AppConfig):
    name = "strategy"

    def ready(self) -> None:
        from django.core.checks import Tags, register
        from django.db.models import Field, ForeignObject

        from execsupport import checks
        from strategy import (
            schema,  # noqa: F401  (registers the OpenAPI auth extension)
            signals,  # noqa: F401  (revokes tokens on password change)
        )
        from strategy.access import InIds, InIdSet

        # Relations keep their own lookups (they do not inherit those of Field).
        for lookup in (InIds, InIdSet):
            Field.register_lookup(lookup)
            ForeignObject.register_lookup(lookup)

        # Insecure production combinations fail `check --deploy` (execsupport/checks.py).
        for check in (
            checks.check_email_backend,
            checks.check_secure_cookies,
            checks.check_redis_password,
            checks.check_demo_passwords,
        ):
            register(check, Tags.security, deploy=True)
