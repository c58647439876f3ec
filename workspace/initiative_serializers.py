"""Input and output shapes of the execution API: initiatives, milestones, check-ins, spend."""

from __future__ import annotations

from rest_framework import serializers
from rest_framework.validators import UniqueValidator
from typing_extensions import override

from execsupport.validation import validate_nonzero
from initiatives.models import (
    BlockerTag,
    CheckIn,
    Initiative,
    Milestone,
    SpendEntry,
    blocker_tags_split,
)
from metrics.serializers import LatestScoreSerializer
from strategy.api_fields import ScopedRelatedField, person_field
from strategy.keys import KEY_TAKEN
from strategy.models import Objective, Team


class InitiativeSerializer(serializers.ModelSerializer):
    """An initiative in the API (``/api/v1/initiatives/``): objective and team limited to what the
    caller may see, people by id, with its latest gap score."""

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
            "key",
            "title",
            "description",
            "kind",
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
        extra_kwargs = {
            "key": {
                # Unique whatever the case: strategy.keys.KeyUniqueIgnoringCase's rule, checked
                # here too so that it is reported with the other fields' errors.
                "validators": [
                    UniqueValidator(Initiative.objects.all(), message=KEY_TAKEN, lookup="iexact")
                ],
                "help_text": Initiative._meta.get_field("key").help_text,
            }
        }

    def validate(self, attrs):
        """``kind`` is read-only (a support initiative is made by the support plan, with its
        measure): a request that sends another kind than the initiative has (``plan`` for a
        new one) is refused with a 400 on ``kind`` rather than silently ignored."""
        attrs = super().validate(attrs)
        sent = self.initial_data.get("kind") if hasattr(self.initial_data, "get") else None
        current = self.instance.kind if self.instance is not None else Initiative.Kind.PLAN
        if sent is not None and sent != current:
            raise serializers.ValidationError(
                {
                    "kind": [
                        "The kind is read-only here: a support initiative is created from a "
                        "support measure of the support plan."
                    ]
                }
            )
        return attrs


class MilestoneSerializer(serializers.ModelSerializer):
    """A milestone in the API (``/api/v1/milestones/``); its initiative limited to those the caller
    may see."""

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


class BlockerTagsField(serializers.ListField):
    """A check-in's blocker tags as a list of ``BlockerTag`` values (stored joined by commas)."""

    child = serializers.ChoiceField(choices=BlockerTag.choices)

    def __init__(self, **kwargs):
        kwargs.setdefault("max_length", len(BlockerTag.values))
        kwargs.setdefault("required", False)
        super().__init__(**kwargs)

    @override
    def to_representation(self, data):
        return blocker_tags_split(data) if isinstance(data, str) else list(data)


class CheckInSerializer(serializers.ModelSerializer):
    """A check-in in the API (``/api/v1/checkins/``): RAG, confidence and progress (0-100), texts
    and blocker tags; author and time set by the server."""

    initiative = ScopedRelatedField(queryset=Initiative.objects.all())
    blocker_tags = BlockerTagsField(
        help_text="Kinds of blocker: skills, resources, dependency, decision (none: empty)."
    )
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
            "blocker_tags",
            "next_steps",
        ]
        read_only_fields = ["author", "created_at"]


class SpendEntrySerializer(serializers.ModelSerializer):
    """A spend entry in the API (``/api/v1/spend/``): the amount may not be zero; ``entered_by``
    set by the server."""

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
