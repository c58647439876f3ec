"""API of the plan: teams, people, periods, strategies, themes, objectives and the alignment tree.

Permissions: ``strategy.permissions.AccessPermission`` + each view's ``may_write``, both asking
``strategy.access``; writes call ``strategy.services``.
"""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING, Any, cast
from urllib.parse import urlsplit

from django.conf import settings
from django.contrib.auth import get_user_model
from django.db.models import Prefetch
from django_filters import rest_framework as filters
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import exceptions
from rest_framework.decorators import action
from rest_framework.response import Response
from typing_extensions import override

from execsupport.api import ErrorSerializer
from execsupport.jsontypes import body_types_check
from execsupport.openapi import ID_SCHEMA
from execsupport.ratelimit import InvitationThrottle
from execsupport.validation import is_valid_id
from execsupport.viewsets import BaseFilterSet, IdFilter
from metrics.models import SubjectType
from metrics.selectors import attach_latest_scores
from metrics.serializers import LatestScoreSerializer
from metrics.viewsets import AccessViewSet, ReadOnlyAccessViewSet
from strategy import services
from strategy.access import Access
from strategy.models import Membership, Objective, Period, Strategy, Team, Theme
from strategy.people import people_choosable
from strategy.people_services import membership_remove, membership_set, person_hand_over
from strategy.selectors import objective_tree
from workspace.strategy_serializers import (
    HandOverRequestSerializer,
    HandOverSerializer,
    InvitationSerializer,
    InviteRequestSerializer,
    MembershipSerializer,
    ObjectiveSerializer,
    ObjectiveTreeSerializer,
    PeriodSerializer,
    PersonSerializer,
    StrategySerializer,
    TeamSerializer,
    ThemeSerializer,
)

if TYPE_CHECKING:
    from django.contrib.auth.models import User as AuthUser
    from django.db.models import Model

User = get_user_model()


# --- filters ----------------------------------------------------------------------------------
class TeamFilter(BaseFilterSet):
    """Query filters of ``/teams/``: ``parent`` (team id), ``kind``, ``is_private`` and
    ``updated_since``."""

    parent = IdFilter(field_name="parent_id")

    class Meta:
        model = Team
        fields = ["kind", "is_private"]


class PersonFilter(filters.FilterSet):
    """Query filters of ``/people/``: ``team`` (people with a role there) and ``role`` (that role on
    any team); each person listed once."""

    team = IdFilter(field_name="memberships__team_id", distinct=True)
    role = filters.ChoiceFilter(
        field_name="memberships__role", choices=Membership.Role.choices, distinct=True
    )

    class Meta:
        model = User
        fields: list[str] = []


class MembershipFilter(BaseFilterSet):
    """Query filters of ``/memberships/``: ``user``, ``team`` (ids), ``role`` and
    ``updated_since``."""

    user = IdFilter(field_name="user_id")
    team = IdFilter(field_name="team_id")

    class Meta:
        model = Membership
        fields = ["role"]


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


# --- views ------------------------------------------------------------------------------------
class TeamViewSet(AccessViewSet):
    """Teams you may see. The strategy office creates and changes them."""

    queryset = Team.objects.all()
    serializer_class = TeamSerializer
    filterset_class = TeamFilter
    scope_lookup = "id"
    score_subject_type = None
    ordering_fields = ["name", "slug", "kind", "updated_at"]
    ordering = ["name"]

    @override
    def may_write(self, access: Access, obj: Model, request) -> bool:
        return access.can_save_team(cast(Team, obj))  # this viewset's objects

    @override
    def store(self, instance, data, *, created, version=None):
        return services.team_save(team=instance, version=version)

    @override
    def remove(self, instance):
        services.plan_object_delete(instance=instance)


class PersonViewSet(ReadOnlyAccessViewSet):
    """People with a role in a team you may see, with those roles."""

    serializer_class = PersonSerializer
    filterset_class = PersonFilter
    scope_lookup = None
    ordering_fields = ["username", "last_name", "first_name"]
    ordering = ["username"]

    @override
    def get_queryset(self):
        access = self.access
        memberships = access.scope(Membership.objects.all())
        return people_choosable(access=access).prefetch_related(
            Prefetch("memberships", queryset=memberships.order_by("team_id"))
        )

    @extend_schema(
        request=InviteRequestSerializer,
        responses={
            201: InvitationSerializer,
            400: ErrorSerializer,
            403: ErrorSerializer,
            429: ErrorSerializer,
        },
        filters=False,
    )
    @action(
        detail=False,
        methods=["post"],
        url_path="invite",
        pagination_class=None,
        filter_backends=[],
        throttle_classes=[InvitationThrottle],
    )
    def invite(self, request, format=None):
        """Create an account for an e-mail address with a role on a team you manage and send
        it a set-password link (single use, valid ``INVITATION_TTL_DAYS``). ``link`` is
        answered only when no e-mail server would deliver it. Rate-limited
        (``RATE_LIMIT_INVITATIONS``, per person and per address)."""
        from strategy.invitations import person_invite

        if not self.access.can_manage_people():
            raise exceptions.PermissionDenied("Only the strategy office and leaders invite.")
        data = InviteRequestSerializer(data=request.data)
        body_types_check(data, request)
        data.is_valid(raise_exception=True)
        values = data.validated_data
        team = self.access.scope(Team.objects.all(), "id").filter(pk=values["team"]).first()
        if team is None:
            raise exceptions.ValidationError(
                {"team": [exceptions.ErrorDetail("No such team.", code="does_not_exist")]}
            )
        # Refusals: PermissionDenied (a team you do not lead, a role above yours) and
        # ValidationError (the address taken) are answered 403 and 400 by the handler.
        sent = person_invite(
            email=values["email"],
            first_name=values.get("first_name", ""),
            last_name=values.get("last_name", ""),
            team=team,
            role=values["role"],
            by=request.user,
        )
        invitation = sent.invitation
        return Response(
            InvitationSerializer(
                {
                    "id": invitation.pk,
                    "person": invitation.user_id,
                    "username": invitation.user.username,
                    "sent_at": invitation.sent_at,
                    "expires_at": invitation.sent_at
                    + dt.timedelta(days=settings.INVITATION_TTL_DAYS),
                    "mailed": sent.mailed,
                    "link": request.build_absolute_uri(urlsplit(sent.url).path)
                    if sent.show_link
                    else None,
                }
            ).data,
            status=201,
        )

    @extend_schema(
        request=HandOverRequestSerializer,
        responses={
            201: HandOverSerializer,
            400: ErrorSerializer,
            403: ErrorSerializer,
            404: ErrorSerializer,
        },
        filters=False,
    )
    @action(
        detail=False,
        methods=["post"],
        url_path="hand-over",
        pagination_class=None,
        filter_backends=[],
    )
    def hand_over(self, request, format=None):
        """Move every objective, initiative and KPI the leaving person owns to the successor
        (strategy office only); the hand-over is recorded with who and when."""
        if not self.access.is_office:
            raise exceptions.PermissionDenied("Only the strategy office hands work over.")
        data = HandOverRequestSerializer(data=request.data)
        body_types_check(data, request)
        data.is_valid(raise_exception=True)
        people = User.objects.in_bulk(
            [data.validated_data["leaving"], data.validated_data["successor"]]
        )
        missing = {
            name: [exceptions.ErrorDetail("No such person.", code="does_not_exist")]
            for name in ("leaving", "successor")
            if data.validated_data[name] not in people
        }
        if missing:
            raise exceptions.ValidationError(missing)
        # A refusal (the same person, an inactive successor) is a Django ValidationError: the
        # API's exception handler answers it as a 400 with each field's code.
        done = person_hand_over(
            leaving=people[data.validated_data["leaving"]],
            successor=people[data.validated_data["successor"]],
            by=request.user,
        )
        return Response(HandOverSerializer(done).data, status=201)


class MembershipViewSet(AccessViewSet):
    """Who has which role on the teams you may see. The strategy office manages every
    membership; a leader those of their team and the teams below it, granting, changing and
    removing no role above their own (``strategy.access``)."""

    queryset = Membership.objects.all()
    serializer_class = MembershipSerializer
    filterset_class = MembershipFilter
    ordering_fields = ["team", "user", "role", "updated_at"]
    ordering = ["team_id", "user_id"]

    @override
    def before_update(self, instance):
        self._old_role = instance.role

    @override
    def may_write(self, access: Access, obj: Model, request) -> bool:
        membership = cast(Membership, obj)  # this viewset's objects
        if request.method == "DELETE":
            return access.can_remove_membership(membership.team_id, membership.role)
        old = getattr(self, "_old_role", None)
        return access.can_change_membership(membership.team_id, old, membership.role)

    @override
    def store(self, instance, data, *, created, version=None):
        by = cast("AuthUser", self.request.user)  # the API serves signed-in people only
        return membership_set(person=instance.user, team=instance.team, role=instance.role, by=by)

    @override
    def remove(self, instance):
        by = cast("AuthUser", self.request.user)  # the API serves signed-in people only
        membership_remove(membership=instance, by=by)


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
