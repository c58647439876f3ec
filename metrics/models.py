"""Measures of the plan: KPIs and their measurements, computed gap scores and alerts.

Scores are computed by the gap engine (``metrics/scoring.py`` for the maths, services for
persistence); nothing here computes them.
"""

from __future__ import annotations

from decimal import Decimal
from typing import TYPE_CHECKING

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import F, Q
from django.urls import reverse
from django.utils import timezone
from typing_extensions import override

from execsupport.outbound import outbound_url_validate
from execsupport.validation import (
    DESCRIPTION_MAX,
    NOTE_MAX,
    REASON_MAX,
    VALUE_LIMIT,
    FieldConstraintsMixin,
    inconsistent,
    text_validators,
    validate_date,
    validate_no_nul,
    validate_value,
)
from initiatives.models import Initiative
from strategy.keys import KEY_TAKEN, KeyUniqueIgnoringCase
from strategy.models import (
    POSITIVE_WEIGHT,
    Objective,
    Team,
    TimestampedModel,
    VersionedModel,
    history_records,
)

if TYPE_CHECKING:
    from django.contrib.auth.models import User

    from metrics.explain import AlertText, ScoreExplained
    from metrics.scoring.quality import ImplausibleValue

# VALUE_LIMIT (execsupport.validation): beyond 2**53 a float no longer holds every integer; no
# business KPI needs more, and the bound also keeps NaN and ±Infinity out of the database (NaN
# compares greater than any number in PostgreSQL; SQLite stores NaN as NULL, which NOT NULL
# refuses). The check constraints below repeat it in the database.
SANE_VALUE = Q(value__gt=-VALUE_LIMIT, value__lt=VALUE_LIMIT)

# Keys are unique across the organisation (URLs and ingest address KPIs by key), including the
# KPIs of private teams. The refusal of a taken key must not confirm that a KPI the person may
# not see holds it, nor name it: the same neutral sentence whoever holds the key (code unique).
KPI_KEY_TAKEN = KEY_TAKEN


class SubjectType(models.TextChoices):
    """What a score or an alert is about."""

    KPI = "kpi", "KPI"
    INITIATIVE = "initiative", "Initiative"
    MILESTONE = "milestone", "Milestone"
    OBJECTIVE = "objective", "Objective"
    TEAM = "team", "Team"
    THEME = "theme", "Theme"
    STRATEGY = "strategy", "Strategy"
    ACTION = "action", "Action item"


class KPI(KeyUniqueIgnoringCase, VersionedModel):
    """A key performance indicator: its plan (direction, baseline and target with dates, a range to
    keep within, a trajectory), unit, cadence, owner and team, and the objective or initiative
    it measures."""

    class Kind(models.TextChoices):
        LEADING = "leading", "Leading (warns early)"
        LAGGING = "lagging", "Lagging (shows the outcome)"

    class Direction(models.TextChoices):
        INCREASE = "increase", "Increase to target"
        DECREASE = "decrease", "Decrease to target"
        RANGE = "range", "Keep within range"

    key = models.SlugField(
        max_length=80,
        unique=True,
        help_text="Stable identifier integrations use, e.g. 'nps' or 'churn-rate-smb'.",
    )
    name = models.CharField(max_length=160)
    description = models.TextField(blank=True, validators=text_validators(DESCRIPTION_MAX))
    unit = models.CharField(max_length=30, blank=True, help_text="e.g. %, EUR, days, tickets")
    kind = models.CharField(max_length=8, choices=Kind.choices, default=Kind.LAGGING)
    direction = models.CharField(
        max_length=8, choices=Direction.choices, default=Direction.INCREASE
    )
    baseline_value = models.FloatField(validators=[validate_value])
    baseline_date = models.DateField(validators=[validate_date])
    target_value = models.FloatField(
        validators=[validate_value],
        help_text="For keep-within-range KPIs, the ideal value inside the range.",
    )
    target_date = models.DateField(validators=[validate_date])
    range_low = models.FloatField(
        "low end of the range", null=True, blank=True, validators=[validate_value]
    )
    range_high = models.FloatField(
        "high end of the range", null=True, blank=True, validators=[validate_value]
    )
    cadence_days = models.PositiveSmallIntegerField(
        "measurement cadence (days)",
        default=30,
        validators=[MinValueValidator(1), MaxValueValidator(366)],
        help_text="A new measurement is expected at least this often.",
    )
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="owned_kpis",
    )
    team = models.ForeignKey(Team, on_delete=models.PROTECT, related_name="kpis")
    objective = models.ForeignKey(
        Objective, null=True, blank=True, on_delete=models.PROTECT, related_name="kpis"
    )
    initiative = models.ForeignKey(
        Initiative, null=True, blank=True, on_delete=models.PROTECT, related_name="kpis"
    )
    weight = models.DecimalField(
        max_digits=6, decimal_places=2, default=Decimal("1"), validators=[POSITIVE_WEIGHT]
    )
    data_source = models.CharField(
        max_length=300, blank=True, help_text="Where the numbers come from."
    )
    is_active = models.BooleanField("active", default=True)

    # What people edit (admin, pages, API); the rest is bookkeeping.
    EDITABLE_FIELDS = (
        "key", "name", "description", "unit", "kind", "direction", "baseline_value",
        "baseline_date", "target_value", "target_date", "range_low", "range_high",
        "cadence_days", "owner", "team", "objective", "initiative", "weight", "data_source",
        "is_active",
    )  # fmt: skip

    history = history_records()

    # Not fields: django-simple-history's author of the next version (kpi_save sets it), and
    # the latest score the pages attach (metrics.selectors.attach_latest_scores...).
    _history_user: User
    latest_score: GapScore | None

    class Meta:
        verbose_name = "KPI"
        verbose_name_plural = "KPIs"
        ordering = ["name"]
        constraints = [
            models.CheckConstraint(
                condition=Q(objective__isnull=False, initiative__isnull=True)
                | Q(objective__isnull=True, initiative__isnull=False),
                name="kpi_measures_one_subject",
                violation_error_message="A KPI measures exactly one objective or one initiative.",
            ),
            models.CheckConstraint(
                condition=Q(target_date__gt=F("baseline_date")),
                name="kpi_target_after_baseline",
                violation_error_message="The target date must be after the baseline date.",
            ),
            models.CheckConstraint(
                condition=~Q(direction="increase") | Q(target_value__gt=F("baseline_value")),
                name="kpi_increase_target_above_baseline",
                violation_error_message="An increasing KPI needs a target above its baseline.",
            ),
            models.CheckConstraint(
                condition=~Q(direction="decrease") | Q(target_value__lt=F("baseline_value")),
                name="kpi_decrease_target_below_baseline",
                violation_error_message="A decreasing KPI needs a target below its baseline.",
            ),
            models.CheckConstraint(
                condition=~Q(direction="range")
                | Q(
                    range_low__isnull=False,
                    range_high__isnull=False,
                    range_high__gt=F("range_low"),
                ),
                name="kpi_range_bounds_ordered",
                violation_error_message="A keep-within-range KPI needs a low bound below its "
                "high bound.",
            ),
            models.CheckConstraint(
                condition=Q(baseline_value__gt=-VALUE_LIMIT, baseline_value__lt=VALUE_LIMIT)
                & Q(target_value__gt=-VALUE_LIMIT, target_value__lt=VALUE_LIMIT),
                name="kpi_values_finite",
            ),
            models.CheckConstraint(
                condition=Q(cadence_days__gte=1, cadence_days__lte=366), name="kpi_cadence_1_366"
            ),
            models.CheckConstraint(condition=Q(weight__gt=0), name="kpi_weight_positive"),
        ]
        indexes = [
            models.Index(fields=["team", "is_active"]),
            models.Index(fields=["owner", "is_active"]),
            # The API's list order: a page is an index range, not a sort of every KPI.
            models.Index(fields=["name", "id"], name="kpi_list_order"),
        ]

    def __str__(self) -> str:
        return self.name

    def get_absolute_url(self) -> str:
        """The KPI's page (by its key)."""
        return reverse("metrics:kpi-detail", args=[self.key])

    @override
    def clean(self) -> None:
        errors: dict[str, str] = {}
        if self.baseline_date and self.target_date and self.target_date <= self.baseline_date:
            errors["target_date"] = "The target date must be after the baseline date."
        if self.baseline_value is not None and self.target_value is not None:
            if (
                self.direction == self.Direction.INCREASE
                and self.target_value <= self.baseline_value
            ):
                errors["target_value"] = "An increasing KPI needs a target above its baseline."
            if (
                self.direction == self.Direction.DECREASE
                and self.target_value >= self.baseline_value
            ):
                errors["target_value"] = "A decreasing KPI needs a target below its baseline."
        if self.direction == self.Direction.RANGE:
            if self.range_low is None or self.range_high is None:
                errors["range_low"] = "A keep-within-range KPI needs both range bounds."
            elif self.range_high <= self.range_low:
                errors["range_high"] = "The high bound must be above the low bound."
        elif self.range_low is not None or self.range_high is not None:
            errors["range_low"] = (
                "Only a keep-within-range KPI has range bounds: leave them empty, or choose "
                "'Keep within range'."
            )
        if bool(self.objective_id) == bool(self.initiative_id):
            errors["objective"] = "Choose exactly one: the objective or the initiative it measures."
        if errors:
            raise inconsistent(errors)


class TrajectoryPoint(models.Model):
    """A planned value on a date: the expected path from baseline to target, when not linear."""

    kpi = models.ForeignKey(
        KPI, on_delete=models.CASCADE, related_name="trajectory", verbose_name="KPI"
    )
    date = models.DateField(validators=[validate_date])
    value = models.FloatField(validators=[validate_value])

    class Meta:
        ordering = ["kpi", "date"]
        constraints = [
            models.UniqueConstraint(fields=["kpi", "date"], name="trajectory_unique_date"),
            models.CheckConstraint(condition=SANE_VALUE, name="trajectory_value_finite"),
        ]

    def __str__(self) -> str:
        return f"{self.kpi}: {self.value} by {self.date}"


class TargetRevision(FieldConstraintsMixin, models.Model):
    """One change of a KPI's plan (baseline, target, range), with who, when and why.

    The values before the first revision are the original plan; reports compare against it.
    """

    kpi = models.ForeignKey(
        KPI, on_delete=models.PROTECT, related_name="target_revisions", verbose_name="KPI"
    )
    changed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    changed_at = models.DateTimeField(default=timezone.now)
    reason = models.TextField(validators=text_validators(REASON_MAX))
    old_plan = models.JSONField(help_text="The plan fields before the change.")
    new_plan = models.JSONField(help_text="The plan fields after the change.")

    class Meta:
        ordering = ["kpi", "changed_at", "id"]
        constraints = [
            models.CheckConstraint(
                condition=~Q(reason=""),
                name="target_revision_reason_required",
                violation_error_message="Say why the plan changed.",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.kpi} revised {self.changed_at:%Y-%m-%d}"


class Measurement(TimestampedModel):
    """One value of a KPI on one day (one per KPI and date; a new value for the date is a
    correction), with its source and who entered it."""

    class Source(models.TextChoices):
        MANUAL = "manual", "Entered by hand"
        API = "api", "API"
        IMPORT = "import", "Import"

    # No index of its own: the unique (kpi, as_of) constraint's index serves every lookup by
    # KPI (its leading column) and gives a KPI's newest N in order; a second, single-column
    # index made PostgreSQL read and sort a KPI's whole history instead (issue #19).
    kpi = models.ForeignKey(
        KPI,
        on_delete=models.PROTECT,
        related_name="measurements",
        verbose_name="KPI",
        db_index=False,
    )
    as_of = models.DateField(validators=[validate_date])
    value = models.FloatField(validators=[validate_value])
    source = models.CharField(max_length=6, choices=Source.choices, default=Source.MANUAL)
    note = models.CharField(max_length=NOTE_MAX, blank=True, validators=[validate_no_nul])
    entered_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )

    # Not a field: measurement_record's plausibility check (None: plausible), or on the KPI
    # page whether the data-quality test flags the value.
    implausible: ImplausibleValue | bool | None

    class Meta:
        ordering = ["kpi", "as_of"]
        get_latest_by = "as_of"
        constraints = [
            # Also the index for "a KPI's measurements by date".
            models.UniqueConstraint(fields=["kpi", "as_of"], name="measurement_one_per_kpi_date"),
            models.CheckConstraint(
                condition=SANE_VALUE,
                name="measurement_value_finite",
                violation_error_message=f"The value must be a finite number below {VALUE_LIMIT:g} "
                "in magnitude.",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.kpi}: {self.value} on {self.as_of}"


class MeasurementCorrection(models.Model):
    """History of a measurement whose value was replaced by a later submission."""

    measurement = models.ForeignKey(
        Measurement, on_delete=models.PROTECT, related_name="corrections"
    )
    old_value = models.FloatField()
    new_value = models.FloatField()
    source = models.CharField(max_length=6, choices=Measurement.Source.choices)
    changed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    changed_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["measurement", "changed_at"]

    def __str__(self) -> str:
        return f"{self.measurement}: {self.old_value} → {self.new_value}"


class GapScore(models.Model):
    """A computed snapshot of how a subject executes against its plan.

    History is kept: each computation appends a row. Exactly one row per subject has
    ``is_latest`` set (a partial unique index), so the current score is one indexed lookup.
    """

    class Status(models.TextChoices):
        ON_TRACK = "on_track", "On track"
        AT_RISK = "at_risk", "At risk"
        OFF_TRACK = "off_track", "Off track"
        NO_DATA = "no_data", "No data"
        UNAVAILABLE = "unavailable", "Score unavailable"

    subject_type = models.CharField(max_length=10, choices=SubjectType.choices)
    subject_id = models.BigIntegerField()
    computed_at = models.DateTimeField(default=timezone.now)
    as_of = models.DateField(help_text="The day the score describes.")
    is_latest = models.BooleanField(default=True)
    status = models.CharField(max_length=11, choices=Status.choices)
    reason = models.TextField(
        blank=True,
        help_text="Why this status, in one sentence, naming no other object (see reason_parts).",
    )
    reason_parts = models.JSONField(
        null=True,
        blank=True,
        help_text="The reason as strategy.derived parts, rendered for each reader; "
        "empty: the reason mentions no other object.",
    )
    score = models.FloatField(null=True, blank=True, help_text="Health 0-100.")
    progress = models.FloatField(
        null=True, blank=True, help_text="Share of the plan achieved, clamped to 0-1 for rollups."
    )
    achievement = models.FloatField(
        null=True, blank=True, help_text="Uncapped share of the plan achieved (1.25 = 125 %)."
    )
    expected_progress = models.FloatField(null=True, blank=True)
    attainment = models.FloatField(null=True, blank=True, help_text="progress / expected")
    gap = models.FloatField(null=True, blank=True, help_text="expected - progress")
    forecast = models.JSONField(null=True, blank=True)
    data_quality = models.JSONField(default=dict, blank=True)
    components = models.JSONField(default=dict, blank=True)
    contributors = models.JSONField(
        default=list, blank=True, help_text="Top contributors to the gap, largest first."
    )

    # Not a field: the reader's explanation (metrics.explain.scores_explain sets it).
    explained: ScoreExplained

    class Meta:
        ordering = ["-computed_at", "-id"]
        get_latest_by = "computed_at"
        constraints = [
            models.UniqueConstraint(
                fields=["subject_type", "subject_id"],
                condition=Q(is_latest=True),
                name="gapscore_one_latest_per_subject",
            ),
            models.CheckConstraint(
                condition=Q(score__isnull=True) | Q(score__gte=0, score__lte=100),
                name="gapscore_score_0_100",
            ),
            models.CheckConstraint(
                condition=Q(progress__isnull=True) | Q(progress__gte=0, progress__lte=1),
                name="gapscore_progress_0_1",
            ),
        ]
        indexes = [
            models.Index(fields=["subject_type", "subject_id", "computed_at"]),
            # The newest latest score of a subject type: the version of the API's cached lists.
            models.Index(
                fields=["subject_type", "id"],
                condition=Q(is_latest=True),
                name="gapscore_newest_latest",
            ),
            models.Index(
                fields=["subject_type", "status"],
                condition=Q(is_latest=True),
                name="gapscore_latest_by_status",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.subject_type} #{self.subject_id}: {self.get_status_display()}"


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
    reopened_now: bool  # the engine's reopening (metrics.engine.persist)
    worse: bool  # reopened with a higher severity than its peak (metrics.engine.persist)

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
    ``metrics.services`` (people) and in bulk by the gap engine (``metrics.engine.persist``);
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


class DirtySubject(models.Model):
    """A subject whose score must be recomputed.

    Written in the same transaction as the change that needs it, so a lost Celery message
    only delays the recompute: the periodic sweep re-enqueues whatever is still here.
    """

    subject_type = models.CharField(max_length=10, choices=SubjectType.choices)
    subject_id = models.BigIntegerField()
    marked_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["subject_type", "subject_id"], name="dirty_subject_unique"
            ),
        ]
        indexes = [models.Index(fields=["marked_at"])]

    def __str__(self) -> str:
        return f"{self.subject_type} #{self.subject_id} (since {self.marked_at:%Y-%m-%d %H:%M})"


class RecomputeRun(models.Model):
    """A full recompute handed to the workers, recorded so that it finishes whatever happens
    to them: its chunks are rows (``RecomputeChunk``), each stage starts when the previous
    one's chunks are all done, and the sweep resumes what a dead worker left
    (``metrics.engine.runs``). No Celery chord, so no result backend, is involved."""

    class Stage(models.TextChoices):
        KPIS = "kpis", "KPIs"
        INITIATIVES = "initiatives", "Initiatives"
        ROLLUPS = "rollups", "Objectives, teams, themes and strategies"
        NOTIFY = "notify", "Notifications"
        DONE = "done", "Done"

    class Status(models.TextChoices):
        RUNNING = "running", "Running"
        FINISHED = "finished", "Finished"
        SUPERSEDED = "superseded", "Superseded by a newer run"
        FAILED = "failed", "Failed"

    today = models.DateField(help_text="The day the scores are computed for.")
    as_of = models.DateTimeField(help_text="The moment the run computes at (its scores' time).")
    stage = models.CharField(max_length=12, choices=Stage.choices, default=Stage.KPIS)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.RUNNING)
    started_at = models.DateTimeField(default=timezone.now)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        indexes = [models.Index(fields=["status"], name="recompute_run_status")]

    def __str__(self) -> str:
        return f"Recompute #{self.pk} of {self.today} ({self.status}, {self.stage})"


class RecomputeChunk(models.Model):
    """One chunk of a ``RecomputeRun``: the subject ids of a stage a worker computes at once.

    A worker claims it with a guarded update (``pending`` -> ``running`` with a new ``claim``
    token) and beats ``heartbeat_at`` while it works; a running chunk whose heartbeat is older
    than ``GAP_CHUNK_LEASE_SECONDS`` belonged to a dead worker and goes back to ``pending``."""

    class Status(models.TextChoices):
        PENDING = "pending", "Pending"
        RUNNING = "running", "Running"
        DONE = "done", "Done"

    run = models.ForeignKey(RecomputeRun, on_delete=models.CASCADE, related_name="chunks")
    stage = models.CharField(max_length=12, choices=RecomputeRun.Stage.choices)
    position = models.PositiveIntegerField()
    subject_ids = models.JSONField(default=list, blank=True)
    status = models.CharField(max_length=8, choices=Status.choices, default=Status.PENDING)
    attempts = models.PositiveIntegerField(default=0)
    claim = models.CharField(max_length=32, blank=True)
    worker = models.CharField(max_length=200, blank=True, help_text="Who claimed it last.")
    enqueued_at = models.DateTimeField(null=True, blank=True)
    claimed_at = models.DateTimeField(null=True, blank=True)
    heartbeat_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["run", "stage", "position"], name="recompute_chunk_unique"
            ),
        ]
        indexes = [models.Index(fields=["run", "stage", "status"], name="recompute_chunk_stage")]

    def __str__(self) -> str:
        return f"Chunk {self.stage} #{self.position} of run {self.run_id} ({self.status})"


def alert_kinds_validate(value) -> None:
    """A list of distinct ``Alert.Kind`` values (a webhook's event kinds)."""
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise ValidationError("A list of alert kinds.", code="invalid")
    unknown = sorted(set(value) - set(Alert.Kind.values))
    if unknown:
        raise ValidationError(f"Unknown alert kind(s): {', '.join(unknown)}.", code="invalid")


class Webhook(VersionedModel):
    """An outbound endpoint notified (JSON, HMAC-SHA256 signed) when an alert opens.

    It sees through its owner's eyes: it receives only alerts its owner may see
    (``strategy.access``), within its team scope, and their text as rendered for its owner.
    A webhook whose owner was deleted or deactivated receives nothing.
    """

    class Kind(models.TextChoices):
        GENERIC = "generic", "JSON (Standard Webhooks, signed)"
        SLACK = "slack", "Slack incoming webhook (Block Kit)"
        TEAMS = "teams", "Microsoft Teams incoming webhook (Adaptive Card)"

    name = models.CharField(max_length=120)
    kind = models.CharField(
        max_length=8,
        choices=Kind.choices,
        default=Kind.GENERIC,
        help_text="The message format: signed JSON for programs, or a chat's own format.",
    )
    url = models.URLField(
        "URL",
        max_length=500,
        validators=[outbound_url_validate],
        help_text="https:// on a public address (checked again before each request).",
    )
    secret = models.CharField(
        max_length=128,
        editable=False,
        help_text="Shared secret for the X-ExecSupport-Signature header, generated by the "
        "server and shown once, when the webhook is created.",
    )
    is_active = models.BooleanField("active", default=True)
    min_severity = models.PositiveSmallIntegerField(
        choices=Alert.Severity.choices, default=Alert.Severity.WARNING
    )
    alert_kinds = models.JSONField(
        "alert kinds",
        default=list,
        blank=True,
        validators=[alert_kinds_validate],
        help_text="The kinds of alert it receives (Alert.Kind values); empty: every kind.",
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="webhooks",
        help_text="It receives only alerts this person may see. Without an owner (the person "
        "was deleted) it receives nothing.",
    )
    team = models.ForeignKey(
        Team,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="webhooks",
        help_text="Only alerts of this team and the teams below it. Empty: every team its "
        "owner may see.",
    )

    # The signing secret never enters the history.
    history = history_records(excluded=("secret",))

    # Not a field: the secret of a webhook just created, for the one answer that shows it.
    new_secret: str

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class WebhookDelivery(models.Model):
    """One delivery of an event to a webhook: its payload, status, attempts and last response or
    error."""

    class Status(models.TextChoices):
        PENDING = "pending", "Pending"
        DELIVERED = "delivered", "Delivered"
        FAILED = "failed", "Failed"

    webhook = models.ForeignKey(Webhook, on_delete=models.CASCADE, related_name="deliveries")
    alert = models.ForeignKey(
        Alert, null=True, blank=True, on_delete=models.SET_NULL, related_name="deliveries"
    )
    event = models.CharField(max_length=40, default="alert.opened")
    payload = models.JSONField()
    status = models.CharField(max_length=9, choices=Status.choices, default=Status.PENDING)
    attempts = models.PositiveSmallIntegerField(default=0)
    response_code = models.PositiveSmallIntegerField(null=True, blank=True)
    last_error = models.TextField(blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    last_attempt_at = models.DateTimeField(null=True, blank=True)
    delivered_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name_plural = "webhook deliveries"
        indexes = [models.Index(fields=["status", "created_at"])]

    def __str__(self) -> str:
        return f"{self.event} → {self.webhook} ({self.status})"


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

    from django.core.exceptions import ValidationError

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
