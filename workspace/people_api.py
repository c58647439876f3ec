"""API of the organisation: teams, people (with invitations and hand-overs) and memberships.

Permissions: ``strategy.permissions.AccessPermission`` + each view's ``may_write``, both asking
``strategy.access``; writes call ``strategy.services`` and ``strategy.people_services``.
"""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING, cast
from urllib.parse import urlsplit

from django.conf import settings
from django.contrib.auth import get_user_model
from django.db.models import Prefetch
from django_filters import rest_framework as filters
from drf_spectacular.utils import extend_schema
from rest_framework import exceptions
from rest_framework.decorators import action
from rest_framework.response import Response
from typing_extensions import override

from execsupport.api import ErrorSerializer
from execsupport.jsontypes import body_types_check
from execsupport.ratelimit import InvitationThrottle
from execsupport.viewsets import BaseFilterSet, IdFilter
from metrics.viewsets import AccessViewSet, ReadOnlyAccessViewSet
from strategy import services
from strategy.access import Access
from strategy.models import Membership, Team
from strategy.people import people_choosable
from strategy.people_services import membership_remove, membership_set, person_hand_over
from workspace.strategy_serializers import (
    HandOverRequestSerializer,
    HandOverSerializer,
    InvitationSerializer,
    InviteRequestSerializer,
    MembershipSerializer,
    PersonSerializer,
    TeamSerializer,
)

if TYPE_CHECKING:
    from django.contrib.auth.models import User as AuthUser
    from django.db.models import Model

User = get_user_model()


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
