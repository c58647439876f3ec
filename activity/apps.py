from __future__ import annotations

from django.apps import AppConfig


class ActivityConfig(AppConfig):
    """The history of every change (with undo), comments and activity feeds."""

    name = "activity"
    verbose_name = "Activity and history"
