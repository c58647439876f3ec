from __future__ import annotations

from django.contrib import admin
from django.http import HttpRequest
from typing_extensions import override

from initiatives.models import CheckIn, Initiative, InitiativeDependency, Milestone, SpendEntry
from initiatives.services import (
    checkin_append,
    initiative_history_latest_id,
    initiative_members_record,
    initiative_save,
    milestone_save,
    spend_save,
)
from strategy.forms import VersionCheckedModelForm

# The admin saves through the same services as the pages and the API, so what it writes has
# the same effects: a check-in sets its initiative's progress, and every change marks the
# initiative's score for the gap engine to recompute.


class MilestoneInline(admin.TabularInline):
    """An initiative's milestones, edited on its admin page
    (version-checked like the page's form)."""

    model = Milestone
    form = VersionCheckedModelForm
    extra = 0
    fields = ["title", "due_date", "completed_on", "weight"]


class DependencyInline(admin.TabularInline):
    """The initiatives an initiative depends on, edited on its admin page."""

    model = InitiativeDependency
    fk_name = "initiative"
    extra = 0
    autocomplete_fields = ["depends_on"]


class CheckInInline(admin.TabularInline):
    """Check-ins are append-only: shown here, never edited or deleted."""

    model = CheckIn
    extra = 0
    fields = ("created_at", "author", "rag", "confidence", "progress", "summary")
    readonly_fields = fields
    can_delete = False
    show_change_link = True
    ordering = ["-created_at"]

    @override
    def has_add_permission(self, request: HttpRequest, obj=None) -> bool:
        return False


@admin.register(Initiative)
class InitiativeAdmin(admin.ModelAdmin):
    """Initiatives in the admin: saved through ``initiative_save`` so that history and contributors
    are recorded as on the pages."""

    form = VersionCheckedModelForm
    list_display = ["title", "key", "objective", "team", "owner", "status", "progress", "due_date"]
    list_filter = ["status", "priority", "team"]
    search_fields = ["title", "key", "description"]
    autocomplete_fields = ["objective", "team", "owner", "contributors"]
    list_select_related = ["objective", "team", "owner"]
    date_hierarchy = "due_date"
    inlines = [MilestoneInline, DependencyInline, CheckInInline]

    @override
    def save_model(self, request: HttpRequest, obj, form, change) -> None:
        # The contributors with the rest: one version in the history.
        obj._history_before = initiative_history_latest_id(initiative=obj) if change else 0
        initiative_save(
            initiative=obj, contributors=form.cleaned_data.get("contributors"), by=request.user
        )

    @override
    def save_related(self, request: HttpRequest, form, formsets, change) -> None:
        form.cleaned_data.pop("contributors", None)  # saved by save_model
        super().save_related(request, form, formsets, change)
        # The dependency inline writes its rows itself: the save's version lists them, or,
        # when only they changed, one version records them.
        initiative_members_record(
            initiative=form.instance,
            since_history_id=getattr(form.instance, "_history_before", 0),
            by=request.user,
        )


@admin.register(Milestone)
class MilestoneAdmin(admin.ModelAdmin):
    """Milestones in the admin, saved through ``milestone_save`` (version check, history)."""

    form = VersionCheckedModelForm
    list_display = ["title", "initiative", "due_date", "completed_on", "weight"]
    list_filter = ["completed_on"]
    search_fields = ["title", "initiative__title"]
    autocomplete_fields = ["initiative"]
    list_select_related = ["initiative"]

    @override
    def save_model(self, request: HttpRequest, obj, form, change) -> None:
        milestone_save(milestone=obj, by=request.user)


@admin.register(CheckIn)
class CheckInAdmin(admin.ModelAdmin):
    """Check-ins in the admin: append-only (a saved one is read only and never deleted)."""

    list_display = ["initiative", "author", "created_at", "rag", "confidence", "progress"]
    list_filter = ["rag"]
    search_fields = ["initiative__title", "summary"]
    autocomplete_fields = ["initiative", "author"]
    list_select_related = ["initiative", "author"]
    date_hierarchy = "created_at"

    @override
    def get_readonly_fields(self, request: HttpRequest, obj=None) -> list[str]:
        # Append-only: a saved check-in is history.
        if obj is not None:
            return [f.name for f in self.model._meta.fields]
        return []

    @override
    def has_delete_permission(self, request: HttpRequest, obj=None) -> bool:
        return False

    @override
    def save_model(self, request: HttpRequest, obj, form, change) -> None:
        if change:  # a saved check-in is history: nothing of it is editable
            return
        checkin_append(checkin=obj)


@admin.register(SpendEntry)
class SpendEntryAdmin(admin.ModelAdmin):
    """Spend entries in the admin, saved through ``spend_save``."""

    list_display = ["initiative", "date", "amount", "category", "entered_by"]
    list_filter = ["category"]
    search_fields = ["initiative__title", "note"]
    autocomplete_fields = ["initiative", "entered_by"]
    list_select_related = ["initiative", "entered_by"]
    date_hierarchy = "date"

    @override
    def save_model(self, request: HttpRequest, obj, form, change) -> None:
        spend_save(entry=obj, by=request.user)
