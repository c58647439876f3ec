from __future__ import annotations

from django.contrib import admin
from typing_extensions import override

from sheets.models import PlanPreview


@admin.register(PlanPreview)
class PlanPreviewAdmin(admin.ModelAdmin):
    """Kept previews of plan files, read-only (their pickled rows are not shown): written by a
    preview and consumed by its apply (``sheets.plan_import``); deleting one only means the
    apply checks the file afresh."""

    list_display = ["id", "user", "file_sha256", "today", "created_at"]
    fields = ["user", "file_sha256", "data_version", "today", "created_at"]
    readonly_fields = ["user", "file_sha256", "data_version", "today", "created_at"]  # = fields
    list_select_related = ["user"]

    @override
    def has_add_permission(self, request) -> bool:
        return False

    @override
    def has_change_permission(self, request, obj=None) -> bool:
        return False
