"""The API of alerts: listed and read, acknowledged, snoozed and resolved, their log."""

from __future__ import annotations

from typing import TYPE_CHECKING

from django_filters import rest_framework as filters
from drf_spectacular.utils import extend_schema
from rest_framework.decorators import action
from rest_framework.response import Response
from typing_extensions import override

from execsupport.api import (
    ApiError,
    ErrorSerializer,
)
from execsupport.jsontypes import body_types_check
from execsupport.viewsets import IdFilter, SinceFilter
from metrics import services
from metrics.models import (
    Alert,
    SubjectType,
)
from metrics.selectors import alert_events_visible
from metrics.serializers import (
    AlertEventSerializer,
    AlertNoteSerializer,
    AlertSerializer,
    AlertSnoozeSerializer,
)
from metrics.viewsets import ReadOnlyAccessViewSet
from strategy.access import Access

if TYPE_CHECKING:
    pass


class AlertFilter(filters.FilterSet):
    """Filters of the alert list: team, owner, subject (type and id), ``updated_since`` (last seen
    at or after), status, kind and severity."""

    team = IdFilter(field_name="team_id")
    owner = IdFilter(field_name="owner_id")
    subject_type = filters.ChoiceFilter(choices=SubjectType.choices)
    subject_id = IdFilter(field_name="subject_id")
    updated_since = SinceFilter(field_name="last_seen_at", lookup_expr="gte")

    class Meta:
        model = Alert
        fields = ["status", "kind", "severity"]


class AlertViewSet(ReadOnlyAccessViewSet):
    """Alerts about what you may see. Acknowledge or resolve the ones you own or whose team you
    lead."""

    queryset = Alert.objects.all()
    serializer_class = AlertSerializer
    filterset_class = AlertFilter
    scope_lookup = None
    ordering_fields = ["opened_at", "severity", "last_seen_at"]
    ordering = ["-severity", "-opened_at", "-id"]

    @override
    def get_queryset(self):
        return Alert.objects.filter(self.access.alert_filter())

    def may_write(self, access: Access, obj: Alert, request) -> bool:
        """Who may act on an alert (acknowledge, snooze, resolve); read by ``strategy.permissions``
        through ``may_write`` (this read-only viewset has no ``WriteMixin``)."""
        return access.can_handle_alert(obj)

    def _handle(self, service, input_serializer=AlertNoteSerializer) -> Response:
        alert = self.get_object()  # 404 if not visible, 403 unless may_write
        data = input_serializer(data=self.request.data or {})
        body_types_check(data, self.request)
        data.is_valid(raise_exception=True)
        # A refusal of the service (a snooze end in the past) is a Django ValidationError: the
        # API's exception handler answers it as a 400 with each field's code.
        done = service(alert=alert, by=self.request.user, **data.validated_data)
        if not done:
            alert.refresh_from_db()
            raise ApiError(
                status_code=409, detail=f"The alert is already {alert.get_status_display()}."
            )
        return Response(self.get_serializer(alert).data)

    @extend_schema(
        request=AlertNoteSerializer,
        responses={200: AlertSerializer, 400: ErrorSerializer, 409: ErrorSerializer},
    )
    @action(detail=True, methods=["post"])
    def acknowledge(self, request, pk=None, format=None):
        """Open → acknowledged, with an optional note (409 if it is not open any more)."""
        return self._handle(services.alert_acknowledge)

    @extend_schema(
        request=AlertNoteSerializer,
        responses={200: AlertSerializer, 400: ErrorSerializer, 409: ErrorSerializer},
    )
    @action(detail=True, methods=["post"])
    def resolve(self, request, pk=None, format=None):
        """Open or acknowledged → resolved, with an optional note (409 if already resolved)."""
        return self._handle(services.alert_resolve)

    @extend_schema(
        request=AlertSnoozeSerializer,
        responses={200: AlertSerializer, 400: ErrorSerializer, 409: ErrorSerializer},
    )
    @action(detail=True, methods=["post"])
    def snooze(self, request, pk=None, format=None):
        """Snooze an active alert until ``until`` (future, at most GAP_ALERT_SNOOZE_MAX_DAYS
        ahead; 400 with field detail otherwise), with a note: it notifies nobody until then
        unless its severity rises (409 if resolved)."""
        return self._handle(services.alert_snooze, AlertSnoozeSerializer)

    @extend_schema(request=None, responses={200: AlertEventSerializer(many=True)})
    @action(detail=True, methods=["get"], pagination_class=None)
    def events(self, request, pk=None, format=None):
        """The alert's log, oldest first: opened, acknowledged, snoozed, woke, worsened,
        resolved, reopened; who (null: automatic), when, note."""
        alert = self.get_object()  # 404 if not visible
        events = alert_events_visible(access=self.access, alert_ids=[alert.pk])
        return Response(AlertEventSerializer(events, many=True).data)
