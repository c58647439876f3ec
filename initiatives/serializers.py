"""Input and output shapes of the execution API: initiatives, milestones, check-ins, spend."""

from __future__ import annotations

from rest_framework import serializers

from execsupport.validation import validate_nonzero
from initiatives.models import CheckIn, Initiative, Milestone, SpendEntry
from metrics.serializers import LatestScoreSerializer
from strategy.models import Objective, Team
from strategy.serializers import ScopedRelatedField, person_field


class InitiativeSerializer(serializers.ModelSerializer):
    objective = ScopedRelatedField(queryset=Objective.objects.all())
    team = ScopedRelatedField(queryset=Team.objects.all(), scope_lookup="id")
    owner = person_field(allow_null=True, required=False)
    contributors = person_field(many=True, required=False)
    latest_score = LatestScoreSerializer(read_only=True, allow_null=True)

    class Meta:
        model = Initiative
        fields = [
            "id",
            "objective",
            "team",
            "owner",
            "contributors",
            "title",
            "description",
            "status",
            "priority",
            "start_date",
            "due_date",
            "completed_on",
            "progress",
            "budget_planned",
            "effort_planned_fte",
            "checkin_cadence_days",
            "weight",
            "latest_score",
            "created_at",
            "updated_at",
        ]
        read_only_fields = ["completed_on"]


class MilestoneSerializer(serializers.ModelSerializer):
    initiative = ScopedRelatedField(queryset=Initiative.objects.all())

    class Meta:
        model = Milestone
        fields = [
            "id",
            "initiative",
            "title",
            "due_date",
            "completed_on",
            "weight",
            "created_at",
            "updated_at",
        ]


class CheckInSerializer(serializers.ModelSerializer):
    initiative = ScopedRelatedField(queryset=Initiative.objects.all())
    confidence = serializers.IntegerField(min_value=0, max_value=100)
    progress = serializers.IntegerField(min_value=0, max_value=100)

    class Meta:
        model = CheckIn
        fields = [
            "id",
            "initiative",
            "author",
            "created_at",
            "rag",
            "confidence",
            "progress",
            "summary",
            "blockers",
            "next_steps",
        ]
        read_only_fields = ["author", "created_at"]


class SpendEntrySerializer(serializers.ModelSerializer):
    initiative = ScopedRelatedField(queryset=Initiative.objects.all())

    class Meta:
        model = SpendEntry
        fields = [
            "id",
            "initiative",
            "date",
            "amount",
            "category",
            "note",
            "entered_by",
            "created_at",
            "updated_at",
        ]
        read_only_fields = ["entered_by"]
        # The constraint spend_amount_not_zero, as a field rule the OpenAPI schema shows.
        extra_kwargs = {"amount": {"validators": [validate_nonzero]}}
