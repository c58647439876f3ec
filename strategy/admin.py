from __future__ import annotations

from django.contrib import admin

from strategy.models import Membership, Objective, Period, Strategy, Team, Theme


class MembershipInline(admin.TabularInline):
    model = Membership
    extra = 1
    autocomplete_fields = ["user"]


@admin.register(Team)
class TeamAdmin(admin.ModelAdmin):
    list_display = ["name", "kind", "parent", "is_private"]
    list_filter = ["kind", "is_private"]
    search_fields = ["name", "slug"]
    prepopulated_fields = {"slug": ["name"]}
    autocomplete_fields = ["parent"]
    inlines = [MembershipInline]
    list_select_related = ["parent"]


@admin.register(Membership)
class MembershipAdmin(admin.ModelAdmin):
    list_display = ["user", "team", "role"]
    list_filter = ["role", "team"]
    search_fields = ["user__username", "user__first_name", "user__last_name", "team__name"]
    autocomplete_fields = ["user", "team"]
    list_select_related = ["user", "team"]


@admin.register(Period)
class PeriodAdmin(admin.ModelAdmin):
    list_display = ["name", "kind", "start_date", "end_date"]
    list_filter = ["kind"]
    search_fields = ["name"]


class ThemeInline(admin.TabularInline):
    model = Theme
    extra = 0
    fields = ["order", "name", "colour", "weight"]


@admin.register(Strategy)
class StrategyAdmin(admin.ModelAdmin):
    list_display = ["name", "status", "horizon_start", "horizon_end", "owner"]
    list_filter = ["status"]
    search_fields = ["name", "vision"]
    autocomplete_fields = ["owner"]
    inlines = [ThemeInline]


@admin.register(Theme)
class ThemeAdmin(admin.ModelAdmin):
    list_display = ["name", "strategy", "order", "weight", "colour"]
    list_filter = ["strategy"]
    search_fields = ["name"]
    list_select_related = ["strategy"]


@admin.register(Objective)
class ObjectiveAdmin(admin.ModelAdmin):
    list_display = ["title", "theme", "team", "owner", "parent", "status", "due_date"]
    list_filter = ["status", "strategy", "theme", "period", "team", "priority"]
    search_fields = ["title", "description"]
    autocomplete_fields = ["parent", "owner", "team", "theme", "period"]
    list_select_related = ["theme", "team", "owner", "parent"]
    date_hierarchy = "due_date"
