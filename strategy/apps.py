from __future__ import annotations

from django.apps import AppConfig
from typing_extensions import override


class StrategyConfig(AppConfig):
    """The strategy app: on start it registers the id lookups (``InIds``, ``InIdSet``), the deploy
    security checks, the OpenAPI auth extension and token revocation on password change,
    registers objectives as owned work (``strategy.ownership``) and makes sure the strategy
    office's group exists after every migrate or flush."""

    name = "strategy"

    @override
    def ready(self) -> None:
        from django.core.checks import Tags, register
        from django.db.models import Field, ForeignObject
        from django.db.models.signals import post_migrate

        from execsupport import checks
        from strategy import (
            receivers,  # noqa: F401  (revokes tokens on password change)
            schema,  # noqa: F401  (registers the OpenAPI auth extension)
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

        post_migrate.connect(office_group_ensure, sender=self)

        # The work a person owns and hands over when leaving (strategy.ownership).
        from strategy.models import Objective
        from strategy.ownership import OwnedKind, owned_kind_register
        from strategy.subjects import SubjectType

        owned_kind_register(
            OwnedKind("objectives", "objective", Objective, SubjectType.OBJECTIVE, order=10)
        )


def office_group_ensure(sender, *, using: str, apps=None, **kwargs) -> None:
    """After ``migrate`` (and ``flush``, which sends ``post_migrate`` too), the strategy
    office's group exists, as migration strategy 0002 made it: like content types and
    permissions, it is part of what a migrated database holds, so a flushed one (a transactional
    test's end, ``manage.py flush``) keeps working without a re-migrate."""
    from django.apps import apps as global_apps
    from django.db import router

    from strategy.models import STRATEGY_OFFICE_GROUP

    apps = apps or global_apps
    try:
        group = apps.get_model("auth", "Group")
    except LookupError:  # auth not installed or not migrated yet in this plan
        return
    if not router.allow_migrate_model(using, group):
        return
    group.objects.using(using).get_or_create(name=STRATEGY_OFFICE_GROUP)
