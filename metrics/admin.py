from __future__ import annotations

from typing import TYPE_CHECKING, cast

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import ValidationError
from django.http import HttpRequest
from typing_extensions import override

from metrics.models import (
    KPI,
    Alert,
    AlertEvent,
    DirtySubject,
    GapScore,
    Measurement,
    MeasurementCorrection,
    NotificationPreferences,
    OutboxMessage,
    RecomputeChunk,
    RecomputeRun,
    TargetRevision,
    TrajectoryPoint,
    Webhook,
    WebhookDelivery,
)
from metrics.services import PLAN_FIELDS, kpi_plan, kpi_save, webhook_save, webhook_scope_check
from metrics.webhook_formats import standard_secret
from strategy.forms import VersionCheckedModelForm

if TYPE_CHECKING:
    from django.contrib.auth.models import User


class KPIAdminForm(VersionCheckedModelForm):
    """The KPI admin form: the editable fields and a revision reason, required when an existing
    KPI's plan (baseline, target, range) changes."""

    revision_reason = forms.CharField(
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text="Required when the baseline, target or range of an existing KPI changes: "
        "it is kept in the KPI's revision history.",
    )

    class Meta:
        model = KPI
        fields = KPI.EDITABLE_FIELDS

    @override
    def clean(self):
        cleaned = super().clean()
        plan_changed = self.instance.pk and any(f in self.changed_data for f in PLAN_FIELDS)
        if plan_changed and not (cleaned.get("revision_reason") or "").strip():
            self.add_error("revision_reason", "Say why the plan changed.")
        return cleaned


class TrajectoryInline(admin.TabularInline):
    """A KPI's trajectory points, edited on its admin page."""

    model = TrajectoryPoint
    extra = 0


class TargetRevisionInline(admin.TabularInline):
    """A KPI's plan revisions, read only (written by ``kpi_save``)."""

    model = TargetRevision
    extra = 0
    fields = ("changed_at", "changed_by", "reason", "old_plan", "new_plan")
    readonly_fields = fields
    can_delete = False

    @override
    def has_add_permission(self, request: HttpRequest, obj=None) -> bool:
        return False


@admin.register(KPI)
class KPIAdmin(admin.ModelAdmin):
    """KPIs in the admin, saved through ``kpi_save`` so that a plan change is kept as a revision
    with its reason."""

    form = KPIAdminForm
    list_display = ["name", "key", "kind", "direction", "team", "owner", "is_active"]
    list_filter = ["kind", "direction", "is_active", "team"]
    search_fields = ["name", "key", "description"]
    autocomplete_fields = ["owner", "team", "objective", "initiative"]
    list_select_related = ["team", "owner"]
    inlines = [TrajectoryInline, TargetRevisionInline]

    @override
    def save_model(self, request: HttpRequest, obj: KPI, form, change: bool) -> None:
        previous = None
        if change:
            previous = kpi_plan(kpi=KPI.objects.get(pk=obj.pk))
        kpi_save(
            kpi=obj,
            changed_by=request.user,
            reason=form.cleaned_data.get("revision_reason", ""),
            previous_plan=previous,
        )


@admin.register(Measurement)
class MeasurementAdmin(admin.ModelAdmin):
    """Measurements in the admin; never deleted here (a value is corrected, and the correction
    kept)."""

    list_display = ["kpi", "as_of", "value", "source", "entered_by"]
    list_filter = ["source"]
    search_fields = ["kpi__name", "kpi__key"]
    autocomplete_fields = ["kpi", "entered_by"]
    list_select_related = ["kpi", "entered_by"]
    date_hierarchy = "as_of"
    show_full_result_count = False

    @override
    def has_delete_permission(self, request: HttpRequest, obj=None) -> bool:
        return False


@admin.register(MeasurementCorrection)
class MeasurementCorrectionAdmin(admin.ModelAdmin):
    """Measurement corrections in the admin, read only (history)."""

    list_display = ["measurement", "old_value", "new_value", "source", "changed_by", "changed_at"]
    list_select_related = ["measurement__kpi", "changed_by"]

    @override
    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    @override
    def has_change_permission(self, request: HttpRequest, obj=None) -> bool:
        return False


@admin.register(GapScore)
class GapScoreAdmin(admin.ModelAdmin):
    """Gap scores in the admin, read only: the engine writes them."""

    list_display = ["subject_type", "subject_id", "status", "score", "progress", "computed_at"]
    list_filter = ["subject_type", "status", "is_latest"]
    search_fields = ["reason"]
    date_hierarchy = "computed_at"
    show_full_result_count = False

    @override
    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    @override
    def has_change_permission(self, request: HttpRequest, obj=None) -> bool:
        return False

    @override
    def has_delete_permission(self, request: HttpRequest, obj=None) -> bool:
        return False


class AlertEventInline(admin.TabularInline):
    """The alert's log, read-only: it is written by the services and the engine."""

    model = AlertEvent
    fields = ("at", "kind", "by", "severity", "until", "note")
    readonly_fields = fields
    extra = 0
    can_delete = False

    @override
    def has_add_permission(self, request: HttpRequest, obj=None) -> bool:
        return False


@admin.register(Alert)
class AlertAdmin(admin.ModelAdmin):
    """Alerts in the admin; the engine's and the handling fields are read only."""

    list_display = ["title", "kind", "severity", "status", "owner", "team", "opened_at"]
    list_filter = ["status", "kind", "severity", "team"]
    search_fields = ["title", "message", "dedup_key"]
    list_select_related = ["owner", "team"]
    readonly_fields = [
        "dedup_key",
        "opened_at",
        "last_seen_at",
        "reopened_count",
        "notified_at",
        "peak_severity",
        "acknowledge_note",
        "snoozed_at",
        "snoozed_until",
        "snoozed_by",
        "snooze_note",
        "clear_since",
    ]
    inlines = [AlertEventInline]


@admin.register(DirtySubject)
class DirtySubjectAdmin(admin.ModelAdmin):
    """The subjects marked for recompute and not yet recomputed."""

    list_display = ["subject_type", "subject_id", "marked_at"]
    list_filter = ["subject_type"]


class RecomputeChunkInline(admin.TabularInline):
    """A recompute run's chunks, read only (their stage, status, attempts and worker)."""

    model = RecomputeChunk
    fields = (
        "stage",
        "position",
        "status",
        "attempts",
        "worker",
        "claimed_at",
        "heartbeat_at",
        "finished_at",
    )
    readonly_fields = fields
    extra = 0
    can_delete = False

    @override
    def has_add_permission(self, request: HttpRequest, obj=None) -> bool:
        return False


@admin.register(RecomputeRun)
class RecomputeRunAdmin(admin.ModelAdmin):
    """Full recompute runs, for operators: which stage a run is in and which worker holds
    which chunk. Read-only: the workers and the sweep move them."""

    list_display = ["id", "today", "status", "stage", "started_at", "finished_at"]
    list_filter = ["status"]
    readonly_fields = ["today", "as_of", "stage", "status", "started_at", "finished_at"]
    inlines = [RecomputeChunkInline]

    @override
    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    @override
    def has_change_permission(self, request: HttpRequest, obj=None) -> bool:
        return False


class WebhookAdminForm(VersionCheckedModelForm):
    """The webhook's fields, its owner and team scope checked like the API's
    (``webhook_scope_check``), and the version seen."""

    url = forms.URLField(max_length=500, assume_scheme="https")

    class Meta:
        model = Webhook
        fields = ["name", "kind", "url", "is_active", "min_severity", "owner", "team"]

    @override
    def clean(self):
        cleaned = super().clean()
        team = cleaned.get("team")
        try:
            webhook_scope_check(owner=cleaned.get("owner"), team_id=team.pk if team else None)
        except ValidationError as error:
            self.add_error(None, error)
        return cleaned


@admin.register(Webhook)
class WebhookAdmin(admin.ModelAdmin):
    """Webhooks in the admin, saved through ``webhook_save``; a new one's signing secret is shown
    once, in a message."""

    list_display = ["name", "kind", "url", "is_active", "min_severity", "owner", "team"]
    list_filter = ["is_active", "kind"]
    list_select_related = ["owner", "team"]
    autocomplete_fields = ["owner", "team"]
    form = WebhookAdminForm

    @override
    def save_model(self, request: HttpRequest, obj: Webhook, form, change: bool) -> None:
        if not change:
            obj.created_by = cast("User", request.user)  # the admin's: a signed-in user
        webhook_save(webhook=obj)
        if not change:
            # Shown once; messages live in the session (MESSAGE_STORAGE), never in a cookie.
            messages.warning(
                request,
                f"Signing secret of “{obj.name}” (copy it now, it is not shown again): "
                f"{obj.new_secret} (Standard Webhooks form: {standard_secret(obj.new_secret)})",
            )


@admin.register(WebhookDelivery)
class WebhookDeliveryAdmin(admin.ModelAdmin):
    """Webhook deliveries in the admin (status, attempts, response); none is added here."""

    list_display = [
        "event",
        "webhook",
        "alert",
        "status",
        "attempts",
        "response_code",
        "created_at",
    ]
    list_filter = ["status", "webhook"]
    list_select_related = ["webhook", "alert"]

    @override
    def has_add_permission(self, request: HttpRequest) -> bool:
        return False


@admin.register(OutboxMessage)
class OutboxMessageAdmin(admin.ModelAdmin):
    """The notification outbox, read-only: rows are written and sent by the notifier."""

    list_display = [
        "created_at",
        "kind",
        "event",
        "channel",
        "to_address",
        "subject",
        "status",
        "attempts",
    ]
    list_filter = ["status", "kind", "event", "channel"]
    search_fields = ["to_address", "subject"]

    @override
    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    @override
    def has_change_permission(self, request: HttpRequest, obj=None) -> bool:
        return False


@admin.register(NotificationPreferences)
class NotificationPreferencesAdmin(admin.ModelAdmin):
    """People's notification preferences (each sets their own on the Notifications page)."""

    list_display = [
        "user",
        "alert_critical",
        "alert_warning",
        "mention",
        "reminder",
        "weekly_digest",
    ]
    list_select_related = ["user"]
    search_fields = ["user__username", "user__email"]
    autocomplete_fields = ["user"]
