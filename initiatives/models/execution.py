"""Executing an initiative: its milestones, check-ins and spend."""

from __future__ import annotations

from decimal import Decimal
from typing import TYPE_CHECKING

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q
from django.utils import timezone

from execsupport.validation import (
    FUTURE_CHECKIN,
    FUTURE_MILESTONE_COMPLETION,
    NOTE_MAX,
    FieldConstraintsMixin,
    validate_date,
    validate_no_nul,
    validate_not_future,
)
from strategy.models import (
    POSITIVE_WEIGHT,
    TimestampedModel,
    VersionedModel,
    history_records,
)

if TYPE_CHECKING:
    pass

from initiatives.models.initiatives import (
    CHECKIN_TEXT,
    PERCENT,
    Initiative,
    validate_blocker_tags,
)


class Milestone(VersionedModel):
    """A dated step of an initiative; open until ``completed_on`` is set. Its weight counts in the
    initiative's score (milestone completion, overdue share)."""

    initiative = models.ForeignKey(Initiative, on_delete=models.CASCADE, related_name="milestones")
    title = models.CharField(max_length=200)
    due_date = models.DateField(validators=[validate_date])
    completed_on = models.DateField(null=True, blank=True, validators=[validate_date])
    weight = models.DecimalField(
        max_digits=6, decimal_places=2, default=Decimal("1"), validators=[POSITIVE_WEIGHT]
    )

    history = history_records()
    # The row's label in a plan import's report (sheets.plan_import). Not a field.
    _import_label: str

    class Meta:
        ordering = ["due_date", "id"]
        constraints = [
            models.CheckConstraint(condition=Q(weight__gt=0), name="milestone_weight_positive"),
        ]
        indexes = [
            # The overdue-milestone sweep: open milestones by due date.
            models.Index(
                fields=["due_date"],
                condition=Q(completed_on__isnull=True),
                name="milestone_open_due",
            ),
        ]

    def __str__(self) -> str:
        return self.title

    @property
    def is_done(self) -> bool:
        """True once ``completed_on`` is set."""
        return self.completed_on is not None

    def is_overdue(self, today) -> bool:
        """True if still open after its due date (``today`` given by the caller)."""
        return self.completed_on is None and self.due_date < today

    def clean(self) -> None:
        """A milestone is not completed in the future (the one rule of the API, the pages and
        the import)."""
        if self.completed_on is not None:
            try:
                validate_not_future(
                    self.completed_on,
                    today=timezone.localdate(),
                    message=FUTURE_MILESTONE_COMPLETION,
                )
            except ValidationError as error:
                raise ValidationError({"completed_on": error}) from None


class CheckIn(FieldConstraintsMixin, models.Model):
    """An append-only status update: never edited, never deleted with its initiative."""

    class Rag(models.TextChoices):
        GREEN = "green", "Green — on track"
        AMBER = "amber", "Amber — at risk"
        RED = "red", "Red — off track"

    initiative = models.ForeignKey(Initiative, on_delete=models.PROTECT, related_name="checkins")
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="checkins"
    )
    created_at = models.DateTimeField(default=timezone.now)
    rag = models.CharField("status", max_length=5, choices=Rag.choices)
    confidence = models.PositiveSmallIntegerField(
        validators=PERCENT,
        help_text="Stated probability (0-100 %) of delivering on time.",
    )
    progress = models.PositiveSmallIntegerField(validators=PERCENT, help_text="0-100 %.")
    summary = models.TextField(validators=CHECKIN_TEXT)
    blockers = models.TextField(blank=True, validators=CHECKIN_TEXT)
    next_steps = models.TextField(blank=True, validators=CHECKIN_TEXT)
    blocker_tags = models.CharField(
        max_length=60,
        blank=True,
        default="",
        # A database default: SQLite then adds the column in place instead of rebuilding the
        # table, which would drop the triggers of migrations 0002/0004/0006.
        db_default="",
        validators=[validate_blocker_tags],
        help_text="What kind of blocker: skills, resources, dependency, decision "
        "(comma-separated, see BlockerTag; empty: none).",
    )
    request_key = models.UUIDField(
        null=True,
        blank=True,
        editable=False,
        help_text="The idempotency key of the form or API request that made it: the same key "
        "from the same author stores one check-in, however often it is sent.",
    )

    class Meta:
        ordering = ["-created_at", "-id"]
        get_latest_by = "created_at"
        constraints = [
            models.CheckConstraint(
                condition=Q(confidence__gte=0, confidence__lte=100),
                name="checkin_confidence_0_100",
                violation_error_message="Confidence must be between 0 and 100.",
            ),
            models.CheckConstraint(
                condition=Q(progress__gte=0, progress__lte=100),
                name="checkin_progress_0_100",
                violation_error_message="Progress must be between 0 and 100.",
            ),
            models.CheckConstraint(
                condition=~Q(summary=""),
                name="checkin_summary_required",
                violation_error_message="A check-in needs a summary.",
            ),
            models.UniqueConstraint(
                fields=["author", "request_key"],
                condition=Q(request_key__isnull=False),
                name="checkin_request_key_once",
                violation_error_message="This check-in was already saved.",
            ),
        ]
        indexes = [
            models.Index(fields=["initiative", "-created_at"]),
            # Check-ins since a date: the newest first, and their number from the index alone.
            models.Index(fields=["created_at", "initiative"], name="checkin_created_initiative"),
        ]

    def __str__(self) -> str:
        return f"{self.initiative} — {self.get_rag_display()} ({self.created_at:%Y-%m-%d})"

    def clean(self) -> None:
        """A check-in is not dated in the future (by its local date: the import dates a day's
        check-in at noon)."""
        if self.created_at is not None:
            try:
                moment = self.created_at
                validate_not_future(
                    timezone.localtime(moment) if timezone.is_aware(moment) else moment,
                    today=timezone.localdate(),
                    message=FUTURE_CHECKIN,
                )
            except ValidationError as error:
                raise ValidationError({"created_at": error}) from None


class SpendEntry(TimestampedModel):
    """Money spent on an initiative on one day (negative: a refund or correction; never zero)."""

    initiative = models.ForeignKey(
        Initiative, on_delete=models.PROTECT, related_name="spend_entries"
    )
    date = models.DateField(validators=[validate_date])
    amount = models.DecimalField(
        max_digits=14,
        decimal_places=2,
        help_text="Money spent; a negative amount records a refund or correction.",
    )
    category = models.CharField(max_length=60, blank=True)
    note = models.CharField(max_length=NOTE_MAX, blank=True, validators=[validate_no_nul])
    entered_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )

    class Meta:
        ordering = ["-date", "-id"]
        verbose_name_plural = "spend entries"
        constraints = [
            models.CheckConstraint(
                condition=~Q(amount=0),
                name="spend_amount_not_zero",
                violation_error_message="A spend entry needs a non-zero amount.",
            ),
        ]
        indexes = [models.Index(fields=["initiative", "date"])]

    def __str__(self) -> str:
        return f"{self.initiative}: {self.amount} on {self.date}"
