"""The assessment report, its ranked barriers, and the support measures that tackle them.

* ``AssessmentReport``: one per strategy and period. While a draft it is computed live from the
  plan (gap engine, surveys, capability assessments, calibration) plus the notes leaders write
  (customer input, market trends); **freezing** stores what it showed (``data``, references
  only: names are rendered for each reader) and its ranked ``Barrier`` rows, so the support plan
  and the next assessment can refer to them. A frozen report never changes.
* ``SupportMeasure``: the support plan's link of an initiative of the **support** kind
  (``initiatives.Initiative.kind``; owners, dates, status, check-ins, milestones and KPIs come
  with it) to the barrier it tackles, with its category, the capability it targets, its first
  small test (teams, start, end) and how its adoption is measured. ``initiatives`` never imports
  this app.
"""

from __future__ import annotations

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import F, Q
from django.urls import reverse
from typing_extensions import override

from assessment.models import Capability
from execsupport.validation import DESCRIPTION_MAX, text_validators, validate_date
from initiatives.models import Initiative
from strategy.models import Period, Strategy, Team, TimestampedModel


class AssessmentReport(TimestampedModel):
    """Step 1 of the method for one strategy and period (see the module docstring)."""

    class Status(models.TextChoices):
        DRAFT = "draft", "Draft"
        FROZEN = "frozen", "Frozen"

    strategy = models.ForeignKey(Strategy, on_delete=models.PROTECT, related_name="assessments")
    period = models.ForeignKey(Period, on_delete=models.PROTECT, related_name="assessments")
    title = models.CharField(max_length=160)
    customer_input = models.TextField(
        blank=True,
        validators=text_validators(DESCRIPTION_MAX),
        help_text="What customers say: interviews, complaints, churn reasons, NPS comments.",
    )
    market_trends = models.TextField(
        blank=True,
        validators=text_validators(DESCRIPTION_MAX),
        help_text="Moves of the market and competitors that bear on the strategy.",
    )
    status = models.CharField(max_length=6, choices=Status.choices, default=Status.DRAFT)
    as_of = models.DateField(
        null=True, blank=True, validators=[validate_date], help_text="The day it was frozen."
    )
    frozen_at = models.DateTimeField(null=True, blank=True)
    frozen_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    data = models.JSONField(
        default=dict,
        blank=True,
        help_text="What the frozen report showed, as references and figures (support.report).",
    )

    class Meta:
        ordering = ["-period__start_date", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["strategy", "period"],
                name="assessment_one_per_strategy_period",
                violation_error_message="This strategy already has an assessment for the period.",
            ),
            models.CheckConstraint(
                condition=Q(status="draft") | Q(frozen_at__isnull=False, as_of__isnull=False),
                name="assessment_frozen_has_date",
            ),
        ]

    def __str__(self) -> str:
        return self.title

    def get_absolute_url(self) -> str:
        """The report's page."""
        return reverse("support:report", args=[self.pk])

    @property
    def is_frozen(self) -> bool:
        """True once frozen: its barriers are fixed and it no longer changes."""
        return self.status == self.Status.FROZEN


class Barrier(models.Model):
    """A ranked barrier of a frozen report: the capability, its score and components (see
    ``support.ranking``), the affected teams (ids: named for each reader) and its evidence."""

    report = models.ForeignKey(AssessmentReport, on_delete=models.CASCADE, related_name="barriers")
    rank = models.PositiveSmallIntegerField()
    capability = models.CharField(max_length=12, choices=Capability.choices)
    score = models.FloatField(help_text="0-1, the ranking rule of support.ranking.")
    components = models.JSONField(default=dict)
    team_ids = models.JSONField(default=list, help_text="The affected teams.")
    capability_score = models.FloatField(null=True, blank=True)
    survey_mean = models.FloatField(null=True, blank=True)
    evidence = models.JSONField(
        default=list, help_text="Evidence figures of the capability: label, value, unit, link."
    )

    class Meta:
        ordering = ["report", "rank"]
        constraints = [
            models.UniqueConstraint(fields=["report", "rank"], name="barrier_rank_once"),
            models.UniqueConstraint(
                fields=["report", "capability"], name="barrier_capability_once"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_capability_display()} ({self.report})"

    def get_absolute_url(self) -> str:
        """The report's page, anchored at this barrier."""
        return f"{self.report.get_absolute_url()}#barrier-{self.pk}"


class SupportMeasure(TimestampedModel):
    """A support measure: an initiative of the support kind tackling a barrier (module doc)."""

    class Category(models.TextChoices):
        OPERATING_MODEL = "operating_model", "Operating model"
        ENABLING_TECHNOLOGY = "enabling_technology", "Enabling technology"
        LEADERSHIP_AGENDA = "leadership_agenda", "Leadership agenda"
        CAPABILITY_BUILDING = "capability_building", "Capability building"
        PERFORMANCE_ROUTINE = "performance_routine", "Performance routine"

    class Adoption(models.TextChoices):
        CHECKIN_TIMELINESS = "checkin_timeliness", "Check-in timeliness of the teams in the test"
        SURVEY_ITEM = "survey_item", "A survey item, for the teams in the test"
        CAPABILITY_SCORE = "capability_score", "The capability's score, for the teams in the test"
        KPI = "kpi", "A KPI of its own"

    initiative = models.OneToOneField(
        Initiative,
        on_delete=models.CASCADE,
        related_name="support_measure",
        limit_choices_to={"kind": Initiative.Kind.SUPPORT},
    )
    barrier = models.ForeignKey(Barrier, on_delete=models.PROTECT, related_name="measures")
    category = models.CharField(max_length=20, choices=Category.choices)
    capability = models.CharField(max_length=12, choices=Capability.choices)
    test_teams = models.ManyToManyField(Team, related_name="support_tests")
    test_start = models.DateField(validators=[validate_date])
    test_end = models.DateField(validators=[validate_date])
    adoption = models.CharField(max_length=18, choices=Adoption.choices)
    survey_item = models.CharField(max_length=40, blank=True)
    kpi = models.ForeignKey(
        "metrics.KPI", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        ordering = ["barrier__rank", "initiative__due_date", "id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(test_end__gt=F("test_start")),
                name="support_test_end_after_start",
                violation_error_message="The test must end after it starts.",
            ),
        ]

    def __str__(self) -> str:
        return str(self.initiative)

    def get_absolute_url(self) -> str:
        """The page of the measure's initiative (a measure has no page of its own)."""
        return self.initiative.get_absolute_url()

    @override
    def clean(self) -> None:
        errors = {}
        if self.test_start and self.test_end and self.test_end <= self.test_start:
            errors["test_end"] = "The test must end after it starts."
        if self.adoption == self.Adoption.SURVEY_ITEM and not self.survey_item:
            errors["survey_item"] = "Choose the survey item that measures adoption."
        if self.adoption == self.Adoption.KPI and self.kpi_id is None:
            errors["kpi"] = "Choose the KPI that measures adoption."
        if errors:
            raise ValidationError(errors)
