"""The API of what a review decides: decisions (append-only) and action items (created,
edited, their status set, turned into an initiative)."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.db.models import Q
from drf_spectacular.utils import extend_schema
from rest_framework import exceptions
from rest_framework.decorators import action
from rest_framework.response import Response
from typing_extensions import override

from execsupport.api import ErrorSerializer
from execsupport.viewsets import BaseFilterSet, IdFilter
from metrics.viewsets import AccessViewSet, AppendOnlyAccessViewSet
from reviews import services
from reviews.models import ActionItem, Decision
from reviews.selectors import (
    DECISION_HIDDEN,
    decision_text_shown,
    decisions_with_movement,
    reviews_visible,
)
from reviews.serializers import (
    ActionItemSerializer,
    DecisionSerializer,
    ToInitiativeResultSerializer,
    ToInitiativeSerializer,
)
from strategy.access import Access


class DecisionFilter(BaseFilterSet):
    """Query filters of ``/decisions/``: ``meeting``, ``review`` (ids) and ``updated_since``."""

    meeting = IdFilter(field_name="meeting_id")
    review = IdFilter(field_name="meeting__review_id")

    class Meta:
        model = Decision
        fields: list[str] = []


class DecisionViewSet(AppendOnlyAccessViewSet):
    """Decisions of the meetings you may see, with the KPIs they concerned (value and status
    then and now) that you may see. Participants record them."""

    queryset = Decision.objects.select_related("meeting__review__objective")
    serializer_class = DecisionSerializer
    filterset_class = DecisionFilter
    scope_lookup = None
    extra_write_fields = ("kpis", "objectives", "initiatives")
    ordering_fields = ["created_at"]
    ordering = ["-created_at", "-id"]

    @override
    def get_queryset(self):
        return (
            super()
            .get_queryset()
            .filter(meeting__review_id__in=reviews_visible(access=self.access).values("pk"))
        )

    @override
    def decorate(self, objects):
        entries = decisions_with_movement(decisions=list(objects), access=self.access)
        for decision, entry in zip(objects, entries, strict=True):
            # The review's scope decides whether its decisions' texts are read.
            if not decision_text_shown(access=self.access, review=decision.meeting.review):
                decision.text = DECISION_HIDDEN
            decision.visible_subjects = entry["subjects"]
            decision.movement = [
                {"kpi": m["kpi"], "then": m["then"], "now": m["now"]} for m in entry["movement"]
            ]
        return objects

    @override
    def may_write(self, access: Access, obj: Decision, request) -> bool:
        review = obj.meeting.review
        return access.can_record_in_review(
            review, participant_ids=review.participants.values_list("pk", flat=True)
        )

    @override
    def store(self, instance, data, *, created, version=None):
        try:
            return services.decision_record(
                meeting=instance.meeting,
                text=instance.text,
                decided_by=instance.decided_by,
                recorded_by=self.request.user,
                kpi_ids=[k.pk for k in data.get("kpis") or []],
                objective_ids=[o.pk for o in data.get("objectives") or []],
                initiative_ids=[i.pk for i in data.get("initiatives") or []],
            )
        except ValidationError as error:
            raise exceptions.ValidationError(error.message_dict, code="inconsistent") from error


class ActionItemFilter(BaseFilterSet):
    """Query filters of ``/action-items/``: ``owner``, ``meeting``, ``review`` (ids), ``status`` and
    ``updated_since``."""

    owner = IdFilter(field_name="owner_id")
    meeting = IdFilter(field_name="meeting_id")
    review = IdFilter(field_name="meeting__review_id")

    class Meta:
        model = ActionItem
        fields = ["status"]


class ActionItemViewSet(AccessViewSet):
    """Action items you own, and those of the meetings you may see (of teams you may see).
    Participants record them in a meeting; their owner, leaders of their team and the strategy
    office close, drop or reopen them (``status``); one can be turned into an initiative."""

    queryset = ActionItem.objects.all()
    serializer_class = ActionItemSerializer
    filterset_class = ActionItemFilter
    scope_lookup = None
    http_method_names = ["get", "post", "patch", "head", "options"]
    ordering_fields = ["due_date", "created_at"]
    ordering = ["due_date", "id"]

    @override
    def get_queryset(self):
        access = self.access
        mine = Q(owner_id=self.request.user.pk) | Q(created_by_id=self.request.user.pk)
        shared = Q(meeting__review_id__in=reviews_visible(access=access).values("pk")) & (
            Q(team__isnull=True) | access.team_filter("team_id")
        )
        return super().get_queryset().filter(mine | shared)

    @override
    def may_write(self, access: Access, obj: ActionItem, request) -> bool:
        if obj.pk is None:
            if obj.meeting_id is not None:
                review = obj.meeting.review
                return access.can_record_in_review(
                    review, participant_ids=review.participants.values_list("pk", flat=True)
                )
            return access.can_contribute and (
                obj.owner_id == access.user_id or access.is_leader_anywhere
            )
        return access.can_update_action_item(obj)

    @override
    def before_update(self, instance):
        self._status = instance.status

    @override
    def store(self, instance, data, *, created, version=None):
        try:
            if created:
                return services.action_item_create(
                    title=instance.title,
                    owner=instance.owner,
                    due_date=instance.due_date,
                    note=instance.note,
                    team_id=instance.meeting.review.scope_team_id if instance.meeting_id else None,
                    meeting=instance.meeting,
                    created_by=self.request.user,
                )
            if instance.status != self._status:
                return services.action_item_set_status(
                    item=instance, status=instance.status, by=self.request.user
                )
            return services.action_item_save(item=instance, by=self.request.user)
        except ValidationError as error:
            raise exceptions.ValidationError(error.message_dict, code="inconsistent") from error

    @extend_schema(
        request=ToInitiativeSerializer,
        responses={201: ToInitiativeResultSerializer, 400: ErrorSerializer},
    )
    @action(detail=True, methods=["post"], url_path="to-initiative")
    def to_initiative(self, request, pk=None, format=None):
        """Turn the action item into a proposed initiative under an objective whose team you
        lead; the item is then done and points to it."""
        item = self.get_object()
        access = self.access
        body = ToInitiativeSerializer(data=request.data, context={"request": request})
        body.is_valid(raise_exception=True)
        objective = body.validated_data["objective"]
        if not access.can_update_action_item(item) or not access.can_create_objective_for(
            objective.team_id
        ):
            raise exceptions.PermissionDenied("Only leaders of the objective's team do this.")
        try:
            initiative = services.action_item_to_initiative(
                item=item, objective=objective, by=request.user
            )
        except ValidationError as error:
            raise exceptions.ValidationError(error.message_dict, code="inconsistent") from error
        return Response(
            ToInitiativeResultSerializer(
                {"initiative": initiative.pk, "action_item": item}, context={"request": request}
            ).data,
            status=201,
        )
