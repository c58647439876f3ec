"""Initiatives: the work that supports an objective, its blocker tags and its dependencies on
other initiatives."""

from __future__ import annotations

from decimal import Decimal
from typing import TYPE_CHECKING

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import F, Q
from django.urls import reverse
from django_cte import CTE, with_cte
from typing_extensions import override

from execsupport.validation import (
    CHECKIN_TEXT_MAX,
    DESCRIPTION_MAX,
    FieldConstraintsMixin,
    inconsistent,
    text_validators,
    validate_date,
)
from strategy.keys import KeyUniqueIgnoringCase
from strategy.models import (
    POSITIVE_WEIGHT,
    Objective,
    Priority,
    Team,
    VersionedModel,
    history_records,
)

if TYPE_CHECKING:
    from django.contrib.auth.models import User

    from initiatives.forms import CheckInForm
    from initiatives.models.execution import Milestone
    from metrics.models import GapScore
    from metrics.scoring.initiative import CheckinSilence

PERCENT = [MinValueValidator(0), MaxValueValidator(100)]
CHECKIN_TEXT = text_validators(CHECKIN_TEXT_MAX)


class BlockerTag(models.TextChoices):
    """What kind of blocker a check-in reports (optional; several may apply)."""

    SKILLS = "skills", "Skills"
    RESOURCES = "resources", "Resources"
    DEPENDENCY = "dependency", "Dependency"
    DECISION = "decision", "Decision"


def blocker_tags_join(tags) -> str:
    """The stored form of a set of blocker tags: distinct, in ``BlockerTag`` order, joined by
    commas (``"skills,decision"``); empty for none. Raises ``ValidationError`` on an unknown tag.
    No tag is a part of another, so ``blocker_tags__contains="skills"`` finds the tag."""
    given = set(tags or ())
    unknown = sorted(given - set(BlockerTag.values))
    if unknown:
        raise ValidationError(
            {
                "blocker_tags": f"Unknown blocker tag {unknown[0]!r}: use {', '.join(BlockerTag.values)}."
            }
        )
    return ",".join(tag for tag in BlockerTag.values if tag in given)


def blocker_tags_split(value: str) -> list[str]:
    """The tags of a stored ``blocker_tags`` value, in ``BlockerTag`` order."""
    return [tag for tag in (value or "").split(",") if tag]


def validate_blocker_tags(value: str) -> None:
    """The stored value is a canonical ``blocker_tags_join`` of known tags."""
    if blocker_tags_join(blocker_tags_split(value)) != (value or ""):
        raise ValidationError(
            f"Blocker tags are a comma-separated list of {', '.join(BlockerTag.values)}.",
            code="invalid",
        )


class InitiativeDependency(FieldConstraintsMixin, models.Model):
    """``initiative`` cannot finish before ``depends_on`` delivers. Defined before
    ``Initiative``: its history records each version's dependencies (``m2m_fields``), and
    django-simple-history needs the through model ready when ``Initiative`` is."""

    initiative = models.ForeignKey(
        "Initiative", on_delete=models.CASCADE, related_name="dependency_links"
    )
    depends_on = models.ForeignKey(
        "Initiative", on_delete=models.CASCADE, related_name="dependent_links"
    )
    note = models.CharField(max_length=200, blank=True)

    class Meta:
        verbose_name_plural = "initiative dependencies"
        constraints = [
            models.UniqueConstraint(
                fields=["initiative", "depends_on"], name="dependency_unique_pair"
            ),
            models.CheckConstraint(
                condition=~Q(initiative=F("depends_on")),
                name="dependency_not_on_itself",
                violation_error_message="An initiative cannot depend on itself.",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.initiative} depends on {self.depends_on}"

    @override
    def clean(self) -> None:
        if (
            self.initiative_id
            and self.depends_on_id
            and self.initiative_id
            in initiative_dependency_closure(initiative_id=self.depends_on_id)
        ):
            raise ValidationError(
                {"depends_on": "That initiative already depends on this one: a cycle."}
            )


def initiative_dependency_closure(*, initiative_id: int) -> set[int]:
    """Every initiative that ``initiative_id`` depends on, directly or transitively (one query):
    ``InitiativeDependency.clean`` refuses a dependency that would close a cycle."""

    def make(cte: CTE):
        base = (
            InitiativeDependency.objects.filter(initiative_id=initiative_id)
            .order_by()
            .values("depends_on_id")
        )
        step = cte.join(InitiativeDependency, initiative_id=cte.col.depends_on_id).values(
            "depends_on_id"
        )
        return base.union(step, all=False)

    cte = CTE.recursive(make)
    return set(with_cte(cte, select=cte).values_list("depends_on_id", flat=True))


class Initiative(KeyUniqueIgnoringCase, VersionedModel):
    """A piece of work of one team toward one objective: owner and contributors, status and dates,
    progress (0-100 %), budget and effort, check-in cadence; ``kind`` plan or support.

    ``last_checkin_at`` and ``spent`` are kept by database triggers; the pause fields by
    ``initiative_save``."""

    class Status(models.TextChoices):
        PROPOSED = "proposed", "Proposed"
        ACTIVE = "active", "Active"
        ON_HOLD = "on_hold", "On hold"
        DONE = "done", "Done"
        CANCELLED = "cancelled", "Cancelled"

    class Kind(models.TextChoices):
        PLAN = "plan", "Plan"
        SUPPORT = "support", "Support"

    CLOSED_STATUSES = (Status.DONE, Status.CANCELLED)

    objective = models.ForeignKey(Objective, on_delete=models.PROTECT, related_name="initiatives")
    team = models.ForeignKey(Team, on_delete=models.PROTECT, related_name="initiatives")
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="owned_initiatives",
    )
    contributors = models.ManyToManyField(
        settings.AUTH_USER_MODEL, blank=True, related_name="contributed_initiatives"
    )
    depends_on = models.ManyToManyField(
        "self",
        symmetrical=False,
        blank=True,
        through=InitiativeDependency,
        related_name="dependents",
    )
    key = models.SlugField(
        max_length=80,
        unique=True,
        blank=True,
        help_text="Stable identifier for spreadsheets and integrations, e.g. 'crm-rollout'. "
        "Empty: proposed from the title.",
    )
    title = models.CharField(max_length=200)
    description = models.TextField(blank=True, validators=text_validators(DESCRIPTION_MAX))
    kind = models.CharField(
        max_length=7,
        choices=Kind.choices,
        default=Kind.PLAN,
        db_default=Kind.PLAN,
        editable=False,
        help_text="'plan': work of the strategy; 'support': a support measure of the "
        "execution-support plan (set by the support app, linked to its barrier there). A support "
        "initiative is scored and alerted like any other but left out of its objective's score, so "
        "it never moves the plan's health.",
    )
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.PROPOSED)
    priority = models.PositiveSmallIntegerField(choices=Priority.choices, default=Priority.MEDIUM)
    start_date = models.DateField(validators=[validate_date])
    due_date = models.DateField(validators=[validate_date])
    completed_on = models.DateField(null=True, blank=True, validators=[validate_date])
    progress = models.PositiveSmallIntegerField(
        default=0, validators=PERCENT, help_text="Reported progress, 0-100 %."
    )
    budget_planned = models.DecimalField(
        "planned budget",
        max_digits=14,
        decimal_places=2,
        default=Decimal("0"),
        validators=[MinValueValidator(0)],
        help_text="Planned budget in the organisation's currency.",
    )
    effort_planned_fte = models.DecimalField(
        "planned effort (FTE)",
        max_digits=6,
        decimal_places=2,
        default=Decimal("0"),
        validators=[MinValueValidator(0)],
    )
    checkin_cadence_days = models.PositiveSmallIntegerField(
        "check-in cadence (days)",
        default=14,
        validators=[MinValueValidator(1), MaxValueValidator(366)],
        help_text="A check-in is expected at least this often.",
    )
    weight = models.DecimalField(
        max_digits=6, decimal_places=2, default=Decimal("1"), validators=[POSITIVE_WEIGHT]
    )
    last_checkin_at = models.DateTimeField(
        null=True,
        blank=True,
        editable=False,
        help_text="When its newest check-in was made. Kept by the database (triggers of "
        "migration 0002): always the latest check-in's time, whatever the application writes.",
    )
    paused_days = models.PositiveIntegerField(
        default=0,
        db_default=0,
        editable=False,
        help_text="Days spent on hold in finished pauses (kept by initiative_save when the "
        "status changes); left out of the elapsed time that the schedule is judged on.",
    )
    paused_since = models.DateField(
        null=True, blank=True, editable=False, help_text="The day it went on hold (while on hold)."
    )
    resumed_on = models.DateField(
        null=True,
        blank=True,
        editable=False,
        help_text="The day it last came back from hold: check-ins are expected from then on.",
    )
    spent = models.DecimalField(
        max_digits=16,
        decimal_places=2,
        default=Decimal("0"),
        editable=False,
        help_text="The sum of its spend entries. Kept by the database (triggers of migration "
        "0004), whatever the application writes.",
    )

    # Progress and the sums come from check-ins and spend (their own records); the pause
    # bookkeeping follows the status.
    history = history_records(
        excluded=(
            "progress", "last_checkin_at", "spent", "paused_days", "paused_since", "resumed_on",
        ),
        m2m_fields=("contributors", "depends_on"),
    )  # fmt: skip

    # Not fields: django-simple-history's per-save options (the services set them) and what
    # the selectors and views attach to the rows they show. Declared for the type checker.
    _history_user: User
    _change_reason: str
    skip_history_when_saving: bool
    latest_score: GapScore | None
    silence: CheckinSilence
    open_milestones: list[Milestone]
    flags: list[tuple[str, str]]
    attention: int
    visible: bool
    can_update: bool
    form: CheckInForm | None

    class Meta:
        ordering = ["due_date", "title"]
        constraints = [
            models.CheckConstraint(
                condition=Q(due_date__gt=F("start_date")),
                name="initiative_due_after_start",
                violation_error_message="The due date must be after the start date.",
            ),
            models.CheckConstraint(
                condition=Q(progress__gte=0, progress__lte=100),
                name="initiative_progress_0_100",
                violation_error_message="Progress must be between 0 and 100.",
            ),
            models.CheckConstraint(
                condition=Q(budget_planned__gte=0), name="initiative_budget_not_negative"
            ),
            models.CheckConstraint(
                condition=Q(effort_planned_fte__gte=0), name="initiative_effort_not_negative"
            ),
            models.CheckConstraint(
                condition=Q(checkin_cadence_days__gte=1, checkin_cadence_days__lte=366),
                name="initiative_cadence_1_366",
            ),
            models.CheckConstraint(condition=Q(weight__gt=0), name="initiative_weight_positive"),
        ]
        indexes = [
            models.Index(fields=["team", "status"]),
            models.Index(fields=["owner", "status"]),
            models.Index(fields=["objective", "status"]),
            # The API's list order: a page is an index range, not a sort of every initiative.
            models.Index(fields=["due_date", "id"], name="initiative_list_order"),
        ]

    def __str__(self) -> str:
        return self.title

    def get_absolute_url(self) -> str:
        """The initiative's page."""
        return reverse("initiatives:initiative-detail", args=[self.pk])

    @property
    def is_closed(self) -> bool:
        """True when done or cancelled."""
        return self.status in self.CLOSED_STATUSES

    @override
    def clean(self) -> None:
        if self.start_date and self.due_date and self.due_date <= self.start_date:
            raise inconsistent({"due_date": "The due date must be after the start date."})
