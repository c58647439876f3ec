from __future__ import annotations

from django.contrib import admin

from support.models import AssessmentReport, Barrier, SupportMeasure


@admin.register(AssessmentReport)
class AssessmentReportAdmin(admin.ModelAdmin):
    """Read-only: reports are written by their pages (a frozen report never changes)."""

    list_display = ["title", "strategy", "period", "status", "as_of"]
    list_filter = ["status"]

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False


@admin.register(Barrier)
class BarrierAdmin(admin.ModelAdmin):
    list_display = ["report", "rank", "capability", "score"]

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False


@admin.register(SupportMeasure)
class SupportMeasureAdmin(admin.ModelAdmin):
    list_display = ["initiative", "barrier", "category", "capability", "adoption"]

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False
