from __future__ import annotations

from django.apps import AppConfig


class InitiativesConfig(AppConfig):
    """The initiatives app: initiatives, milestones, check-ins and spend."""

    name = "initiatives"
