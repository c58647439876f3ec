"""The plan itself: planning periods, strategies, themes, the objective tree and its status
trail.
"""

from __future__ import annotations

from decimal import Decimal
from typing import TYPE_CHECKING

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import F, Q
from django.urls import reverse
from django.utils import timezone
from django.utils.formats import date_format
from typing_extensions import override

from execsupport.validation import (
    DESCRIPTION_MAX,
    inconsistent,
    text_validators,
    validate_date,
)
from strategy.keys import KeyUniqueIgnoringCase
from strategy.models.base import (
    HEX_COLOUR,
    POSITIVE_WEIGHT,
    Priority,
    VersionedModel,
    history_records,
)
from strategy.models.teams import Team
from strategy.trees import tree_ancestor_ids

if TYPE_CHECKING:
    from django.contrib.auth.models import User

    from metrics.models import GapScore


# Lengths a period of each kind may have, in days, both ends counted. A calendar quarter has
# 90 to 92 days and a 13-week (4-4-5) fiscal quarter 91: a week either way is tolerated. A
# calendar year has 365 or 366 days and a 52/53-week fiscal year 364 or 371: two weeks either
# way. Custom periods have any length. (Documented in the README, "Periods", and docs/api.md.)
PERIOD_DAYS: dict[str, tuple[int, int]] = {"quarter": (83, 99), "year": (351, 380)}


class Period(VersionedModel):
    """A planning period (year, quarter or custom) that objectives are set for; ``clean`` checks its
    length against its kind (``PERIOD_DAYS``)."""

    class Kind(models.TextChoices):
        YEAR = "year", "Year"
        QUARTER = "quarter", "Quarter"
        CUSTOM = "custom", "Custom"

    name = models.CharField(max_length=60, unique=True)
    kind = models.CharField(max_length=10, choices=Kind.choices, default=Kind.QUARTER)
    start_date = models.DateField(validators=[validate_date])
    end_date = models.DateField(validators=[validate_date])

    history = history_records()

    class Meta:
        ordering = ["start_date", "end_date"]
        constraints = [
            models.CheckConstraint(
                condition=Q(end_date__gt=F("start_date")),
                name="period_end_after_start",
                violation_error_message="A period must end after it starts.",
            ),
        ]

    def __str__(self) -> str:
        return self.name

    def clean(self) -> None:
        """The one check of a period's dates (forms, the API and every service call
        ``full_clean``): it ends after it starts, and a quarter or a year lasts what its kind
        says, within ``PERIOD_DAYS`` (both ends counted; "custom" has any length)."""
        # The constraint period_end_after_start holds it in the database; here the error is
        # shown at the field (forms and the API).
        if not (self.start_date and self.end_date):
            return
        if self.end_date <= self.start_date:
            raise ValidationError(
                {
                    "end_date": ValidationError(
                        "A period must end after it starts.", code="inconsistent"
                    )
                }
            )
        bounds = PERIOD_DAYS.get(self.kind)
        days = (self.end_date - self.start_date).days + 1
        if bounds is not None and not bounds[0] <= days <= bounds[1]:
            about = "3 months" if self.kind == self.Kind.QUARTER else "12 months"
            raise ValidationError(
                {
                    "end_date": ValidationError(
                        f"A {self.get_kind_display().lower()} lasts about {about} "
                        f"({bounds[0]} to {bounds[1]} days); this one lasts {days} days. "
                        "Choose the kind Custom for another length.",
                        code="inconsistent",
                    )
                }
            )


class Strategy(VersionedModel):
    """A strategy: vision, horizon (dates), owner and the setup steps skipped. At most one is active
    (the one the pages and the API default to)."""

    class Status(models.TextChoices):
        DRAFT = "draft", "Draft"
        ACTIVE = "active", "Active"
        ARCHIVED = "archived", "Archived"

    name = models.CharField(max_length=160)
    vision = models.TextField(blank=True, validators=text_validators(DESCRIPTION_MAX))
    horizon_start = models.DateField(validators=[validate_date])
    horizon_end = models.DateField(validators=[validate_date])
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.DRAFT)
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    setup_skipped = models.JSONField(
        default=list,
        blank=True,
        help_text="Keys of the setup checklist's steps the strategy office chose to skip for "
        "this strategy (strategy.setup.SETUP_STEPS); a skipped step can be taken up again.",
    )

    history = history_records()

    class Meta:
        ordering = ["-horizon_start", "name"]
        verbose_name_plural = "strategies"
        constraints = [
            models.CheckConstraint(
                condition=Q(horizon_end__gt=F("horizon_start")),
                name="strategy_horizon_ordered",
                violation_error_message="The horizon must end after it starts.",
            ),
            models.UniqueConstraint(
                fields=["status"],
                condition=Q(status="active"),
                name="strategy_one_active",
                violation_error_message="Only one strategy can be active; archive the other first.",
            ),
        ]

    def __str__(self) -> str:
        return self.name

    @override
    def clean(self) -> None:
        if self.horizon_start and self.horizon_end and self.horizon_end <= self.horizon_start:
            raise ValidationError(
                {
                    "horizon_end": ValidationError(
                        "The horizon must end after it starts.", code="inconsistent"
                    )
                }
            )


class Theme(VersionedModel):
    """A strategic theme (pillar) of a strategy, with its weight in the strategy's rollup and its
    order and colour on the pages."""

    strategy = models.ForeignKey(Strategy, on_delete=models.PROTECT, related_name="themes")
    name = models.CharField(max_length=120)
    description = models.TextField(blank=True, validators=text_validators(DESCRIPTION_MAX))
    colour = models.CharField(max_length=7, default="#4c6ef5", validators=[HEX_COLOUR])
    order = models.PositiveSmallIntegerField(default=0)
    weight = models.DecimalField(
        max_digits=6,
        decimal_places=2,
        default=Decimal("1"),
        validators=[POSITIVE_WEIGHT],
        help_text="Priority weight of this pillar in the strategy's rollup.",
    )

    history = history_records()

    class Meta:
        ordering = ["strategy", "order", "name"]
        constraints = [
            models.UniqueConstraint(fields=["strategy", "name"], name="theme_unique_name"),
            models.CheckConstraint(condition=Q(weight__gt=0), name="theme_weight_positive"),
        ]

    def __str__(self) -> str:
        return self.name


class Objective(KeyUniqueIgnoringCase, VersionedModel):
    """An objective of a team for a period, under a theme of a strategy, optionally contributing to
    a parent objective (same strategy, no cycle); its dates fit its period
    (``objective_period_mismatch``). Its key is unique whatever its case."""

    class Status(models.TextChoices):
        DRAFT = "draft", "Draft"
        ACTIVE = "active", "Active"
        ACHIEVED = "achieved", "Achieved"
        MISSED = "missed", "Missed"
        CANCELLED = "cancelled", "Cancelled"

    CLOSED_STATUSES = (Status.ACHIEVED, Status.MISSED, Status.CANCELLED)

    strategy = models.ForeignKey(Strategy, on_delete=models.PROTECT, related_name="objectives")
    theme = models.ForeignKey(Theme, on_delete=models.PROTECT, related_name="objectives")
    period = models.ForeignKey(Period, on_delete=models.PROTECT, related_name="objectives")
    team = models.ForeignKey(Team, on_delete=models.PROTECT, related_name="objectives")
    parent = models.ForeignKey(
        "self",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="children",
        help_text="The objective this one contributes to; empty for company-level objectives.",
    )
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="owned_objectives",
        help_text="The one person accountable.",
    )
    key = models.SlugField(
        max_length=80,
        unique=True,
        blank=True,
        help_text="Stable identifier for spreadsheets and integrations, e.g. 'grow-smb'. "
        "Empty: proposed from the title.",
    )
    title = models.CharField(max_length=200)
    description = models.TextField(blank=True, validators=text_validators(DESCRIPTION_MAX))
    weight = models.DecimalField(
        max_digits=6, decimal_places=2, default=Decimal("1"), validators=[POSITIVE_WEIGHT]
    )
    priority = models.PositiveSmallIntegerField(choices=Priority.choices, default=Priority.MEDIUM)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.ACTIVE)
    start_date = models.DateField(validators=[validate_date])
    due_date = models.DateField(validators=[validate_date])

    history = history_records()
    # Set on an instance by the plan import while it checks a row (sheets.plan_import): the
    # strategy named or inherited and the theme's name, before they resolve. Not fields.
    _import_strategy: Strategy | None
    _import_theme: str

    # Not fields: django-simple-history's author of the next version (objective_save sets it),
    # and the latest score the views and search attach to the rows they show.
    _history_user: User
    latest_score: GapScore | None

    class Meta:
        ordering = ["strategy", "theme__order", "title"]
        constraints = [
            models.CheckConstraint(
                condition=Q(due_date__gt=F("start_date")),
                name="objective_due_after_start",
                violation_error_message="The due date must be after the start date.",
            ),
            models.CheckConstraint(
                condition=~Q(parent=F("id")),
                name="objective_not_own_parent",
                violation_error_message="An objective cannot be its own parent.",
            ),
            models.CheckConstraint(condition=Q(weight__gt=0), name="objective_weight_positive"),
        ]
        indexes = [
            models.Index(fields=["strategy", "status"]),
            models.Index(fields=["team", "status"]),
        ]

    def __str__(self) -> str:
        return self.title

    def get_absolute_url(self) -> str:
        """The objective's page."""
        return reverse("strategy:objective-detail", args=[self.pk])

    @property
    def is_closed(self) -> bool:
        """Whether the status is achieved, missed or cancelled (``CLOSED_STATUSES``)."""
        return self.status in self.CLOSED_STATUSES

    @override
    def clean(self) -> None:
        errors: dict[str, str] = {}
        if self.start_date and self.due_date and self.due_date <= self.start_date:
            errors["due_date"] = "The due date must be after the start date."
        elif self.period_id and self.start_date and self.due_date:
            mismatch = objective_period_mismatch(
                period=self.period, start_date=self.start_date, due_date=self.due_date
            )
            if mismatch:
                errors["period"] = mismatch
        if self.theme_id and self.strategy_id and self.theme.strategy_id != self.strategy_id:
            errors["theme"] = "The theme belongs to another strategy."
        if self.parent_id and self.parent is not None:
            if self.parent.strategy_id != self.strategy_id:
                errors["parent"] = "The parent objective belongs to another strategy."
            elif self.pk and (
                self.parent_id == self.pk or self.pk in tree_ancestor_ids(Objective, self.parent_id)
            ):
                errors["parent"] = (
                    f"“{self.parent}” is aligned under “{self.title}”: "
                    "choosing it as parent would make a cycle."
                )
        if errors:
            raise inconsistent(errors)


def objective_period_mismatch(*, period: Period, start_date, due_date) -> str:
    """Why an objective running ``start_date``..``due_date`` does not match ``period`` (its dates
    and the period share no day: a Q3 objective dated in Q1), or "" when they match. The one
    rule: ``Objective.clean`` runs it, so the page's form, the API and the admin refuse alike,
    at the ``period`` field."""
    if start_date <= period.end_date and due_date >= period.start_date:
        return ""
    fmt = "SHORT_DATE_FORMAT"
    return (
        f"{period.name} runs {date_format(period.start_date, fmt)} to "
        f"{date_format(period.end_date, fmt)}, outside these dates "
        f"({date_format(start_date, fmt)} to {date_format(due_date, fmt)}): choose the period "
        "they fall in, or change the dates."
    )


class StatusTransition(models.Model):
    """One change of an objective's or an initiative's status: who, when, from, to.

    Written only by ``strategy.lifecycle.status_transition_record``, which the save services
    (``objective_save``, ``initiative_save``) call whenever the status changes, so pages, the
    API and the admin all leave the same trail. Append-only.
    """

    class SubjectType(models.TextChoices):
        OBJECTIVE = "objective", "Objective"
        INITIATIVE = "initiative", "Initiative"

    subject_type = models.CharField(max_length=12, choices=SubjectType.choices)
    subject_id = models.PositiveBigIntegerField()
    from_status = models.CharField(max_length=10)
    to_status = models.CharField(max_length=10)
    changed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        help_text="Who changed it (empty: a script, or the person was deleted since).",
    )
    changed_at = models.DateTimeField(default=timezone.now)
    note = models.CharField(max_length=300, blank=True)

    class Meta:
        ordering = ["changed_at", "id"]
        indexes = [
            models.Index(
                fields=["subject_type", "subject_id", "changed_at"],
                name="status_transition_subject",
            )
        ]

    def __str__(self) -> str:
        return (
            f"{self.subject_type} #{self.subject_id}: {self.from_status} -> {self.to_status} "
            f"at {self.changed_at:%Y-%m-%d %H:%M}"
        )
