"""The shapes of gap scores: the latest score nested in a subject, a score with its components,
contributors and explanation (rendered for the reader), its history."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from rest_framework import serializers
from typing_extensions import override

from metrics.explain import scores_explain
from metrics.models import (
    GapScore,
)


class LatestScoreSerializer(serializers.ModelSerializer):
    """The current gap score of an object: status and the sentence that explains it, in its
    short form, which names no other object ("behind mainly because of 2 parts"); the
    explanation that names what the reader may see is ``/api/v1/scores/``."""

    reason = serializers.CharField(
        read_only=True,
        help_text="Short form naming no other object; /api/v1/scores/ names what you may see.",
    )

    class Meta:
        model = GapScore
        fields = [
            "status",
            "reason",
            "score",
            "progress",
            "expected_progress",
            "gap",
            "as_of",
            "computed_at",
        ]


class ComponentSerializer(serializers.Serializer):
    """One named component of a gap score: its score, weight, status and detail; ``subject_type``
    and ``subject_id`` when it is a subject."""

    key = serializers.CharField()
    label = serializers.CharField()  # type: ignore[assignment]  # a field: DRF's metaclass takes it out of the class, Field.label stays
    score = serializers.FloatField(allow_null=True)
    weight = serializers.FloatField()
    status = serializers.CharField()
    detail = serializers.CharField()
    subject_type = serializers.CharField(required=False)
    subject_id = serializers.IntegerField(required=False)


class ContributorSerializer(serializers.Serializer):
    """One contributor to a gap: its gap points and why; ``subject_type`` and ``subject_id`` when
    it is a subject."""

    label = serializers.CharField()  # type: ignore[assignment]  # a field: DRF's metaclass takes it out of the class, Field.label stays
    gap_points = serializers.FloatField(allow_null=True)
    explanation = serializers.CharField()
    subject_type = serializers.CharField(required=False)
    subject_id = serializers.IntegerField(required=False)


class ExplainedListSerializer(serializers.ListSerializer):
    """Explains every score of a page for the reader at once (one query for all references)."""

    @override
    def to_representation(self, data):
        objects = list(data.all() if hasattr(data, "all") else data)
        scores_explain(scores=objects, access=_reader(self.context), html=False)
        return super().to_representation(objects)


def _reader(context: Mapping[str, Any]):
    from strategy.access import Access, access_for

    if isinstance(context.get("access"), Access):
        return context["access"]
    request = context.get("request")
    return access_for(request.user) if request is not None else Access(None, False)


class GapScoreSerializer(serializers.ModelSerializer):
    """A score as its reader may see it: the reason, components and contributors name only
    objects the reader may see (``metrics.explain``); the others are "a part you cannot see",
    combined into one component row and left out of the contributors."""

    reason = serializers.CharField(source="explained.reason", read_only=True)
    components = serializers.JSONField(
        source="explained.components_json",
        read_only=True,
        help_text="metrics.contracts.Components: items (see metrics.contracts.Component; parts "
        "the reader may not see are one row with key 'hidden'), coverage, facts.",
    )
    contributors = ContributorSerializer(
        many=True,
        source="explained.contributors",
        read_only=True,
        help_text="Largest first; contributors the reader may not see are left out.",
    )
    forecast = serializers.JSONField(
        allow_null=True,
        help_text=(
            "KPI forecast (metrics.contracts.Forecast; null without enough data to forecast). "
            "probability_on_target: chance (0-1) that the value on the target date meets the "
            "target (inside the range for a range KPI), never exactly 0 or 1 before a "
            "measurement on or after the target date decides it; value_at_target with "
            "interval_low/interval_high (interval_level, e.g. 0.8); target_reach: "
            "already_reached | on_date (projected_target_date) | never; misses_target: "
            "probability_on_target below GAP_FORECAST_MISS_BELOW. See docs/api.md."
        ),
    )
    data_quality = serializers.JSONField(help_text="metrics.contracts.DataQuality")

    class Meta:
        model = GapScore
        fields = [
            "id",
            "subject_type",
            "subject_id",
            "computed_at",
            "as_of",
            "is_latest",
            "status",
            "reason",
            "score",
            "progress",
            "achievement",
            "expected_progress",
            "attainment",
            "gap",
            "forecast",
            "data_quality",
            "components",
            "contributors",
        ]
        list_serializer_class = ExplainedListSerializer

    @override
    def to_representation(self, instance):
        if not hasattr(instance, "explained"):
            scores_explain(scores=[instance], access=_reader(self.context), html=False)
        return super().to_representation(instance)


class GapScoreHistorySerializer(GapScoreSerializer):
    """The same shape; a name of its own because history pages by cursor, not by number."""
