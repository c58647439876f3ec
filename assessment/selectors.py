"""Reads of capability assessments, scoped by ``strategy.access``."""

from __future__ import annotations

from dataclasses import dataclass

from django.db.models import QuerySet
from django.http import Http404

from assessment.models import CAPABILITIES, CapabilityAssessment
from strategy.access import Access
from strategy.models import Strategy


def assessments_visible(*, access: Access, strategy: Strategy | None = None) -> QuerySet:
    """The assessments the reader may see (of a strategy when given), newest first, with their
    team and assessor."""
    if not access.sees_anything:
        return CapabilityAssessment.objects.none()
    queryset = CapabilityAssessment.objects.filter(access.assessment_filter())
    if strategy is not None:
        queryset = queryset.filter(strategy=strategy)
    return queryset.select_related("team", "assessor").order_by("-assessed_on", "-id")


def assessment_get_for_user(*, access: Access, pk: int) -> CapabilityAssessment:
    """One assessment the reader may see; ``Http404`` otherwise."""
    assessment = assessments_visible(access=access).filter(pk=pk).first()
    if assessment is None:
        raise Http404("No such assessment.")
    return assessment


def assessment_previous(*, assessment: CapabilityAssessment) -> CapabilityAssessment | None:
    """The assessment of the same strategy and scope made before this one (one query)."""
    return (
        CapabilityAssessment.objects.filter(
            strategy_id=assessment.strategy_id,
            team_id=assessment.team_id,  # type: ignore[misc]  # None is IS NULL in Django; the stubs want a value
            assessed_on__lte=assessment.assessed_on,
        )
        .exclude(pk=assessment.pk)
        .exclude(assessed_on=assessment.assessed_on, id__gt=assessment.pk)
        .order_by("-assessed_on", "-id")
        .first()
    )


@dataclass(frozen=True)
class ScoreChange:
    """One capability of an assessment beside the previous one (``previous``/``delta`` None
    without a previous assessment)."""

    capability: str
    label: str
    score: int
    previous: int | None
    notes: str

    @property
    def delta(self) -> int | None:
        """The change in score (points of 1-5) since the previous assessment; None for the first."""
        return None if self.previous is None else self.score - self.previous


def assessment_changes(
    *, assessment: CapabilityAssessment, previous: CapabilityAssessment | None
) -> list[ScoreChange]:
    """Each capability's score, the previous score and the notes, in ``Capability`` order."""
    from assessment.models import Capability

    labels = dict(Capability.choices)
    before = previous.scores() if previous else {}
    return [
        ScoreChange(
            capability=c,
            label=labels[c],
            score=getattr(assessment, f"{c}_score"),
            previous=before.get(c),
            notes=getattr(assessment, f"{c}_notes"),
        )
        for c in CAPABILITIES
    ]


def assessments_latest_by_scope(*, access: Access, strategy: Strategy) -> list:
    """The latest assessment of each scope (the organisation first, then teams by name) the
    reader may see: the comparison between teams (one query)."""
    latest: dict = {}
    for assessment in assessments_visible(access=access, strategy=strategy):
        latest.setdefault(assessment.team_id, assessment)  # newest first
    return sorted(
        latest.values(),
        key=lambda a: (a.team_id is not None, a.team.name if a.team else "", a.team_id or 0),
    )
