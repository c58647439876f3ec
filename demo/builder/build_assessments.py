"""Two capability assessments of the organisation (issue #18), a quarter apart, so the capability
map shows a radar and what changed since the previous one. Deterministic: fixed scores."""

from __future__ import annotations

import datetime as dt

from demo.builder.base import BuilderBase

# (days before today, scores in Capability order, a note per capability)
ASSESSMENTS = (
    (98, (2, 3, 2, 3, 2), "Baseline before the execution-support plan."),
    (7, (3, 3, 3, 3, 3), "After a quarter of weekly check-ins and the KPI feeds."),
)


class AssessmentBuilder(BuilderBase):
    """Builds the demo's capability assessments."""

    def build_assessments(self) -> None:
        """Two organisation-level capability assessments of the strategy (98 and 7 days ago,
        ``ASSESSMENTS``) by the first superuser (None without one)."""
        from assessment.models import CAPABILITIES, CapabilityAssessment
        from demo.builder.base import User

        assessor = User.objects.filter(is_superuser=True).order_by("id").first()
        CapabilityAssessment.objects.bulk_create(
            CapabilityAssessment(
                strategy=self.strategy,
                team=None,
                assessor=assessor,
                assessed_on=self.today - dt.timedelta(days=days),
                **{f"{c}_score": s for c, s in zip(CAPABILITIES, scores, strict=True)},
                **{f"{c}_notes": note for c in CAPABILITIES},
            )
            for days, scores, note in ASSESSMENTS
        )
