from __future__ import annotations

from django.contrib import admin
from typing_extensions import override

from support.models import AssessmentReport, Barrier, SupportMeasure


@admin.register(AssessmentReport)
class AssessmentReportAdmin(admin.ModelAdmin):
    """Read-only: reports are written by their pages (a frozen report never changes)."""

    list_display = ["title", "strategy", "period", "status", "as_of"]
    list_filter = ["status"]

    @override
    def has_add_permission(self, request) -> bool:
        return False

    @override
    def has_change_permission(self, request, obj=None) -> bool:
        return False


@admin.register(Barrier)
class BarrierAdmin(admin.ModelAdmin):
    """Barriers in the admin, read only: they are written when a report is frozen."""

    list_display = ["report", "rank", "capability", "score"]

    @override
    def has_add_permission(self, request) -> bool:
        return False

    @override
    def has_change_permission(self, request, obj=None) -> bool:
        return False


@admin.register(SupportMeasure)
class SupportMeasureAdmin(admin.ModelAdmin):
    """Support measures in the admin, read only: they are made with their initiative on the support
    plan pages."""

    list_display = ["initiative", "barrier", "category", "capability", "adoption"]

    @override
    def has_add_permission(self, request) -> bool:
        return False

    @override
    def has_change_permission(self, request, obj=None) -> bool:
        return False
