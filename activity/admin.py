"""The history in the admin: readable by the strategy office, never editable (no add, change
or delete, also not for a superuser)."""

from __future__ import annotations

from django.contrib import admin
from typing_extensions import override

from activity.history import TRACKED, tracked_m2m_fields
from activity.models import Comment


class HistoryAdmin(admin.ModelAdmin):
    """One tracked model's history rows, read-only."""

    list_display = ["history_date", "history_type", "history_user", "history_change_reason"]
    list_filter = ["history_type"]
    list_select_related = ["history_user"]
    date_hierarchy = "history_date"

    @override
    def has_add_permission(self, request) -> bool:
        return False

    @override
    def has_change_permission(self, request, obj=None) -> bool:
        return False

    @override
    def has_delete_permission(self, request, obj=None) -> bool:
        return False


class HistoryMembersInline(admin.TabularInline):
    """The members of a tracked many-to-many field in one version (e.g. an initiative's
    contributors), read-only like the version itself."""

    extra = 0
    can_delete = False

    @override
    def has_add_permission(self, request, obj=None) -> bool:
        return False

    @override
    def has_change_permission(self, request, obj=None) -> bool:
        return False


def _members_inlines(tracked) -> list[type[admin.TabularInline]]:
    """One read-only inline per many-to-many field the model's history records."""
    return [
        type(
            f"{through.__name__}Inline",
            (HistoryMembersInline,),
            {"model": through, "fk_name": "history"},
        )
        for through in (
            getattr(tracked.history_model, m2m.name).model
            for m2m in tracked_m2m_fields(tracked.model)
        )
    ]


for tracked in TRACKED.values():
    admin.site.register(
        tracked.history_model,
        type(
            f"{tracked.history_model.__name__}Admin",
            (HistoryAdmin,),
            {"inlines": _members_inlines(tracked)},
        ),
    )


@admin.register(Comment)
class CommentAdmin(HistoryAdmin):
    """Comments, read-only for superusers: posting, editing within the window and deleting
    (which leaves a trace) happen on the pages and the API (``activity.comments``)."""

    list_display = ["subject_type", "subject_id", "author", "created_at", "edited_at", "deleted_at"]
    list_filter = ["subject_type"]
    list_select_related = ["author"]
    date_hierarchy = "created_at"
