"""Writes of capability assessments (pages, API, demo builder)."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.db import transaction

from assessment.models import CapabilityAssessment


@transaction.atomic
def assessment_save(
    *, assessment: CapabilityAssessment, expected_version: int | None = None
) -> CapabilityAssessment:
    """Validate and save a new or changed assessment. ``expected_version``: the version the
    form or client read (``VersionConflict`` when someone saved meanwhile). Raises
    ``ValidationError`` (field-level) on a bad score, date or note; nothing is written then.
    Who may record it is the caller's check (``Access.can_record_assessment``)."""
    if assessment.team is not None and assessment.team.kind == "company":
        raise ValidationError(
            {"team": "Leave the team empty to assess the whole organisation."}, code="invalid"
        )
    assessment.full_clean(exclude=["assessor", "strategy"])
    if assessment.pk is None:
        assessment.save()
    else:
        assessment.save(expected_version=expected_version)
    return assessment


def assessment_delete(*, assessment: CapabilityAssessment) -> None:
    """Delete an assessment (nothing else refers to it)."""
    assessment.delete()
