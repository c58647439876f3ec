"""The review cycle: reviews of a scope, their dated meetings, the pack frozen for each meeting,
and the decisions and action items recorded in it.

A ``Pack`` is a frozen snapshot (``reviews.freeze``): it never changes once written (its
``save`` refuses an update and its queryset refuses ``update``), so later edits of the plan
never change a past pack. Exactly one pack per meeting (a unique constraint), written in one
transaction with its meeting.

``ActionItem`` is generic: it may come from a meeting (``meeting``), a decision
(``decision``) or elsewhere (both empty), and can be turned into an initiative
(``initiative``).
"""

from __future__ import annotations

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone
from typing_extensions import override

from execsupport.validation import DESCRIPTION_MAX, text_validators, validate_date
from strategy.models import Objective, Strategy, Team, Theme, TimestampedModel

NOTE_MAX = 2000


class Review(TimestampedModel):
    """A recurring review of one scope: the whole strategy, a theme, a team with its sub-teams,
    or an objective with the objectives aligned below it."""

    class Scope(models.TextChoices):
        STRATEGY = "strategy", "Whole strategy"
        THEME = "theme", "Theme"
        TEAM = "team", "Team and its sub-teams"
        OBJECTIVE = "objective", "Objective and the objectives below it"

    class Cadence(models.TextChoices):
        WEEKLY = "weekly", "Weekly"
        MONTHLY = "monthly", "Monthly"
        QUARTERLY = "quarterly", "Quarterly"
        CUSTOM = "custom", "Custom"

    CADENCE_DAYS = {"weekly": 7, "monthly": 30, "quarterly": 91}

    name = models.CharField(max_length=160)
    strategy = models.ForeignKey(Strategy, on_delete=models.PROTECT, related_name="reviews")
    scope = models.CharField(max_length=10, choices=Scope.choices, default=Scope.STRATEGY)
    theme = models.ForeignKey(
        Theme, null=True, blank=True, on_delete=models.SET_NULL, related_name="reviews"
    )
    team = models.ForeignKey(
        Team, null=True, blank=True, on_delete=models.SET_NULL, related_name="reviews"
    )
    objective = models.ForeignKey(
        Objective, null=True, blank=True, on_delete=models.SET_NULL, related_name="reviews"
    )
    cadence = models.CharField(max_length=10, choices=Cadence.choices, default=Cadence.MONTHLY)
    cadence_days = models.PositiveSmallIntegerField(
        null=True,
        blank=True,
        # As the check-in and measurement cadences: at most a year between meetings.
        validators=[MinValueValidator(1), MaxValueValidator(366)],
        help_text="Days between meetings of a custom cadence (1 to 366).",
    )
    participants = models.ManyToManyField(
        settings.AUTH_USER_MODEL, blank=True, related_name="reviews"
    )
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="owned_reviews",
        help_text="Who runs the review.",
    )

    class Meta:
        ordering = ["name", "id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(scope="strategy")
                | Q(scope="theme", theme__isnull=False)
                | Q(scope="team", team__isnull=False)
                | Q(scope="objective", objective__isnull=False)
                # the scope's object was deleted since: the review stays, frozen packs readable
                | Q(theme__isnull=True, team__isnull=True, objective__isnull=True),
                name="review_scope_has_its_object",
            ),
            models.CheckConstraint(
                condition=~Q(cadence="custom") | Q(cadence_days__gte=1),
                name="review_custom_cadence_days",
                violation_error_message="A custom cadence needs its number of days.",
            ),
        ]

    def __str__(self) -> str:
        return self.name

    def get_absolute_url(self) -> str:
        """The review's page."""
        return reverse("reviews:review-detail", args=[self.pk])

    @property
    def scope_team_id(self) -> int | None:
        """The team whose content the scope shows (team and objective scopes); None for the
        strategy and theme scopes, which anyone who sees the plan may review."""
        if self.scope == self.Scope.TEAM:
            return self.team_id
        if self.scope == self.Scope.OBJECTIVE and self.objective is not None:
            return self.objective.team_id
        return None

    @property
    def every_days(self) -> int:
        """Days between two meetings: ``cadence_days`` if set, else the cadence's (weekly 7, monthly
        30, quarterly 91; 30 otherwise). A frozen pack looks back that far (``reviews.freeze``)
        unless told a ``since``."""
        return self.cadence_days or self.CADENCE_DAYS.get(self.cadence, 30)


class Meeting(TimestampedModel):
    """One dated meeting of a review; it may be moved (``moved_from`` keeps the first date) or
    cancelled. Its pack is frozen when it is reached (the beat job) or on demand."""

    class Status(models.TextChoices):
        SCHEDULED = "scheduled", "Scheduled"
        HELD = "held", "Held"
        CANCELLED = "cancelled", "Cancelled"

    review = models.ForeignKey(Review, on_delete=models.CASCADE, related_name="meetings")
    starts_at = models.DateTimeField()
    moved_from = models.DateTimeField(null=True, blank=True)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.SCHEDULED)
    discussed = models.JSONField(
        default=list, blank=True, help_text="Keys of the agenda items marked discussed."
    )
    minutes_sent_at = models.DateTimeField(null=True, blank=True)
    # Not a field: whether it has a pack, set by the review page for its template.
    has_pack: bool

    class Meta:
        ordering = ["-starts_at", "-id"]
        indexes = [models.Index(fields=["status", "starts_at"])]

    def __str__(self) -> str:
        return f"{self.review} — {timezone.localtime(self.starts_at):%Y-%m-%d %H:%M}"

    def get_absolute_url(self) -> str:
        """The meeting's page."""
        return reverse("reviews:meeting", args=[self.pk])


class PackQuerySet(models.QuerySet):
    """Packs' queryset: ``update()`` raises ``PackFrozen``, so a frozen pack is not changed in bulk
    either."""

    @override
    def update(self, **kwargs):
        raise PackFrozen("A frozen pack never changes.")


class PackFrozen(Exception):
    """Something tried to change a frozen pack."""


class Pack(models.Model):
    """The frozen snapshot of a review's scope for one meeting (``reviews.freeze``).

    ``data`` holds ``{"version": 1, "as_of": "YYYY-MM-DD", "scope": {...}, "items": [...],
    "names": {"type:id": [name, team id]}}``; each item carries its team id (None for the
    strategy and its themes) and is filtered for the reader when the pack is read.
    """

    meeting = models.OneToOneField(Meeting, on_delete=models.CASCADE, related_name="pack")
    review = models.ForeignKey(Review, on_delete=models.CASCADE, related_name="packs")
    frozen_at = models.DateTimeField(default=timezone.now)
    as_of = models.DateField(validators=[validate_date])
    data = models.JSONField()

    objects = PackQuerySet.as_manager()

    class Meta:
        ordering = ["-frozen_at", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["meeting"], name="pack_one_per_meeting"),
        ]
        indexes = [models.Index(fields=["review", "frozen_at"])]

    def __str__(self) -> str:
        return f"Pack of {self.meeting}"

    @override
    def save(self, *args, **kwargs) -> None:
        if not self._state.adding:
            raise PackFrozen("A frozen pack never changes.")
        super().save(*args, **kwargs)

    def get_absolute_url(self) -> str:
        """The pack's page."""
        return reverse("reviews:pack", args=[self.pk])


class PackPdf(models.Model):
    """A pack laid out as a PDF for the readers who see it alike: a render job and its result
    (``reviews.pdf``). The database is the truth: a lost Celery message or a dead worker
    leaves the row pending or running, and a new request or the sweep sends it again.

    ``key`` is the SHA-256 of the HTML laid out, which ``reviews.pdf.pack_pdf_html`` renders
    for one reader through ``strategy.access``: readers share a stored PDF only when what they
    may see is the same, to the byte. ``html`` is kept until the PDF is made."""

    class Status(models.TextChoices):
        PENDING = "pending", "Pending"
        RUNNING = "running", "Being made"
        DONE = "done", "Ready"
        FAILED = "failed", "Failed"

    pack = models.ForeignKey(Pack, on_delete=models.CASCADE, related_name="pdfs")
    key = models.CharField(max_length=64)
    html = models.TextField(blank=True)
    base_url = models.CharField(max_length=300)
    status = models.CharField(max_length=8, choices=Status.choices, default=Status.PENDING)
    content = models.BinaryField(null=True, blank=True)
    pages = models.PositiveIntegerField(null=True, blank=True)
    size = models.PositiveIntegerField(null=True, blank=True, help_text="Bytes of the PDF.")
    seconds = models.FloatField(null=True, blank=True, help_text="Time taken to lay it out.")
    attempts = models.PositiveSmallIntegerField(default=0)
    claim = models.CharField(max_length=32, blank=True)
    error = models.TextField(blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    requested_at = models.DateTimeField(default=timezone.now)
    enqueued_at = models.DateTimeField(null=True, blank=True)
    claimed_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["pack", "key"], name="pack_pdf_one_per_html"),
        ]
        indexes = [models.Index(fields=["status", "claimed_at"], name="pack_pdf_status")]

    def __str__(self) -> str:
        return f"PDF of pack {self.pack_id} ({self.status})"


class Decision(TimestampedModel):
    """A decision taken in a meeting, about some objectives, initiatives or KPIs.

    ``subjects`` lists ``{"type": ..., "id": ..., "team": team id}`` of what it concerns;
    ``kpis_then`` the value, date, status and score of each concerned KPI when it was taken
    (``{kpi id: {"value": float|None, "as_of": "YYYY-MM-DD"|None, "status": str|None,
    "score": float|None}}``), so it later shows the movement since.
    """

    meeting = models.ForeignKey(Meeting, on_delete=models.CASCADE, related_name="decisions")
    text = models.TextField(validators=text_validators(DESCRIPTION_MAX))
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        help_text="Who decided.",
    )
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    subjects = models.JSONField(default=list, blank=True)
    kpis_then = models.JSONField(default=dict, blank=True)

    class Meta:
        ordering = ["created_at", "id"]

    def __str__(self) -> str:
        return self.text[:60]


class ActionItem(TimestampedModel):
    """Something someone has to do by a date: open, done or dropped.

    Generic: it may come from a review meeting or one of its decisions, or from elsewhere
    (both empty); ``team`` (optional) says whose content it is about, for who may see it.
    """

    class Status(models.TextChoices):
        OPEN = "open", "Open"
        DONE = "done", "Done"
        DROPPED = "dropped", "Dropped"

    title = models.CharField(max_length=200)
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="action_items"
    )
    due_date = models.DateField(validators=[validate_date])
    status = models.CharField(max_length=8, choices=Status.choices, default=Status.OPEN)
    note = models.TextField(blank=True, validators=text_validators(NOTE_MAX))
    team = models.ForeignKey(
        Team, null=True, blank=True, on_delete=models.SET_NULL, related_name="action_items"
    )
    meeting = models.ForeignKey(
        Meeting, null=True, blank=True, on_delete=models.SET_NULL, related_name="action_items"
    )
    decision = models.ForeignKey(
        Decision, null=True, blank=True, on_delete=models.SET_NULL, related_name="action_items"
    )
    initiative = models.ForeignKey(
        "initiatives.Initiative",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        help_text="The initiative this action item was turned into.",
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    closed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["due_date", "id"]
        indexes = [models.Index(fields=["owner", "status", "due_date"])]

    def __str__(self) -> str:
        return self.title

    def is_overdue(self, today) -> bool:
        """Whether the item is still open after its due date (``today``: a date)."""
        return self.status == self.Status.OPEN and self.due_date < today
