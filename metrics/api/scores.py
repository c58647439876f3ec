"""The API of gap scores: the latest and their history, as the reader may see their subjects."""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.db.models import Count, Max, Q
from django_filters import rest_framework as filters
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import exceptions
from rest_framework.decorators import action
from typing_extensions import override

from execsupport.api import (
    CursorPagination,
)
from execsupport.openapi import ID_SCHEMA
from execsupport.viewsets import IdFilter, SinceFilter
from initiatives.models import Initiative, Milestone
from metrics.models import (
    KPI,
    GapScore,
    SubjectType,
)
from metrics.serializers import (
    GapScoreHistorySerializer,
    GapScoreSerializer,
)
from metrics.viewsets import ReadOnlyAccessViewSet, conditional_list
from strategy.access import Access
from strategy.models import Objective

if TYPE_CHECKING:
    pass


class GapScoreFilter(filters.FilterSet):
    """Filters of the score list: subject (type and id), ``since`` (computed at or after) and
    status."""

    subject_type = filters.ChoiceFilter(choices=SubjectType.choices)
    subject_id = IdFilter(field_name="subject_id")
    since = SinceFilter(field_name="computed_at", lookup_expr="gte")

    class Meta:
        model = GapScore
        fields = ["status"]


def scores_visible_to(access: Access) -> Q:
    """Scores of subjects the person may see (themes and strategies: anyone with a role)."""
    if access.visible_team_ids is None:
        return Q()
    teams = list(access.visible_team_ids)
    return (
        Q(
            subject_type=SubjectType.KPI,
            subject_id__in=KPI.objects.filter(team_id__in=teams).values("id"),
        )
        | Q(
            subject_type=SubjectType.INITIATIVE,
            subject_id__in=Initiative.objects.filter(team_id__in=teams).values("id"),
        )
        | Q(
            subject_type=SubjectType.MILESTONE,
            subject_id__in=Milestone.objects.filter(initiative__team_id__in=teams).values("id"),
        )
        | Q(
            subject_type=SubjectType.OBJECTIVE,
            subject_id__in=Objective.objects.filter(team_id__in=teams).values("id"),
        )
        | Q(subject_type=SubjectType.TEAM, subject_id__in=teams)
        | Q(subject_type__in=[SubjectType.THEME, SubjectType.STRATEGY])
    )


class GapScoreViewSet(ReadOnlyAccessViewSet):
    """Latest gap scores of the subjects you may see; ``history`` gives a subject's past."""

    queryset = GapScore.objects.all()
    serializer_class = GapScoreSerializer
    filterset_class = GapScoreFilter
    scope_lookup = None
    ordering_fields = ["computed_at", "score", "gap"]
    ordering = ["subject_type", "subject_id"]

    @override
    def get_queryset(self):
        queryset = GapScore.objects.filter(scores_visible_to(self.access))
        if self.action == "list":
            queryset = queryset.filter(is_latest=True)
        return queryset

    @extend_schema(responses={200: GapScoreSerializer(many=True), 304: None})
    def list(self, request, *args, **kwargs):
        """The latest score of each subject. Conditional (ETag / If-None-Match → 304)."""
        queryset = self.filter_queryset(self.get_queryset())
        version = queryset.order_by().aggregate(n=Count("id"), last=Max("id"))
        return conditional_list(self, request, queryset, [version], count=version["n"])

    @extend_schema(
        parameters=[
            OpenApiParameter(
                "subject_type", OpenApiTypes.STR, required=True, enum=SubjectType.values
            ),
            OpenApiParameter("subject_id", ID_SCHEMA, required=True),
        ],
        responses=GapScoreHistorySerializer(many=True),
    )
    @action(
        detail=False,
        methods=["get"],
        pagination_class=CursorPagination,
        serializer_class=GapScoreHistorySerializer,
    )
    def history(self, request, format=None):
        """Every computed score of one subject, newest first (cursor pagination)."""
        queryset = self.filter_queryset(self.get_queryset())
        if not request.query_params.get("subject_type") or not request.query_params.get(
            "subject_id"
        ):
            raise exceptions.ValidationError({"subject_id": ["Give subject_type and subject_id."]})
        page = self.paginate_queryset(queryset.order_by("-id"))
        return self.get_paginated_response(self.get_serializer(page, many=True).data)
