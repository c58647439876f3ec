"""Serializers of the support API: everything rendered for the reader (names of what they may
see, counts of the rest), read-only."""

from __future__ import annotations

from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers
from typing_extensions import override

from support.models import AssessmentReport, SupportMeasure


class GapLineSerializer(serializers.Serializer):
    """A line of a gap section in the report API, as plain text."""

    label = serializers.CharField(source="label_text")  # type: ignore[assignment]  # a field: DRF's metaclass takes it off the class, Field.label stays
    score = serializers.FloatField(allow_null=True)
    status = serializers.CharField()
    reason = serializers.CharField(source="reason_text")


class ComponentsSerializer(serializers.Serializer):
    """The components of a barrier's score (0-1 each)."""

    gap = serializers.FloatField()
    capability_shortfall = serializers.FloatField()
    survey_shortfall = serializers.FloatField(
        allow_null=True, help_text="Null for a reader who does not see every team (anonymity)."
    )
    breadth = serializers.FloatField()


class BarrierSerializer(serializers.Serializer):
    """A barrier in the API (``/api/v1/barriers/`` and within a report): rank, score and
    components, the teams behind it and the ids of its measures."""

    id = serializers.IntegerField(source="pk", allow_null=True)
    rank = serializers.IntegerField()
    capability = serializers.CharField()
    label = serializers.CharField()  # type: ignore[assignment]  # a field: DRF's metaclass takes it off the class, Field.label stays
    score = serializers.FloatField(
        allow_null=True,
        help_text="0-1 (support.ranking); null for a reader who does not see every team.",
    )
    components = ComponentsSerializer()
    capability_score = serializers.FloatField(allow_null=True)
    survey_mean = serializers.FloatField(allow_null=True)
    teams = serializers.ListField(child=serializers.CharField(), source="team_names")
    hidden_teams = serializers.IntegerField()
    measures = serializers.SerializerMethodField()

    def get_measures(self, barrier) -> list[int]:
        """The ids of the barrier's measures (those the reader may see)."""
        return [m.pk for m in barrier.measures]


class CapabilityScoreSerializer(serializers.Serializer):
    """A capability's score in a report (1-5; null without an assessment)."""

    code = serializers.CharField()
    label = serializers.CharField()  # type: ignore[assignment]  # a field: DRF's metaclass takes it off the class, Field.label stays
    score = serializers.FloatField(allow_null=True)


class ReportSummarySerializer(serializers.ModelSerializer):
    """A report in the report list (``/api/v1/assessment-reports/``)."""

    class Meta:
        model = AssessmentReport
        fields = ["id", "title", "strategy", "period", "status", "as_of", "frozen_at"]


class ReportSerializer(ReportSummarySerializer):
    """One report in full (``/api/v1/assessment-reports/<id>/``): its notes and the sections as
    this reader sees them."""

    health = GapLineSerializer(source="view.health", allow_null=True, read_only=True)
    teams_behind = GapLineSerializer(source="view.teams", many=True, read_only=True)
    teams_hidden = serializers.IntegerField(source="view.teams_hidden", read_only=True)
    largest_gaps = GapLineSerializer(source="view.objectives", many=True, read_only=True)
    largest_gaps_hidden = serializers.IntegerField(source="view.objectives_hidden", read_only=True)
    capabilities = CapabilityScoreSerializer(source="view.capabilities", many=True, read_only=True)
    barriers = BarrierSerializer(source="view.barriers", many=True, read_only=True)

    class Meta(ReportSummarySerializer.Meta):
        fields = [
            *ReportSummarySerializer.Meta.fields,
            "customer_input",
            "market_trends",
            "health",
            "teams_behind",
            "teams_hidden",
            "largest_gaps",
            "largest_gaps_hidden",
            "capabilities",
            "barriers",
        ]


class MovementSerializer(serializers.Serializer):
    """One row of a measure's tracking: means before and after for the test's teams and the others,
    and the difference; numbers null when hidden from this reader."""

    label = serializers.CharField()  # type: ignore[assignment]  # a field: DRF's metaclass takes it off the class, Field.label stays
    unit = serializers.CharField()
    test_before = serializers.FloatField(source="movement.test_before", allow_null=True)
    test_after = serializers.FloatField(source="movement.test_after", allow_null=True)
    test_teams = serializers.IntegerField(source="movement.test_n", allow_null=True)
    others_before = serializers.FloatField(source="movement.others_before", allow_null=True)
    others_after = serializers.FloatField(source="movement.others_after", allow_null=True)
    other_teams = serializers.IntegerField(source="movement.others_n", allow_null=True)
    difference = serializers.FloatField(source="movement.difference", allow_null=True)
    reason = serializers.CharField(
        help_text="Why the figure cannot be computed (no team has it at one of the dates); "
        "empty when it can."
    )
    shown = serializers.SerializerMethodField()

    def get_shown(self, row) -> bool:
        """False for a survey figure this reader may not combine."""
        return row.movement is not None

    @override
    def to_representation(self, instance):
        if instance.movement is None:  # a survey figure this reader may not combine
            return {
                "label": instance.label,
                "unit": instance.unit,
                **dict.fromkeys(
                    (
                        "test_before",
                        "test_after",
                        "test_teams",
                        "others_before",
                        "others_after",
                        "other_teams",
                        "difference",
                    )
                ),
                "reason": "",
                "shown": False,
            }
        return super().to_representation(instance)


class SupportMeasureSerializer(serializers.ModelSerializer):
    """A support measure in the API (``/api/v1/support-measures/``), with its tracking; reads the
    views the viewset put in the context (``views``)."""

    test_teams = serializers.SerializerMethodField()
    hidden_test_teams = serializers.SerializerMethodField()
    kpi = serializers.SerializerMethodField()
    before = serializers.SerializerMethodField()
    after = serializers.SerializerMethodField()
    tracking = serializers.SerializerMethodField()

    class Meta:
        model = SupportMeasure
        fields = [
            "id",
            "initiative",
            "barrier",
            "category",
            "capability",
            "test_teams",
            "hidden_test_teams",
            "test_start",
            "test_end",
            "adoption",
            "survey_item",
            "kpi",
            "before",
            "after",
            "tracking",
        ]

    def _view(self, measure):
        return self.context["views"][measure.pk]

    def get_test_teams(self, measure) -> list[str]:
        """The names of the test's teams the reader may see."""
        return [name for name, _url in self._view(measure).test_teams]

    def get_hidden_test_teams(self, measure) -> int:
        """How many of the test's teams are hidden from the reader."""
        return self._view(measure).hidden_test_teams

    def get_kpi(self, measure) -> int | None:
        """The adoption KPI's id, when the reader may see it."""
        kpi = self._view(measure).kpi
        return kpi.pk if kpi is not None else None

    def get_before(self, measure) -> str:
        """The label of the date the tracking compares from."""
        return self._view(measure).before_label

    def get_after(self, measure) -> str:
        """The label of the date the tracking compares to."""
        return self._view(measure).after_label

    @extend_schema_field(MovementSerializer(many=True))
    def get_tracking(self, measure) -> list[dict]:
        """The tracking rows (``MovementSerializer``): one per tracked figure."""
        return MovementSerializer(self._view(measure).rows, many=True).data  # type: ignore[return-value]  # many=True: a ListSerializer, its data a list
