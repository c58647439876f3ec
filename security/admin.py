from __future__ import annotations

from django.contrib import admin
from typing_extensions import override

from security.models import SecurityEvent


@admin.register(SecurityEvent)
class SecurityEventAdmin(admin.ModelAdmin):
    """Read-only: the log is written by the application, never edited."""

    list_display = ["at", "kind", "actor_name", "subject_name", "ip", "count", "request_id"]
    list_filter = ["kind"]
    search_fields = ["actor_name", "subject_name", "request_id", "ip"]
    date_hierarchy = "at"
    readonly_fields = [f.name for f in SecurityEvent._meta.fields]

    @override
    def has_add_permission(self, request) -> bool:
        return False

    @override
    def has_change_permission(self, request, obj=None) -> bool:
        return False

    @override
    def has_delete_permission(self, request, obj=None) -> bool:
        return False
