"""Capability assessments: per team (or for the organisation: no team), a dated score of 1 to
5 for each of the five execution capabilities, with evidence notes and the assessor.

The five scores live on one row (``<capability>_score`` and ``<capability>_notes``): an
assessment is recorded, compared and charted as a whole, and one row keeps the API and the form
flat. ``CAPABILITY_FIELDS`` names them in ``Capability`` order.
"""

from __future__ import annotations

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.urls import reverse

from execsupport.validation import REASON_MAX, text_validators, validate_date
from strategy.models import Strategy, Team, VersionedModel

SCORE = [MinValueValidator(1), MaxValueValidator(5)]


class Capability(models.TextChoices):
    """The five execution capabilities of the method's step 2."""

    STRUCTURE = "structure", "Structure"
    LEADERSHIP = "leadership", "Leadership"
    TOOLS = "tools", "Tools"
    TALENT = "talent", "Talent development"
    AGILITY = "agility", "Agility"


CAPABILITIES: tuple[str, ...] = tuple(Capability.values)


def _score(capability: str) -> models.PositiveSmallIntegerField:
    return models.PositiveSmallIntegerField(
        f"{capability} score",
        validators=SCORE,
        help_text="1 (weak) to 5 (strong).",
    )


def _notes(capability: str) -> models.TextField:
    return models.TextField(
        f"{capability} evidence notes",
        blank=True,
        validators=text_validators(REASON_MAX),
        help_text="What the score rests on.",
    )


class CapabilityAssessment(VersionedModel):
    """One assessment of the five capabilities of a team (``team`` empty: the organisation) on a
    day, by an assessor. Readable by whoever may see the team (the organisation's: anyone who
    sees the plan); recorded by the office, and by leaders for the teams they lead."""

    strategy = models.ForeignKey(
        Strategy, on_delete=models.PROTECT, related_name="capability_assessments"
    )
    team = models.ForeignKey(
        Team,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="capability_assessments",
        help_text="Empty: the whole organisation.",
    )
    assessed_on = models.DateField(validators=[validate_date])
    assessor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="capability_assessments",
    )
    structure_score = _score("structure")
    structure_notes = _notes("structure")
    leadership_score = _score("leadership")
    leadership_notes = _notes("leadership")
    tools_score = _score("tools")
    tools_notes = _notes("tools")
    talent_score = _score("talent")
    talent_notes = _notes("talent")
    agility_score = _score("agility")
    agility_notes = _notes("agility")

    # Each capability's score check reports at its field (execsupport.validation).
    constraint_fields = {f"assessment_{c}_1_5": f"{c}_score" for c in CAPABILITIES}

    class Meta:
        ordering = ["-assessed_on", "-id"]
        constraints = [
            *(
                models.CheckConstraint(
                    condition=Q(**{f"{c}_score__gte": 1, f"{c}_score__lte": 5}),
                    name=f"assessment_{c}_1_5",
                    violation_error_message="A score is from 1 to 5.",
                )
                for c in CAPABILITIES
            ),
        ]
        indexes = [
            models.Index(fields=["strategy", "team", "assessed_on"], name="assessment_scope_day"),
        ]

    def __str__(self) -> str:
        return f"Capability assessment of {self.assessed_on:%Y-%m-%d}"

    def get_absolute_url(self) -> str:
        """The assessment's detail page."""
        return reverse("assessment:assessment-detail", args=[self.pk])

    def scores(self) -> dict[str, int]:
        """``{capability: score}`` in ``Capability`` order."""
        return {c: getattr(self, f"{c}_score") for c in CAPABILITIES}

    def notes(self) -> dict[str, str]:
        """The notes per capability code (empty strings where none were written)."""
        return {c: getattr(self, f"{c}_notes") for c in CAPABILITIES}


CAPABILITY_FIELDS: tuple[str, ...] = tuple(
    name for c in CAPABILITIES for name in (f"{c}_score", f"{c}_notes")
)
