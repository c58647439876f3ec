from __future__ import annotations

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import ValidationError
from typing_extensions import override

from strategy.forms import VersionCheckedModelForm
from strategy.models import (
    ApiToken,
    HandOver,
    Invitation,
    Membership,
    Objective,
    Period,
    StatusTransition,
    Strategy,
    Team,
    Theme,
)
from strategy.services import objective_save, token_create, token_revoke


class MembershipInline(admin.TabularInline):
    """A team's memberships, edited on the team's admin page (saved as they are, not through
    ``membership_set``)."""

    model = Membership
    extra = 1
    autocomplete_fields = ["user"]


@admin.register(Team)
class TeamAdmin(admin.ModelAdmin):
    """Teams in the admin; the form refuses a save over someone else's newer one
    (``VersionCheckedModelForm``)."""

    form = VersionCheckedModelForm
    list_display = ["name", "kind", "parent", "is_private"]
    list_filter = ["kind", "is_private"]
    search_fields = ["name", "slug"]
    prepopulated_fields = {"slug": ["name"]}
    autocomplete_fields = ["parent"]
    inlines = [MembershipInline]
    list_select_related = ["parent"]


@admin.register(Membership)
class MembershipAdmin(admin.ModelAdmin):
    """Memberships in the admin (saved as they are, not through ``membership_set``)."""

    list_display = ["user", "team", "role"]
    list_filter = ["role", "team"]
    search_fields = ["user__username", "user__first_name", "user__last_name", "team__name"]
    autocomplete_fields = ["user", "team"]
    list_select_related = ["user", "team"]


@admin.register(Period)
class PeriodAdmin(admin.ModelAdmin):
    """Planning periods in the admin, version-checked."""

    form = VersionCheckedModelForm
    list_display = ["name", "kind", "start_date", "end_date"]
    list_filter = ["kind"]
    search_fields = ["name"]


class ThemeInline(admin.TabularInline):
    """A strategy's themes, edited on its admin page, version-checked."""

    model = Theme
    form = VersionCheckedModelForm
    extra = 0
    fields = ["order", "name", "colour", "weight"]


@admin.register(Strategy)
class StrategyAdmin(admin.ModelAdmin):
    """Strategies in the admin, with their themes, version-checked."""

    form = VersionCheckedModelForm
    list_display = ["name", "status", "horizon_start", "horizon_end", "owner"]
    list_filter = ["status"]
    search_fields = ["name", "vision"]
    autocomplete_fields = ["owner"]
    inlines = [ThemeInline]


@admin.register(Theme)
class ThemeAdmin(admin.ModelAdmin):
    """Themes in the admin, version-checked."""

    form = VersionCheckedModelForm
    list_display = ["name", "strategy", "order", "weight", "colour"]
    list_filter = ["strategy"]
    search_fields = ["name"]
    list_select_related = ["strategy"]


@admin.register(Objective)
class ObjectiveAdmin(admin.ModelAdmin):
    """Objectives in the admin, version-checked and saved through ``objective_save`` so that a
    status change is recorded."""

    form = VersionCheckedModelForm
    list_display = ["title", "key", "theme", "team", "owner", "parent", "status", "due_date"]
    list_filter = ["status", "strategy", "theme", "period", "team", "priority"]
    search_fields = ["title", "key", "description"]
    autocomplete_fields = ["parent", "owner", "team", "theme", "period"]
    list_select_related = ["theme", "team", "owner", "parent"]
    date_hierarchy = "due_date"

    @override
    def save_model(self, request, obj, form, change) -> None:
        objective_save(objective=obj, by=request.user)  # status changes leave their trail


@admin.register(StatusTransition)
class StatusTransitionAdmin(admin.ModelAdmin):
    """The status history, read-only: it is written by the save services only."""

    list_display = [
        "subject_type",
        "subject_id",
        "from_status",
        "to_status",
        "changed_by",
        "changed_at",
    ]
    list_filter = ["subject_type", "to_status"]
    list_select_related = ["changed_by"]

    @override
    def has_add_permission(self, request) -> bool:
        return False

    @override
    def has_change_permission(self, request, obj=None) -> bool:
        return False

    @override
    def has_delete_permission(self, request, obj=None) -> bool:
        return False


class ApiTokenCreateForm(forms.ModelForm):
    """The admin's form for a new API token: user, name, scopes and expiry (at most
    ``API_TOKEN_MAX_TTL_DAYS`` ahead)."""

    scopes = forms.MultipleChoiceField(
        choices=ApiToken.Scope.choices, widget=forms.CheckboxSelectMultiple
    )

    class Meta:
        model = ApiToken
        fields = ["user", "name", "scopes", "expiry"]

    def clean_expiry(self):
        """Empty: the longest allowed; beyond ``API_TOKEN_MAX_TTL_DAYS``: a form error (the
        same bound as ``token_create``), not a server error."""
        import datetime as dt

        from django.conf import settings
        from django.utils import timezone

        expiry = self.cleaned_data.get("expiry")
        days = settings.API_TOKEN_MAX_TTL_DAYS
        if expiry is not None and expiry > timezone.now() + dt.timedelta(days=days, minutes=1):
            raise ValidationError(f"At most {days} days from now (API_TOKEN_MAX_TTL_DAYS).")
        return expiry


@admin.register(ApiToken)
class ApiTokenAdmin(admin.ModelAdmin):
    """Tokens are created through ``token_create`` (scope rules) and shown once, here."""

    list_display = ["name", "user", "token_key", "scopes", "created", "expiry", "last_used_at"]
    list_filter = [("revoked_at", admin.EmptyFieldListFilter)]
    search_fields = ["name", "token_key", "user__username"]
    list_select_related = ["user"]
    autocomplete_fields = ["user"]
    actions = ["revoke"]
    readonly_fields = [
        "user",
        "name",
        "scopes",
        "token_key",
        "created",
        "created_by",
        "expiry",
        "last_used_at",
        "revoked_at",
    ]

    @override
    def get_form(self, request, obj=None, change=False, **kwargs):
        if obj is None:
            kwargs["form"] = ApiTokenCreateForm
        return super().get_form(request, obj, change, **kwargs)

    @override
    def get_readonly_fields(self, request, obj=None):
        return self.readonly_fields if obj is not None else []

    @override
    def get_fields(self, request, obj=None):
        return self.readonly_fields if obj is not None else ["user", "name", "scopes", "expiry"]

    @override
    def save_model(self, request, obj, form, change):
        if change:
            return
        try:
            token, secret = token_create(
                user=form.cleaned_data["user"],
                name=form.cleaned_data["name"],
                scopes=form.cleaned_data["scopes"],
                expires_at=form.cleaned_data["expiry"],
                created_by=request.user,
            )
        except ValidationError as exc:
            self.message_user(request, "; ".join(exc.messages), messages.ERROR)
            raise
        obj.pk = token.pk
        self.message_user(
            request,
            f"Token created. Copy it now, it will not be shown again: {secret}",
            messages.WARNING,
        )

    @override
    def has_change_permission(self, request, obj=None) -> bool:
        return obj is None and super().has_change_permission(request, obj)

    @admin.action(description="Revoke the selected tokens")
    def revoke(self, request, queryset):
        """The admin action: revoke the selected tokens through ``token_revoke`` (already revoked
        ones are skipped, not counted); says how many."""
        count = sum(token_revoke(token=token, by=request.user) for token in queryset)
        self.message_user(request, f"{count} token(s) revoked.")


@admin.register(HandOver)
class HandOverAdmin(admin.ModelAdmin):
    """Hand-overs of leaving people's work, read-only (made on /people/hand-over/ or the API)."""

    list_display = [
        "done_at",
        "leaving",
        "successor",
        "done_by",
        "objectives",
        "initiatives",
        "kpis",
    ]
    list_select_related = ["leaving", "successor", "done_by"]

    @override
    def has_add_permission(self, request) -> bool:
        return False

    @override
    def has_change_permission(self, request, obj=None) -> bool:
        return False

    @override
    def has_delete_permission(self, request, obj=None) -> bool:
        return False


@admin.register(Invitation)
class InvitationAdmin(admin.ModelAdmin):
    """Invitations, read-only: they are sent, resent and accepted on the People pages
    (``strategy.invitations``), which sign the link; an edit here would bypass that."""

    list_display = ["user", "team", "role", "invited_by", "sent_at", "times_sent", "accepted_at"]
    list_filter = ["role"]
    list_select_related = ["user", "team", "invited_by"]
    search_fields = ["user__username", "user__email"]

    @override
    def has_add_permission(self, request) -> bool:
        return False

    @override
    def has_change_permission(self, request, obj=None) -> bool:
        return False

    @override
    def has_delete_permission(self, request, obj=None) -> bool:
        return False
