"""API of the plan: periods, strategies, themes, objectives and the alignment tree (the teams and
people are in ``workspace.people_api``).

Permissions: ``strategy.permissions.AccessPermission`` + each view's ``may_write``, both asking
``strategy.access``; writes call ``strategy.services``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, cast

from django.contrib.auth import get_user_model
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import exceptions
from rest_framework.decorators import action
from rest_framework.response import Response
from typing_extensions import override

from execsupport.openapi import ID_SCHEMA
from execsupport.validation import is_valid_id
from execsupport.viewsets import BaseFilterSet, IdFilter
from metrics.models import SubjectType
from metrics.selectors import attach_latest_scores
from metrics.serializers import LatestScoreSerializer
from metrics.viewsets import AccessViewSet
from strategy import services
from strategy.access import Access
from strategy.models import Objective, Period, Strategy, Theme
from strategy.selectors import objective_tree
from workspace.strategy_serializers import (
    ObjectiveSerializer,
    ObjectiveTreeSerializer,
    PeriodSerializer,
    StrategySerializer,
    ThemeSerializer,
)

if TYPE_CHECKING:
    from django.db.models import Model

User = get_user_model()


class PeriodFilter(BaseFilterSet):
    """Query filters of ``/periods/``: ``kind`` and ``updated_since``."""

    class Meta:
        model = Period
        fields = ["kind"]


class StrategyFilter(BaseFilterSet):
    """Query filters of ``/strategies/``: ``owner`` (person id), ``status`` and
    ``updated_since``."""

    owner = IdFilter(field_name="owner_id")

    class Meta:
        model = Strategy
        fields = ["status"]


class ThemeFilter(BaseFilterSet):
    """Query filters of ``/themes/``: ``strategy`` (id) and ``updated_since``."""

    strategy = IdFilter(field_name="strategy_id")

    class Meta:
        model = Theme
        fields: list[str] = []


class ObjectiveFilter(BaseFilterSet):
    """Query filters of ``/objectives/``: ``team``, ``owner``, ``theme``, ``period``, ``strategy``,
    ``parent`` (ids), ``status``, ``priority`` and ``updated_since``."""

    team = IdFilter(field_name="team_id")
    owner = IdFilter(field_name="owner_id")
    theme = IdFilter(field_name="theme_id")
    period = IdFilter(field_name="period_id")
    strategy = IdFilter(field_name="strategy_id")
    parent = IdFilter(field_name="parent_id")

    class Meta:
        model = Objective
        fields = ["status", "priority"]


class PeriodViewSet(AccessViewSet):
    """Planning periods. The strategy office manages them."""

    queryset = Period.objects.all()
    serializer_class = PeriodSerializer
    filterset_class = PeriodFilter
    scope_lookup = None
    ordering_fields = ["start_date", "end_date", "name"]
    ordering = ["start_date", "id"]

    @override
    def may_write(self, access: Access, obj, request) -> bool:
        return access.can_manage_strategy()

    @override
    def store(self, instance, data, *, created, version=None):
        return services.period_save(period=instance, version=version)

    @override
    def remove(self, instance):
        services.plan_object_delete(instance=instance)


class StrategyViewSet(AccessViewSet):
    """Strategies and their scores. The strategy office manages them."""

    queryset = Strategy.objects.all()
    serializer_class = StrategySerializer
    filterset_class = StrategyFilter
    scope_lookup = None
    ordering_fields = ["name", "horizon_start", "updated_at"]
    ordering = ["-horizon_start", "id"]

    @override
    def may_write(self, access: Access, obj, request) -> bool:
        return access.can_manage_strategy()

    @override
    def store(self, instance, data, *, created, version=None):
        return services.strategy_save(strategy=instance, version=version)

    @override
    def remove(self, instance):
        services.plan_object_delete(instance=instance)


class ThemeViewSet(AccessViewSet):
    """Strategic themes (pillars). The strategy office manages them."""

    queryset = Theme.objects.all()
    serializer_class = ThemeSerializer
    filterset_class = ThemeFilter
    scope_lookup = None
    ordering_fields = ["order", "name", "updated_at"]
    ordering = ["strategy_id", "order", "id"]

    @override
    def may_write(self, access: Access, obj, request) -> bool:
        return access.can_manage_strategy()

    @override
    def store(self, instance, data, *, created, version=None):
        return services.theme_save(theme=instance, version=version)

    @override
    def remove(self, instance):
        services.plan_object_delete(instance=instance)


class ObjectiveViewSet(AccessViewSet):
    """Objectives of the teams you may see; leaders edit their teams' objectives."""

    queryset = Objective.objects.all()
    serializer_class = ObjectiveSerializer
    filterset_class = ObjectiveFilter
    score_subject_type = SubjectType.OBJECTIVE
    ordering_fields = ["title", "due_date", "priority", "updated_at"]
    ordering = ["id"]

    @override
    def may_write(self, access: Access, obj: Model, request) -> bool:
        objective = cast(Objective, obj)  # this viewset's objects
        return access.can_create_objective_for(objective.team_id) and access.can_edit_objective(
            objective
        )

    @override
    def store(self, instance, data, *, created, version=None):
        return services.objective_save(objective=instance, version=version, by=self.request.user)

    @override
    def remove(self, instance):
        services.plan_object_delete(instance=instance)

    @extend_schema(
        parameters=[
            OpenApiParameter(
                "strategy",
                ID_SCHEMA,
                description="Strategy id (default: the active strategy).",
            )
        ],
        responses=ObjectiveTreeSerializer,
        filters=False,
    )
    @action(detail=False, methods=["get"], pagination_class=None, filter_backends=[])
    def tree(self, request, format=None):
        """The whole alignment tree of a strategy in one call (objectives you may see, each
        with its latest score and children). An objective under one you may not see is a root."""
        raw = request.query_params.get("strategy")
        if raw is None:
            strategy_id = (
                Strategy.objects.filter(status=Strategy.Status.ACTIVE)
                .values_list("id", flat=True)
                .first()
            )
            if strategy_id is None:
                raise exceptions.NotFound("There is no active strategy; pass ?strategy=<id>.")
        else:
            if not is_valid_id(raw):
                raise exceptions.ValidationError({"strategy": ["Enter a strategy id."]})
            strategy_id = int(raw)
            if not Strategy.objects.filter(id=strategy_id).exists():
                raise exceptions.NotFound("No such strategy.")
        access = self.access
        objectives = [
            o for o in objective_tree(strategy_id=strategy_id) if access.can_view_team(o.team_id)
        ]
        attach_latest_scores(objectives, subject_type=SubjectType.OBJECTIVE)
        nodes: dict[int, dict[str, Any]] = {
            o.pk: {
                "id": o.pk,
                "title": o.title,
                "team": o.team_id,
                "theme": o.theme_id,
                "owner": o.owner_id,
                "parent": o.parent_id,
                "status": o.status,
                "latest_score": LatestScoreSerializer(o.latest_score).data
                if o.latest_score
                else None,
                "children": [],
            }
            for o in objectives
        }
        roots: list[dict[str, Any]] = []
        for o in objectives:
            parent = nodes.get(o.parent_id) if o.parent_id else None
            (parent["children"] if parent else roots).append(nodes[o.pk])
        return Response({"strategy": strategy_id, "roots": roots})
