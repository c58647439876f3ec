"""Alerts the gap engine raises on subjects, and each alert's event log."""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone

from execsupport.validation import REASON_MAX, text_validators
from metrics.models.common import SubjectType
from strategy.models import Team

if TYPE_CHECKING:
    from metrics.explain import AlertText


class Alert(models.Model):
    """A condition the gap engine found on a subject (KPI, initiative, milestone, objective, action
    item): kind, severity, status (open, acknowledged, resolved), owner and team; one active
    alert per ``dedup_key``."""

    class Kind(models.TextChoices):
        KPI_OFF_TRACK = "kpi_off_track", "KPI off track"
        KPI_AT_RISK = "kpi_at_risk", "KPI at risk"
        KPI_FORECAST_MISS = "kpi_forecast_miss", "KPI forecast to miss target"
        KPI_STALE = "kpi_stale", "KPI not measured"
        INITIATIVE_STALE = "initiative_stale", "No recent check-in"
        MILESTONE_OVERDUE = "milestone_overdue", "Milestone overdue"
        SCHEDULE_SLIP = "schedule_slip", "Schedule slipping"
        BUDGET_BURN = "budget_burn", "Budget burn ahead of progress"
        OVER_BUDGET = "over_budget", "Over budget"
        UNOWNED = "unowned", "No owner"
        EARLY_WARNING = "early_warning", "Leading indicator warns"
        OBJECTIVE_OFF_TRACK = "objective_off_track", "Objective off track"
        SCORE_UNAVAILABLE = "score_unavailable", "Score unavailable"
        ACTION_OVERDUE = "action_overdue", "Action item overdue"

    class Severity(models.IntegerChoices):
        INFO = 1, "Info"
        WARNING = 2, "Warning"
        CRITICAL = 3, "Critical"

    class Status(models.TextChoices):
        OPEN = "open", "Open"
        ACKNOWLEDGED = "acknowledged", "Acknowledged"
        RESOLVED = "resolved", "Resolved"

    ACTIVE_STATUSES = (Status.OPEN, Status.ACKNOWLEDGED)

    kind = models.CharField(max_length=20, choices=Kind.choices)
    severity = models.PositiveSmallIntegerField(choices=Severity.choices, default=Severity.WARNING)
    subject_type = models.CharField(max_length=10, choices=SubjectType.choices)
    subject_id = models.BigIntegerField()
    team = models.ForeignKey(
        Team,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="alerts",
        help_text="The team the subject belongs to: scopes who may see the alert.",
    )
    dedup_key = models.CharField(
        max_length=200, help_text="One condition on one subject gives one active alert."
    )
    title = models.CharField(max_length=200, help_text="Naming no object (see title_parts).")
    message = models.TextField(
        help_text="Why it fired, and what to do; naming no object (see message_parts)."
    )
    title_parts = models.JSONField(
        null=True, blank=True, help_text="The title as strategy.derived parts, for each reader."
    )
    message_parts = models.JSONField(
        null=True, blank=True, help_text="The message as strategy.derived parts, for each reader."
    )
    details = models.JSONField(default=dict, blank=True)
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="alerts",
        help_text="The person to notify and to act.",
    )
    status = models.CharField(max_length=12, choices=Status.choices, default=Status.OPEN)
    opened_at = models.DateTimeField(default=timezone.now)
    last_seen_at = models.DateTimeField(default=timezone.now)
    acknowledged_at = models.DateTimeField(null=True, blank=True)
    acknowledged_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    resolved_at = models.DateTimeField(null=True, blank=True)
    resolved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        help_text="Empty when resolved automatically because the condition cleared.",
    )
    reopened_count = models.PositiveIntegerField(default=0)
    peak_severity = models.PositiveSmallIntegerField(
        choices=Severity.choices,
        default=Severity.INFO,
        help_text="The highest severity it has had: it worsens (is notified again, ends a "
        "snooze or an acknowledgement) only when its severity rises above this.",
    )
    acknowledge_note = models.TextField(
        blank=True,
        default="",
        validators=text_validators(REASON_MAX),
        help_text="Why it was acknowledged (the last acknowledgement).",
    )
    snoozed_at = models.DateTimeField(null=True, blank=True)
    snoozed_until = models.DateTimeField(
        null=True,
        blank=True,
        help_text="It notifies nobody until then, unless its severity rises (it worsens).",
    )
    snoozed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    snooze_note = models.TextField(
        blank=True,
        default="",
        validators=text_validators(REASON_MAX),
        help_text="Why it was snoozed.",
    )
    clear_since = models.DateTimeField(
        null=True,
        blank=True,
        help_text="When its condition was first seen clear while the alert stayed active "
        "(hysteresis: it resolves once clear for GAP_ALERT_CLEAR_DAYS); written once.",
    )
    root = models.ForeignKey(
        "self",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="causes",
        help_text="The objective's off-track alert this one is a cause of (the inbox lists it "
        "inside that one); set by the engine.",
    )
    notified_at = models.DateTimeField(
        null=True,
        blank=True,
        help_text="When a message about it was last actually sent (an e-mail or a webhook "
        "delivery), set by the outbox and the webhook sender.",
    )
    notify_claimed_at = models.DateTimeField(
        null=True,
        blank=True,
        help_text="When a notification batch last took it on (the once-per-opening guard and "
        "the renotify window); messages then go through the outbox.",
    )

    # Not fields: what the pages, messages and the engine attach to the alerts they handle.
    text: AlertText  # for one reader (metrics.explain.alerts_render)
    subject_url: str | None  # metrics.selectors.alert_subject_links
    link: str | None  # absolute URL, in e-mails (metrics.digest)
    can_handle: bool  # may the reader acknowledge or resolve it (pages)
    reopened_now: bool  # the engine's reopening (metrics.engine.alert_writes)
    worse: bool  # reopened with a higher severity than its peak (metrics.engine.alert_writes)

    class Meta:
        ordering = ["-severity", "-opened_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["dedup_key"],
                condition=Q(status__in=["open", "acknowledged"]),
                name="alert_one_active_per_condition",
                violation_error_message="This condition already has an active alert.",
            ),
            models.CheckConstraint(
                condition=~Q(status="resolved") | Q(resolved_at__isnull=False),
                name="alert_resolved_has_time",
            ),
            models.CheckConstraint(
                condition=~Q(status="acknowledged") | Q(acknowledged_at__isnull=False),
                name="alert_acknowledged_has_time",
            ),
        ]
        indexes = [
            # The active alerts, most severe and newest first (the id breaks ties: the engine
            # opens many at the same instant); with the team too, the overview counts the
            # alerts someone may see from this index alone.
            models.Index(
                fields=["-severity", "-opened_at", "-id", "team"],
                condition=Q(status__in=["open", "acknowledged"]),
                name="alert_active_by_severity_team",
            ),
            models.Index(fields=["subject_type", "subject_id"]),
            # Active alerts holding in their margin (few): the engine's check of which
            # subjects it may skip as unchanged (metrics.engine.unchanged) reads only these.
            models.Index(
                fields=["subject_type", "subject_id"],
                condition=Q(status__in=["open", "acknowledged"], clear_since__isnull=False),
                name="alert_holding",
            ),
            models.Index(fields=["owner", "status"]),
            models.Index(fields=["team", "status"]),
        ]

    def __str__(self) -> str:
        return self.title

    def get_absolute_url(self) -> str:
        """The alert's page."""
        return reverse("metrics:alert-detail", args=[self.pk])

    @property
    def is_active(self) -> bool:
        """True while open or acknowledged."""
        return self.status in self.ACTIVE_STATUSES

    def is_snoozed(self, now=None) -> bool:
        """Snoozed now: it notifies nobody until ``snoozed_until`` (or until it worsens)."""
        return self.snoozed_until is not None and self.snoozed_until > (now or timezone.now())


class AlertEvent(models.Model):
    """One step of an alert's life (the alert's log): opened, acknowledged, snoozed, woke,
    worsened, resolved, reopened; who (empty: the gap engine), when, with what note. Written by
    ``metrics.services`` (people) and in bulk by the gap engine (``metrics.engine.alert_writes``);
    read through ``metrics.selectors.alert_events_visible``. Never updated."""

    class Kind(models.TextChoices):
        OPENED = "opened", "Opened"
        ACKNOWLEDGED = "acknowledged", "Acknowledged"
        SNOOZED = "snoozed", "Snoozed"
        WOKE = "woke", "Woke from snooze"
        WORSENED = "worsened", "Worsened"
        RESOLVED = "resolved", "Resolved"
        REOPENED = "reopened", "Reopened"

    # Steps of the engine that notify the alert's owner (unless acknowledged or snoozed).
    NOTIFY_KINDS = (Kind.OPENED, Kind.REOPENED, Kind.WORSENED, Kind.WOKE)

    alert = models.ForeignKey(Alert, on_delete=models.CASCADE, related_name="events")
    kind = models.CharField(max_length=12, choices=Kind.choices)
    at = models.DateTimeField(default=timezone.now)
    by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        help_text="Who did it; empty when the gap engine did (automatic).",
    )
    note = models.TextField(blank=True, default="", validators=text_validators(REASON_MAX))
    severity = models.PositiveSmallIntegerField(
        choices=Alert.Severity.choices, help_text="The alert's severity after this step."
    )
    until = models.DateTimeField(null=True, blank=True, help_text="A snooze's end.")

    class Meta:
        ordering = ["at", "id"]
        indexes = [
            models.Index(fields=["alert", "at", "id"], name="alertevent_alert_at"),
            models.Index(fields=["at", "id"], name="alertevent_at"),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} at {self.at:%Y-%m-%d %H:%M}"
