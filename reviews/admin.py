from __future__ import annotations

from django.contrib import admin
from typing_extensions import override

from reviews.models import ActionItem, Decision, Meeting, Pack, PackPdf, Review


@admin.register(Review)
class ReviewAdmin(admin.ModelAdmin):
    """Reviews: name, scope and cadence."""

    list_display = ("name", "scope", "cadence", "strategy", "owner")
    list_filter = ("scope", "cadence")
    search_fields = ("name",)
    raw_id_fields = ("owner", "team", "theme", "objective", "strategy")
    filter_horizontal = ("participants",)


@admin.register(Meeting)
class MeetingAdmin(admin.ModelAdmin):
    """Meetings of reviews."""

    list_display = ("review", "starts_at", "status")
    list_filter = ("status",)


@admin.register(Pack)
class PackAdmin(admin.ModelAdmin):
    """Frozen packs: read only (a pack never changes)."""

    list_display = ("review", "meeting", "as_of", "frozen_at")

    @override
    def has_change_permission(self, request, obj=None) -> bool:
        return False

    @override
    def has_add_permission(self, request) -> bool:
        return False


@admin.register(PackPdf)
class PackPdfAdmin(admin.ModelAdmin):
    """Pack PDF render jobs and their stored PDFs (reviews.pdf): read only; deleting one makes
    the next request lay the PDF out again."""

    list_display = ("pack", "status", "pages", "size", "seconds", "attempts", "requested_at")
    list_filter = ("status",)
    exclude = ("html", "content")
    readonly_fields = (
        *("pack", "key", "base_url", "status", "pages", "size", "seconds", "attempts"),
        *("claim", "error", "created_at", "requested_at", "enqueued_at", "claimed_at"),
        "finished_at",
    )

    @override
    def has_change_permission(self, request, obj=None) -> bool:
        return False

    @override
    def has_add_permission(self, request) -> bool:
        return False


@admin.register(Decision)
class DecisionAdmin(admin.ModelAdmin):
    """Decisions taken in meetings."""

    list_display = ("__str__", "meeting", "decided_by", "created_at")


@admin.register(ActionItem)
class ActionItemAdmin(admin.ModelAdmin):
    """Action items."""

    list_display = ("title", "owner", "due_date", "status")
    list_filter = ("status",)
    raw_id_fields = ("owner", "team", "meeting", "decision", "initiative", "created_by")
