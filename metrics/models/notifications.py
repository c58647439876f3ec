"""What people are told and how: notification events, delivery preferences (with their
time zone) and the outbox of outgoing messages.
"""

from __future__ import annotations

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q
from django.utils import timezone


class NotificationEvent(models.TextChoices):
    """The kinds of event a person may be told of, each with its own preference."""

    ALERT_CRITICAL = "alert_critical", "Critical alerts"
    ALERT_WARNING = "alert_warning", "Warning alerts"
    ALERT_INFO = "alert_info", "Information alerts"
    MENTION = "mention", "Someone mentions me"
    WORK = "work", "Action on my work"
    REMINDER = "reminder", "Check-in and measurement reminders"
    WEEKLY = "weekly", "Weekly digest"


class Delivery(models.TextChoices):
    """How a person wants to hear of a kind of event."""

    IMMEDIATE = "immediate", "At once (e-mail)"
    DIGEST = "digest", "In the daily digest"
    OFF = "off", "Off"


ALERT_EVENTS = {
    3: NotificationEvent.ALERT_CRITICAL,
    2: NotificationEvent.ALERT_WARNING,
    1: NotificationEvent.ALERT_INFO,
}


def time_zone_names() -> list[str]:
    """Every IANA time zone name a person may choose (those this system knows), sorted."""
    import zoneinfo

    return sorted(zoneinfo.available_timezones())


def validate_time_zone(value: str) -> None:
    """An IANA time zone name (``Europe/Berlin``); empty is the server's ``TIME_ZONE``."""
    import zoneinfo

    if value and value not in zoneinfo.available_timezones():
        raise ValidationError(
            "Unknown time zone %(value)s: use an IANA name such as Europe/Berlin.",
            code="invalid",
            params={"value": value[:60]},
        )


class NotificationPreferences(models.Model):
    """How one person wants to be told of each kind of event, and when their weekly digest
    comes (day and hour in their time zone). No row: the quiet defaults below (critical and
    warning alerts at once within the noise budget, information alerts and action on their
    work in the daily digest, mentions and reminders at once, the weekly digest on Monday at
    8:00)."""

    DELIVERY_FIELDS = (
        "alert_critical",
        "alert_warning",
        "alert_info",
        "mention",
        "work",
        "reminder",
    )

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="notification_preferences"
    )
    alert_critical = models.CharField(
        "critical alerts", max_length=10, choices=Delivery.choices, default=Delivery.IMMEDIATE
    )
    alert_warning = models.CharField(
        "warning alerts", max_length=10, choices=Delivery.choices, default=Delivery.IMMEDIATE
    )
    alert_info = models.CharField(
        "information alerts", max_length=10, choices=Delivery.choices, default=Delivery.DIGEST
    )
    mention = models.CharField(
        "someone mentions me", max_length=10, choices=Delivery.choices, default=Delivery.IMMEDIATE
    )
    work = models.CharField(
        "action on my work", max_length=10, choices=Delivery.choices, default=Delivery.DIGEST
    )
    reminder = models.CharField(
        "check-in and measurement reminders",
        max_length=10,
        choices=Delivery.choices,
        default=Delivery.IMMEDIATE,
    )
    weekly_digest = models.BooleanField(
        "weekly digest",
        default=True,
        help_text="What changed on what you own and lead, and what you owe, once a week.",
    )
    digest_weekday = models.PositiveSmallIntegerField(
        "weekly digest day",
        choices=[
            (i, d)
            for i, d in enumerate(
                ["Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"]
            )
        ],
        default=0,
    )
    digest_hour = models.PositiveSmallIntegerField(
        "weekly digest hour",
        choices=[(h, f"{h:02d}:00") for h in range(24)],
        default=8,
        help_text="In your time zone.",
    )
    time_zone = models.CharField(
        max_length=64,
        blank=True,
        validators=[validate_time_zone],
        help_text="IANA name, e.g. Europe/Berlin. Empty: the organisation's time zone.",
    )
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = "notification preferences"
        verbose_name_plural = "notification preferences"
        constraints = [
            models.CheckConstraint(
                condition=Q(digest_weekday__lte=6) & Q(digest_hour__lte=23),
                name="notification_prefs_day_hour",
            ),
        ]

    def __str__(self) -> str:
        return f"Notification preferences of {self.user}"

    def delivery_for(self, event: str) -> str:
        """``Delivery`` of one ``NotificationEvent`` (the weekly digest: digest or off)."""
        if event == NotificationEvent.WEEKLY:
            return Delivery.DIGEST if self.weekly_digest else Delivery.OFF
        return getattr(self, event)


class OutboxMessage(models.Model):
    """One outgoing message (today: an e-mail), written in the notifying transaction and sent
    by ``metrics.tasks.outbox_send`` with retries; the sweep re-sends rows left pending.

    Sending it sets ``notified_at`` on its alerts: an alert is marked notified only when
    something actually left. ``claimed_at`` is a short lease so two workers never send it
    twice at once.

    The noise budget (``NOTIFY_IMMEDIATE_PER_DAY``) adds two kinds: a **held** row records
    alerts a person was not told of at once (status ``held``, never sent itself); the daily
    **digest** (``metrics.digest``) is one message per person per day (``digest_date``; unique)
    listing them, after which the held rows are ``digested`` and point at it.
    """

    class Channel(models.TextChoices):
        EMAIL = "email", "E-mail"

    class Kind(models.TextChoices):
        IMMEDIATE = "immediate", "Sent at once"
        HELD = "held", "Held for the daily digest"
        DIGEST = "digest", "Daily digest"
        WEEKLY = "weekly", "Weekly digest"

    class Status(models.TextChoices):
        PENDING = "pending", "Pending"
        SENT = "sent", "Sent"
        FAILED = "failed", "Failed"
        HELD = "held", "Held for the digest"
        DIGESTED = "digested", "In a digest"

    channel = models.CharField(max_length=10, choices=Channel.choices, default=Channel.EMAIL)
    kind = models.CharField(max_length=10, choices=Kind.choices, default=Kind.IMMEDIATE)
    recipient = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    to_address = models.CharField(max_length=254)
    subject = models.CharField(max_length=200)
    body = models.TextField()
    html_body = models.TextField(blank=True, help_text="An HTML alternative of the body.")
    alert_ids = models.JSONField(default=list, help_text="The alerts this message is about.")
    status = models.CharField(max_length=8, choices=Status.choices, default=Status.PENDING)
    digest_date = models.DateField(
        null=True, blank=True, help_text="A digest's day (one digest per person and day)."
    )
    event = models.CharField(
        max_length=20,
        choices=NotificationEvent.choices,
        blank=True,
        help_text="The kind of event told (empty: an alert e-mail or a digest of before).",
    )
    dedupe_key = models.CharField(
        max_length=160,
        blank=True,
        help_text="Once per person and key (a reminder's due date, a weekly digest's week): "
        "a second message with the same key is never written.",
    )
    subject_type = models.CharField(max_length=20, blank=True)
    subject_id = models.PositiveBigIntegerField(null=True, blank=True)
    link = models.CharField(max_length=500, blank=True, help_text="The page it is about.")
    parts = models.JSONField(
        default=dict,
        blank=True,
        help_text="A held row's title and text as derived parts (strategy.derived): the daily "
        "digest renders them for the recipient's access when it is built.",
    )
    digest = models.ForeignKey(
        "self",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="held",
        help_text="The digest that carried this held row.",
    )
    attempts = models.PositiveSmallIntegerField(default=0)
    last_error = models.TextField(blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    claimed_at = models.DateTimeField(null=True, blank=True)
    last_attempt_at = models.DateTimeField(null=True, blank=True)
    sent_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["status", "created_at"], name="outbox_status_created"),
            # The noise budget: what a person was sent at once since the start of the day.
            models.Index(fields=["recipient", "kind", "created_at"], name="outbox_recipient_day"),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["recipient", "digest_date"],
                condition=Q(kind="digest"),
                name="outbox_one_digest_per_person_day",
            ),
            models.UniqueConstraint(
                fields=["recipient", "dedupe_key"],
                condition=~Q(dedupe_key=""),
                name="outbox_once_per_person_key",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.channel} to {self.to_address}: {self.subject} ({self.status})"
