"""Serializers of the assessment API: capability assessments (read and write), and the read-only
shapes of the evidence figures and of calibration."""

from __future__ import annotations

from rest_framework import serializers

from assessment.models import CAPABILITY_FIELDS, Capability, CapabilityAssessment
from execsupport.validation import DateFormField
from strategy.api_fields import ScopedRelatedField
from strategy.models import Team


class CapabilityAssessmentSerializer(serializers.ModelSerializer):
    """A capability assessment in the API (``/api/v1/capability-assessments/``): scores 1-5
    per capability; strategy, assessor and version are set by the server."""

    team = ScopedRelatedField(
        queryset=Team.objects.all(),
        scope_lookup="id",
        allow_null=True,
        required=False,
        help_text="Empty: the whole organisation (the strategy office only).",
    )
    structure_score = serializers.IntegerField(min_value=1, max_value=5)
    leadership_score = serializers.IntegerField(min_value=1, max_value=5)
    tools_score = serializers.IntegerField(min_value=1, max_value=5)
    talent_score = serializers.IntegerField(min_value=1, max_value=5)
    agility_score = serializers.IntegerField(min_value=1, max_value=5)

    class Meta:
        model = CapabilityAssessment
        fields = [
            "id",
            "strategy",
            "team",
            "assessed_on",
            "assessor",
            *CAPABILITY_FIELDS,
            "version",
            "created_at",
            "updated_at",
        ]
        read_only_fields = ["strategy", "assessor", "version", "created_at", "updated_at"]


class EvidenceFigureSerializer(serializers.Serializer):
    """One evidence figure of a capability (read only): value, unit and whether it is tracked."""

    code = serializers.CharField()
    label = serializers.CharField()  # type: ignore[assignment]  # a field: DRF's metaclass takes it off the class, Field.label stays
    value = serializers.FloatField(
        allow_null=True, help_text="None: nothing to measure, or not tracked."
    )
    unit = serializers.CharField(help_text='"%", "days", "hours" or "of 5".')
    tracked = serializers.BooleanField(help_text='False: "not tracked yet" (no data behind it).')
    detail = serializers.CharField()
    rows_url = serializers.CharField(allow_null=True, help_text="The page of its rows.")


class CapabilityEvidenceSerializer(serializers.Serializer):
    """A capability and its evidence figures."""

    capability = serializers.ChoiceField(choices=Capability.choices)
    figures = EvidenceFigureSerializer(many=True)


class EvidenceSerializer(serializers.Serializer):
    """The capability evidence response: its scope (strategy, team, date) and the figures per
    capability."""

    strategy = serializers.IntegerField()
    team = serializers.IntegerField(allow_null=True)
    as_of = serializers.DateField()
    capabilities = CapabilityEvidenceSerializer(many=True)


class ScopeQuerySerializer(serializers.Serializer):
    """``?team=`` (a team you see; none: the organisation) and ``?as_of=`` (default today)."""

    team = serializers.IntegerField(required=False, min_value=1, max_value=2**63 - 1)
    as_of = serializers.DateField(required=False)

    def validate_as_of(self, value):
        """Check the date is within the shared range (``validate_date``)."""
        DateFormField().run_validators(value)
        return value

    def validate(self, attrs):
        """A parameter given empty (``?as_of=``) is refused, not read as absent."""
        blank = {
            name: "Give a value or leave the parameter out."
            for name in ("team", "as_of")
            if name in self.initial_data and str(self.initial_data.get(name)).strip() == ""
        }
        if blank:
            raise serializers.ValidationError(blank)
        return attrs


class ReliabilityRowSerializer(serializers.Serializer):
    """One bin of a reliability table: its probability range and the stated and observed rates
    (0-1)."""

    low = serializers.FloatField()
    high = serializers.FloatField()
    stated = serializers.FloatField(allow_null=True, help_text="Mean stated probability (0-1).")
    observed = serializers.FloatField(allow_null=True, help_text="Observed rate (0-1).")
    count = serializers.IntegerField()


class CalibrationViewSerializer(serializers.Serializer):
    """One calibration view: the number of cases, Brier score, stated and observed rates (0-1),
    bias, verdict and reliability table."""

    cases = serializers.IntegerField(help_text="Closed initiatives, or decided KPIs.")
    points = serializers.IntegerField(help_text="Probabilities scored.")
    min_cases = serializers.IntegerField()
    enough = serializers.BooleanField()
    brier = serializers.FloatField(allow_null=True)
    stated = serializers.FloatField(allow_null=True)
    observed = serializers.FloatField(allow_null=True)
    bias = serializers.FloatField(
        allow_null=True, help_text="stated - observed: above 0 over-confident."
    )
    verdict = serializers.CharField()
    table = ReliabilityRowSerializer(many=True)


class GroupCalibrationSerializer(serializers.Serializer):
    """A calibration view for one owner or team (``key``: its id)."""

    key = serializers.IntegerField(help_text="The owner's or team's id.")
    view = CalibrationViewSerializer()


class CalibrationSerializer(serializers.Serializer):
    """The calibration response: the views of confidence and forecasts, and per owner and team."""

    strategy = serializers.IntegerField()
    team = serializers.IntegerField(allow_null=True)
    confidence = CalibrationViewSerializer()
    by_owner = GroupCalibrationSerializer(many=True)
    by_team = GroupCalibrationSerializer(many=True)
    forecasts = CalibrationViewSerializer()
