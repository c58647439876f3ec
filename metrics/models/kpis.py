"""KPIs and their plan: trajectory points, target revisions, measurements and their
corrections.
"""

from __future__ import annotations

from decimal import Decimal
from typing import TYPE_CHECKING

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import F, Q
from django.urls import reverse
from django.utils import timezone
from typing_extensions import override

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

    from metrics.models.scores import GapScore
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
