from __future__ import annotations

from django.apps import AppConfig


class InitiativesConfig(AppConfig):
    name = "initiatives"
