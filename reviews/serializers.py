"""Serializers of the review cycle API. Packs and diffs are rendered for the reader: texts as
plain text through ``strategy.derived`` with the names frozen in the pack, items of teams the
reader may not see left out and counted."""

from __future__ import annotations

from rest_framework import serializers
from typing_extensions import override

from execsupport.api import IdRelatedField
from initiatives.models import Initiative
from metrics.models import KPI
from reviews.models import ActionItem, Decision, Meeting, Review
from reviews.selectors import reviews_visible
from strategy.access import access_for
from strategy.api_fields import ScopedRelatedField, person_field
from strategy.models import Objective, Team, Theme


class VisibleReviewField(IdRelatedField):
    """A review the caller may see (else "does not exist")."""

    @override
    def get_queryset(self):
        request = self.context.get("request")
        if request is None:
            return Review.objects.none()
        return reviews_visible(access=access_for(request.user))


class VisibleMeetingField(IdRelatedField):
    """A meeting of a review the caller may see (else "does not exist")."""

    @override
    def get_queryset(self):
        request = self.context.get("request")
        if request is None:
            return Meeting.objects.none()
        ids = reviews_visible(access=access_for(request.user)).values("id")
        return Meeting.objects.filter(review_id__in=ids).select_related("review")


class ReviewSerializer(serializers.ModelSerializer):
    """A review on ``/reviews/``. Exactly one of ``theme``, ``team``, ``objective`` is kept: the one
    its ``scope`` needs (the others are cleared); a custom cadence needs ``cadence_days``. ``owner``
    and ``strategy`` are set by the view (the creator, the current strategy)."""

    theme = IdRelatedField(queryset=Theme.objects.all(), allow_null=True, required=False)
    team = ScopedRelatedField(
        queryset=Team.objects.all(), scope_lookup="id", allow_null=True, required=False
    )
    objective = ScopedRelatedField(
        queryset=Objective.objects.all(), allow_null=True, required=False
    )
    participants = person_field(many=True, required=False)

    class Meta:
        model = Review
        fields = [
            "id",
            "name",
            "strategy",
            "scope",
            "theme",
            "team",
            "objective",
            "cadence",
            "cadence_days",
            "participants",
            "owner",
            "created_at",
            "updated_at",
        ]
        read_only_fields = ["owner", "strategy"]

    @override
    def validate(self, attrs):
        scope = attrs.get("scope", getattr(self.instance, "scope", Review.Scope.STRATEGY))
        needed = {"theme": "theme", "team": "team", "objective": "objective"}.get(scope)
        current = self.instance
        if needed and not attrs.get(needed, getattr(current, needed, None) if current else None):
            raise serializers.ValidationError(
                {needed: ["Choose what this review looks at."]}, code="inconsistent"
            )
        for other in ("theme", "team", "objective"):
            if other != needed:
                attrs[other] = None
        cadence = attrs.get("cadence", getattr(current, "cadence", Review.Cadence.MONTHLY))
        days = attrs.get("cadence_days", getattr(current, "cadence_days", None))
        if cadence == Review.Cadence.CUSTOM and not days:
            raise serializers.ValidationError(
                {"cadence_days": ["A custom cadence needs its number of days."]},
                code="inconsistent",
            )
        return attrs


class MeetingSerializer(serializers.ModelSerializer):
    """A meeting on ``/meetings/``, with its frozen pack's id (``pack``, null before the pack is
    frozen)."""

    review = VisibleReviewField(queryset=Review.objects.all())
    pack = serializers.SerializerMethodField()

    class Meta:
        model = Meeting
        fields = [
            "id",
            "review",
            "starts_at",
            "moved_from",
            "status",
            "discussed",
            "pack",
            "minutes_sent_at",
            "created_at",
        ]
        read_only_fields = ["moved_from", "discussed", "minutes_sent_at"]

    def get_pack(self, obj) -> int | None:
        """The id of the meeting's pack, annotated by ``MeetingViewSet`` (``pack_id_value``); None
        without a pack."""
        return getattr(obj, "pack_id_value", None)

    def validate_status(self, value):
        """Refuse ``held`` (400 ``inconsistent``): a meeting becomes held when it takes place."""
        if value == Meeting.Status.HELD:
            raise serializers.ValidationError(
                "A meeting is held when it takes place, not set by hand.", code="inconsistent"
            )
        return value

    def validate_starts_at(self, value):
        """Refuse a start before the year 2000 (``past``) or after the year 2200 (``too_far``)."""
        if value.year < 2000:
            raise serializers.ValidationError("Choose a date from the year 2000 on.", code="past")
        if value.year > 2200:
            raise serializers.ValidationError("Choose a date before 2200.", code="too_far")
        return value


class PackSummarySerializer(serializers.Serializer):
    """A pack in a list: what it is, not its content."""

    id = serializers.IntegerField(read_only=True)
    review = serializers.IntegerField(read_only=True)
    meeting = serializers.IntegerField(read_only=True)
    as_of = serializers.DateField(read_only=True)
    frozen_at = serializers.DateTimeField(read_only=True)
    scope = serializers.CharField(read_only=True, help_text="What the pack covers.")


class PackSectionSerializer(serializers.Serializer):
    """A section of a pack as the reader sees it: its rows with texts as plain text, those of teams
    the reader may not see left out and counted in ``hidden``."""

    kind = serializers.CharField()
    title = serializers.CharField()
    rows = serializers.ListField(child=serializers.DictField())
    hidden = serializers.IntegerField(help_text="Items of parts the reader may not see.")


class ChangeSerializer(serializers.Serializer):
    """One change between two packs, in ``/packs/{id}/diff/``."""

    key = serializers.CharField(help_text="Stable: meeting mode marks it discussed.")
    kind = serializers.CharField()
    label = serializers.CharField()  # type: ignore[assignment]  # a field: DRF's metaclass takes it off the class, Field.label stays
    subject_type = serializers.CharField()
    subject_id = serializers.IntegerField()
    weight = serializers.FloatField(help_text="Ranking, biggest first.")
    text = serializers.CharField()
    url = serializers.CharField(allow_null=True)


class PackDiffSerializer(serializers.Serializer):
    """The answer of ``/packs/{id}/diff/``: the changes since ``previous`` (a pack id, null for a
    review's first pack), biggest first."""

    pack = serializers.IntegerField()
    previous = serializers.IntegerField(allow_null=True)
    changes = ChangeSerializer(many=True)
    hidden = serializers.IntegerField(help_text="Changes in parts the reader may not see.")


class PackSerializer(PackSummarySerializer):
    """A pack with its content (``/packs/{id}/``), filtered for the reader."""

    sections = PackSectionSerializer(many=True, read_only=True)


class KpiMovementSerializer(serializers.Serializer):
    """A KPI's value and status then (at the decision) and now. Not used:
    ``DecisionSerializer.kpi_movement`` is a list of plain dicts of this shape."""

    kpi = serializers.IntegerField()
    then = serializers.DictField()
    now = serializers.DictField()


class DecisionSerializer(serializers.ModelSerializer):
    """A decision on ``/decisions/``. ``kpis``, ``objectives`` and ``initiatives`` are written only
    (ids the recorder may see); they are read back as ``subjects`` and, for KPIs, ``kpi_movement``,
    both limited to what the reader may see."""

    meeting = VisibleMeetingField(queryset=Meeting.objects.all())
    decided_by = person_field(allow_null=True, required=False)
    kpis = ScopedRelatedField(
        queryset=KPI.objects.all(),
        many=True,
        required=False,
        write_only=True,
    )
    objectives = ScopedRelatedField(
        queryset=Objective.objects.all(), many=True, required=False, write_only=True
    )
    initiatives = ScopedRelatedField(
        queryset=Initiative.objects.all(),
        many=True,
        required=False,
        write_only=True,
    )
    subjects = serializers.SerializerMethodField()
    kpi_movement = serializers.SerializerMethodField()

    class Meta:
        model = Decision
        fields = [
            "id",
            "meeting",
            "text",
            "decided_by",
            "recorded_by",
            "kpis",
            "objectives",
            "initiatives",
            "subjects",
            "kpi_movement",
            "created_at",
        ]
        read_only_fields = ["recorded_by"]

    def get_subjects(self, obj) -> list[dict]:
        """The subjects (``{"type", "id", "team"}``) the reader may see, set by
        ``DecisionViewSet.decorate``; [] when not decorated."""
        return getattr(obj, "visible_subjects", [])

    def get_kpi_movement(self, obj) -> list[dict]:
        """``[{"kpi", "then", "now"}]`` for the KPIs the reader may see, set by
        ``DecisionViewSet.decorate``; [] when not decorated."""
        return getattr(obj, "movement", [])


class ActionItemSerializer(serializers.ModelSerializer):
    """An action item on ``/action-items/``. ``team``, ``decision``, ``initiative``, ``created_by``
    and ``closed_at`` are set by the services, never by the client."""

    owner = person_field()
    meeting = VisibleMeetingField(queryset=Meeting.objects.all(), allow_null=True, required=False)

    class Meta:
        model = ActionItem
        fields = [
            "id",
            "title",
            "owner",
            "due_date",
            "status",
            "note",
            "team",
            "meeting",
            "decision",
            "initiative",
            "created_by",
            "closed_at",
            "created_at",
            "updated_at",
        ]
        read_only_fields = ["team", "decision", "initiative", "created_by", "closed_at"]


class ToInitiativeSerializer(serializers.Serializer):
    """The body of ``/action-items/{id}/to-initiative/``: the objective (one the caller may see) the
    new initiative goes under."""

    objective = ScopedRelatedField(queryset=Objective.objects.all())


class ToInitiativeResultSerializer(serializers.Serializer):
    """The answer of ``/action-items/{id}/to-initiative/``: the new initiative's id and the updated
    action item."""

    initiative = serializers.IntegerField()
    action_item = ActionItemSerializer()


class PackPdfStatusSerializer(serializers.Serializer):
    """A pack PDF not ready yet: ``status`` pending (waiting for a worker) or running."""

    status = serializers.ChoiceField(choices=["pending", "running"])
    detail = serializers.CharField()
