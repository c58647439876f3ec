from __future__ import annotations

from django.apps import AppConfig
from typing_extensions import override


class InitiativesConfig(AppConfig):
    """The initiatives app: initiatives, milestones, check-ins and spend. On start it registers
    initiatives as work a person owns and hands over (``strategy.ownership``)."""

    name = "initiatives"

    @override
    def ready(self) -> None:
        from initiatives.models import Initiative
        from strategy.ownership import OwnedKind, owned_kind_register
        from strategy.subjects import SubjectType

        owned_kind_register(
            OwnedKind("initiatives", "initiative", Initiative, SubjectType.INITIATIVE, order=20)
        )
