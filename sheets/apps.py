from __future__ import annotations

from django.apps import AppConfig


class SheetsConfig(AppConfig):
    """Spreadsheets in and out: the plan's import (preview, apply) and the exports."""

    default_auto_field = "django.db.models.BigAutoField"
    name = "sheets"
    verbose_name = "Spreadsheets"

    def ready(self) -> None:
        """The API's CSV gains the named columns of the sheets (``execsupport.api``)."""
        from execsupport.api import CSV_NAMED_COLUMNS
        from sheets.exports import api_named_columns_by_model

        CSV_NAMED_COLUMNS.update(api_named_columns_by_model())
