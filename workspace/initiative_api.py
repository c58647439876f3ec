"""API of execution: initiatives, milestones, check-ins and spend.

Leaders change an initiative's definition; its owner also its description, contributors,
check-in cadence and milestones; members update the initiatives they own or contribute to
(progress, milestones completed, check-ins, spend). Both rules are
``strategy.access``'s; writes call ``initiatives.services``.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, cast

from django.contrib.auth import get_user_model
from django.db.models import Prefetch
from django_filters import rest_framework as filters
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import exceptions
from rest_framework.response import Response
from typing_extensions import override

from execsupport.api import ApiError
from execsupport.viewsets import BaseFilterSet, DateFilter, IdFilter, SinceFilter
from initiatives import services
from initiatives.models import CheckIn, Initiative, Milestone, SpendEntry
from metrics.models import SubjectType
from metrics.viewsets import AccessViewSet, AppendOnlyAccessViewSet, scored_list
from strategy.access import INITIATIVE_LEADER_ONLY, Access
from strategy.models import ApiToken
from workspace.initiative_serializers import (
    CheckInSerializer,
    InitiativeSerializer,
    MilestoneSerializer,
    SpendEntrySerializer,
)

if TYPE_CHECKING:
    from django.db.models import Model

User = get_user_model()

WRITE_INITIATIVES = {"read": ApiToken.Scope.READ, "write": ApiToken.Scope.WRITE_INITIATIVES}
# An Idempotency-Key: 1 to 255 printable ASCII characters, no space at either end (HTTP strips
# them, so the key would not be the one sent).
IDEMPOTENCY_KEY_PATTERN = r"^[!-~](?:[ -~]{0,253}[!-~])?$"


class InitiativeFilter(BaseFilterSet):
    """Filters of the initiative list: team, owner, objective, theme, period, contributor (ids),
    status, priority and kind."""

    team = IdFilter(field_name="team_id")
    owner = IdFilter(field_name="owner_id")
    objective = IdFilter(field_name="objective_id")
    theme = IdFilter(field_name="objective__theme_id")
    period = IdFilter(field_name="objective__period_id")
    contributor = IdFilter(field_name="contributors", distinct=True)

    class Meta:
        model = Initiative
        fields = ["status", "priority", "kind"]


class MilestoneFilter(BaseFilterSet):
    """Filters of the milestone list: initiative, team (ids), ``completed`` and ``due_before``
    (inclusive)."""

    initiative = IdFilter(field_name="initiative_id")
    team = IdFilter(field_name="initiative__team_id")
    completed = filters.BooleanFilter(field_name="completed_on", lookup_expr="isnull", exclude=True)
    due_before = DateFilter(field_name="due_date", lookup_expr="lte")

    class Meta:
        model = Milestone
        fields: list[str] = []


class CheckInFilter(filters.FilterSet):
    """Filters of the check-in list: initiative, team, author (ids), ``since`` (created at or
    after) and ``rag``."""

    initiative = IdFilter(field_name="initiative_id")
    team = IdFilter(field_name="initiative__team_id")
    author = IdFilter(field_name="author_id")
    since = SinceFilter(field_name="created_at", lookup_expr="gte")

    class Meta:
        model = CheckIn
        fields = ["rag"]


class SpendEntryFilter(BaseFilterSet):
    """Filters of the spend list: initiative, team (ids), a date range (inclusive) and category."""

    initiative = IdFilter(field_name="initiative_id")
    team = IdFilter(field_name="initiative__team_id")
    date_from = DateFilter(field_name="date", lookup_expr="gte")
    date_to = DateFilter(field_name="date", lookup_expr="lte")

    class Meta:
        model = SpendEntry
        fields = ["category"]


class InitiativeViewSet(AccessViewSet):
    """Initiatives of the teams you may see, each with its latest gap score."""

    # Contributors by id: the same order as the flat list (execsupport.rows).
    queryset = Initiative.objects.prefetch_related(
        Prefetch("contributors", queryset=User.objects.order_by("id"))
    )
    serializer_class = InitiativeSerializer
    filterset_class = InitiativeFilter
    token_scopes = WRITE_INITIATIVES
    score_subject_type = SubjectType.INITIATIVE
    flat_rows = True
    ordering_fields = ["title", "due_date", "start_date", "priority", "progress", "updated_at"]
    ordering = ["due_date", "id"]

    @extend_schema(responses={200: InitiativeSerializer(many=True), 304: None})
    def list(self, request, *args, **kwargs):
        """Conditional: send the last ETag in If-None-Match and get 304 if nothing changed."""
        return scored_list(self, request)

    def may_write(self, access: Access, obj: Model, request) -> bool:
        """Creating and deleting: its team's leaders. Changing: the fields
        ``Access.initiative_fields_writable`` allows (owner: description, contributors,
        check-in cadence, progress; contributor: progress); a leader-only field sent by an
        owner or contributor is a 403 naming each such field."""
        initiative = cast(Initiative, obj)  # this viewset's objects (WriteMixin: any model)
        if request.method != "PATCH":
            return access.can_edit_initiative(initiative)
        if self.changed_fields is None:
            # Object check before the change is known: owners and members reach perform_update.
            return access.can_update_initiative(initiative)
        allowed = access.initiative_fields_writable(initiative)
        if allowed is None:
            return True
        if not allowed:
            return False
        refused = access.initiative_fields_refused(initiative, self.changed_fields)
        if refused:
            raise ApiError(
                status_code=403,
                detail="Only the leaders of the initiative's team change "
                + ", ".join(refused)
                + f"; you may change {', '.join(sorted(allowed))}.",
                errors=[
                    {"field": name, "code": "permission_denied", "message": INITIATIVE_LEADER_ONLY}
                    for name in refused
                ],
            )
        return True

    @override
    def store(self, instance, data, *, created, version=None):
        return services.initiative_save(
            initiative=instance,
            contributors=data.get("contributors"),
            version=version,
            by=self.request.user,
        )

    @override
    def remove(self, instance):
        services.initiative_delete(initiative=instance)


class MilestoneViewSet(AccessViewSet):
    """Milestones; members of an initiative complete them, leaders plan them."""

    queryset = Milestone.objects.all()
    serializer_class = MilestoneSerializer
    filterset_class = MilestoneFilter
    token_scopes = WRITE_INITIATIVES
    scope_lookup = "initiative__team_id"
    ordering_fields = ["due_date", "title", "updated_at"]
    ordering = ["due_date", "id"]

    def may_write(self, access: Access, obj: Model, request) -> bool:
        """Completing: the initiative's people (``can_update_initiative``); planning (create,
        change, delete): its leaders and its owner (``can_plan_milestones``)."""
        initiative = cast(Milestone, obj).initiative  # this viewset's objects
        if self.changed_fields is not None and self.changed_fields <= {"completed_on"}:
            return access.can_update_initiative(initiative)
        if request.method == "PATCH" and self.changed_fields is None:
            return access.can_update_initiative(initiative)
        return access.can_plan_milestones(initiative)

    @override
    def store(self, instance, data, *, created, version=None):
        if not created and self.changed_fields == {"completed_on"}:
            return services.milestone_set_completed(
                milestone=instance,
                completed_on=instance.completed_on,
                version=version,
                by=self.request.user,
            )
        return services.milestone_save(milestone=instance, version=version, by=self.request.user)

    @override
    def remove(self, instance):
        services.milestone_delete(milestone=instance, by=self.request.user)


class CheckInViewSet(AppendOnlyAccessViewSet):
    """Check-ins: append-only status updates, posted by the initiative's people."""

    queryset = CheckIn.objects.all()
    serializer_class = CheckInSerializer
    filterset_class = CheckInFilter
    token_scopes = WRITE_INITIATIVES
    scope_lookup = "initiative__team_id"
    ordering_fields = ["created_at"]
    ordering = ["-created_at", "-id"]

    @override
    def may_write(self, access: Access, obj: Model, request) -> bool:
        return access.can_update_initiative(cast(CheckIn, obj).initiative)  # this viewset's objects

    @extend_schema(
        parameters=[
            OpenApiParameter(
                "Idempotency-Key",
                OpenApiTypes.STR,
                OpenApiParameter.HEADER,
                pattern=IDEMPOTENCY_KEY_PATTERN,
                description="1 to 255 printable ASCII characters, new for each check-in: a retry "
                "with the same key stores nothing more and answers 200 with the check-in "
                "already stored. Without a key, the same content by the same author on the "
                "same initiative within 10 minutes is also a retry.",
            )
        ],
        responses={
            201: OpenApiResponse(CheckInSerializer, description="A new check-in."),
            200: OpenApiResponse(CheckInSerializer, description="A retry: the stored check-in."),
        },
    )
    def create(self, request, *args, **kwargs):
        """Post a check-in (201), at most once per idempotency key or repeated content (200)."""
        key = request.headers.get("Idempotency-Key")
        if key is not None and not re.fullmatch(IDEMPOTENCY_KEY_PATTERN, key):
            raise exceptions.ValidationError(
                {
                    "Idempotency-Key": [
                        "Send 1 to 255 printable ASCII characters (no space at either end), "
                        "new for each check-in."
                    ]
                }
            )
        serializer = self.get_serializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        self._check(CheckIn(initiative=serializer.validated_data["initiative"]))
        serializer.instance, created = services.checkin_submit(
            author=request.user,
            request_key=services.checkin_request_key(key) if key else None,
            **serializer.validated_data,
        )
        return Response(serializer.data, status=201 if created else 200)


class SpendEntryViewSet(AppendOnlyAccessViewSet):
    """Spend entries: append-only; a negative amount records a refund or correction."""

    queryset = SpendEntry.objects.all()
    serializer_class = SpendEntrySerializer
    filterset_class = SpendEntryFilter
    token_scopes = WRITE_INITIATIVES
    scope_lookup = "initiative__team_id"
    ordering_fields = ["date", "amount", "created_at"]
    ordering = ["-date", "-id"]

    @override
    def may_write(self, access: Access, obj: Model, request) -> bool:
        return access.can_update_initiative(
            cast(SpendEntry, obj).initiative
        )  # this viewset's objects

    @override
    def perform_create(self, serializer):
        self._check(SpendEntry(initiative=serializer.validated_data["initiative"]))
        serializer.instance = services.spend_record(
            entered_by=self.request.user, **serializer.validated_data
        )
