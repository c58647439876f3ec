from __future__ import annotations

from django.apps import AppConfig
from typing_extensions import override


class SurveysConfig(AppConfig):
    """Pulse surveys with real anonymity (issue #18, section 1)."""

    name = "surveys"

    @override
    def ready(self) -> None:
        from django.core import checks

        from surveys.anonymity import check_min_respondents

        checks.register(check_min_respondents)
