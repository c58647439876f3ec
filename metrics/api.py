"""API of the metrics: KPIs (by id or stable key), measurements (one or a batch), gap scores
(latest and history), alerts (acknowledge, snooze, resolve, log) and webhooks (strategy office).

Rules come from ``strategy.access``; writes call ``metrics.services``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, cast

from django.conf import settings
from django.db.models import Count, Max, Q
from django_filters import rest_framework as filters
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import exceptions, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response
from typing_extensions import override

from execsupport.api import (
    ApiError,
    CursorPagination,
    ErrorSerializer,
    JSONParser,
)
from execsupport.jsontypes import body_types_check
from execsupport.openapi import ID_SCHEMA
from execsupport.validation import is_valid_id
from execsupport.viewsets import BaseFilterSet, DateFilter, IdFilter, SinceFilter
from initiatives.models import Initiative, Milestone
from metrics import services
from metrics.models import (
    KPI,
    Alert,
    GapScore,
    Measurement,
    NotificationPreferences,
    SubjectType,
    Webhook,
)
from metrics.preferences import preferences_get, preferences_update
from metrics.selectors import alert_events_visible
from metrics.serializers import (
    AlertEventSerializer,
    AlertNoteSerializer,
    AlertSerializer,
    AlertSnoozeSerializer,
    GapScoreHistorySerializer,
    GapScoreSerializer,
    IngestRequestSerializer,
    IngestResultSerializer,
    KPISerializer,
    MeasurementRecordedSerializer,
    MeasurementSerializer,
    NotificationPreferencesSerializer,
    WebhookSerializer,
)
from metrics.viewsets import (
    AccessViewSet,
    AppendOnlyAccessViewSet,
    ReadOnlyAccessViewSet,
    conditional_list,
    scored_list,
)
from strategy.access import Access
from strategy.models import ApiToken, Objective

if TYPE_CHECKING:
    from django.db.models import Model

KPI_KEY_REGEX = r"[-a-zA-Z0-9_]{1,80}"
WRITE_MEASUREMENTS = {"read": ApiToken.Scope.READ, "write": ApiToken.Scope.WRITE_MEASUREMENTS}


# --- filters ----------------------------------------------------------------------------------
class KPIFilter(BaseFilterSet):
    """Filters of the KPI list: team, owner, objective, initiative, theme and period (ids), the
    latest score's status, key, kind, direction and ``is_active``."""

    team = IdFilter(field_name="team_id")
    owner = IdFilter(field_name="owner_id")
    objective = IdFilter(field_name="objective_id")
    initiative = IdFilter(field_name="initiative_id")
    theme = IdFilter(method="filter_theme", label="Theme of the objective measured.")
    period = IdFilter(method="filter_period", label="Period of the objective measured.")
    status = filters.ChoiceFilter(
        choices=GapScore.Status.choices, method="filter_status", label="Latest score status."
    )

    class Meta:
        model = KPI
        fields = ["key", "kind", "direction", "is_active"]

    def filter_theme(self, queryset, name, value):
        """KPIs of an objective of this theme, directly or through their initiative."""
        return queryset.filter(
            Q(objective__theme_id=value) | Q(initiative__objective__theme_id=value)
        )

    def filter_period(self, queryset, name, value):
        """KPIs of an objective of this period, directly or through their initiative."""
        return queryset.filter(
            Q(objective__period_id=value) | Q(initiative__objective__period_id=value)
        )

    def filter_status(self, queryset, name, value):
        """KPIs whose latest gap score has this status."""
        return queryset.filter(
            id__in=GapScore.objects.filter(
                subject_type=SubjectType.KPI, is_latest=True, status=value
            ).values("subject_id")
        )


class MeasurementFilter(BaseFilterSet):
    """Filters of the measurement list: the KPI (by key or id), team, an ``as_of`` range
    (inclusive) and source."""

    kpi = filters.CharFilter(field_name="kpi__key", label="KPI key.")
    kpi_id = IdFilter(field_name="kpi_id")
    team = IdFilter(field_name="kpi__team_id")
    as_of_from = DateFilter(field_name="as_of", lookup_expr="gte")
    as_of_to = DateFilter(field_name="as_of", lookup_expr="lte")

    class Meta:
        model = Measurement
        fields = ["source"]


class GapScoreFilter(filters.FilterSet):
    """Filters of the score list: subject (type and id), ``since`` (computed at or after) and
    status."""

    subject_type = filters.ChoiceFilter(choices=SubjectType.choices)
    subject_id = IdFilter(field_name="subject_id")
    since = SinceFilter(field_name="computed_at", lookup_expr="gte")

    class Meta:
        model = GapScore
        fields = ["status"]


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


# --- KPIs -------------------------------------------------------------------------------------
class KPIViewSet(AccessViewSet):
    """KPIs of the teams you may see, each with its latest gap score. Address one by its
    stable key (``/kpis/nps/``) or its id; a key wins over an id made of the same digits."""

    queryset = KPI.objects.all()
    serializer_class = KPISerializer
    filterset_class = KPIFilter
    score_subject_type = SubjectType.KPI
    flat_rows = True
    extra_write_fields = ("reason",)
    lookup_field = "key"
    lookup_url_kwarg = "id_or_key"
    lookup_value_regex = KPI_KEY_REGEX
    ordering_fields = ["name", "key", "target_date", "updated_at"]
    ordering = ["name", "id"]

    @override
    def get_object(self):
        value = self.kwargs["id_or_key"]
        queryset = self.get_queryset()
        obj = queryset.filter(key=value).first()
        if obj is None and is_valid_id(value):
            obj = queryset.filter(pk=int(value)).first()
        if obj is None:
            raise exceptions.NotFound("No such KPI.")
        self.check_object_permissions(self.request, obj)
        return obj

    @extend_schema(responses={200: KPISerializer(many=True), 304: None})
    def list(self, request, *args, **kwargs):
        """Conditional: send the last ETag in If-None-Match and get 304 if nothing changed."""
        return scored_list(self, request)

    @override
    def may_write(self, access: Access, obj: Model, request) -> bool:
        return access.can_edit_kpi(cast(KPI, obj))  # this viewset's objects

    @override
    def before_update(self, instance: Model) -> None:
        self._previous_plan = services.kpi_plan(kpi=cast(KPI, instance))  # this viewset's

    @override
    def store(self, instance, data, *, created, version=None):
        return services.kpi_save(
            kpi=instance,
            changed_by=self.request.user,
            reason=data.get("reason", ""),
            previous_plan=None if created else self._previous_plan,
            version=version,
        )

    @override
    def remove(self, instance):
        services.kpi_delete(kpi=instance)


# --- measurements -----------------------------------------------------------------------------
class MeasurementViewSet(AppendOnlyAccessViewSet):
    """Measurements of the KPIs you may see, newest first (cursor pagination).

    Posting a value for a KPI and date that already has one replaces it and keeps the old value
    as a correction; re-posting the same value changes nothing."""

    queryset = Measurement.objects.select_related("kpi")
    serializer_class = MeasurementSerializer
    filterset_class = MeasurementFilter
    pagination_class = CursorPagination
    token_scopes = WRITE_MEASUREMENTS
    scope_lookup = "kpi__team_id"
    ordering_fields = ["id", "as_of", "updated_at"]
    ordering = ["-id"]

    @override
    def may_write(self, access: Access, obj: Model, request) -> bool:
        return access.can_record_measurement(cast(Measurement, obj).kpi)  # this viewset's objects

    @extend_schema(
        responses={
            201: OpenApiResponse(
                MeasurementRecordedSerializer,
                description="A new measurement; ``implausible`` flags a value far outside the "
                "KPI's recent robust range (recorded all the same).",
            ),
            200: OpenApiResponse(
                MeasurementRecordedSerializer,
                description="The KPI already had a value for that date: replaced (the old "
                "value is kept as a correction), or unchanged when identical.",
            ),
        }
    )
    def create(self, request, *args, **kwargs):
        """Record one value of a KPI for a date (201); a value for a KPI and date that already
        has one replaces it and keeps the old one as a correction (200)."""
        serializer = self.get_serializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        self._check(Measurement(kpi=data["kpi"]))
        serializer.instance, created = services.measurement_record(
            kpi=data["kpi"],
            as_of=data["as_of"],
            value=data["value"],
            note=data.get("note", ""),
            entered_by=self.request.user,
            source=Measurement.Source.API,
        )
        recorded = MeasurementRecordedSerializer(
            serializer.instance, context=self.get_serializer_context()
        )
        return Response(recorded.data, status=201 if created else 200)

    @extend_schema(
        request=IngestRequestSerializer,
        responses={
            200: IngestResultSerializer,
            400: OpenApiResponse(ErrorSerializer, description="Every bad row, by index."),
            413: OpenApiResponse(ErrorSerializer, description="Body too large."),
        },
    )
    @action(detail=False, methods=["post"], parser_classes=[JSONParser], url_path="ingest")
    def ingest(self, request, format=None):
        """Record up to API_INGEST_MAX_ROWS measurements by KPI key in one request.

        All or nothing: a 400 lists every bad row by index and field and writes nothing.
        Idempotent: re-sending a batch changes nothing; a new value for a KPI and date replaces
        the old one, which is kept as a correction. Scores are recomputed once per KPI."""
        if not self.access.can_contribute:
            raise exceptions.PermissionDenied("Your role only reads.")
        body = request.data
        if not isinstance(body, dict) or "measurements" not in body:
            raise exceptions.ValidationError(
                {"measurements": ['Send an object {"measurements": [rows]}.']}
            )
        try:
            result = services.measurements_ingest(
                rows=body["measurements"],
                access=self.access,
                entered_by=request.user,
                max_rows=settings.API_INGEST_MAX_ROWS,
            )
        except services.BatchRejected as exc:
            count = len({e.get("index") for e in exc.errors})
            raise ApiError(
                status_code=400,
                detail=f"Nothing was recorded: {count} row(s) have errors."
                if "index" in exc.errors[0]
                else exc.errors[0]["message"],
                errors=exc.errors,
            ) from None
        return Response(IngestResultSerializer(result).data)


# --- gap scores -------------------------------------------------------------------------------
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


# --- alerts -----------------------------------------------------------------------------------
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


# --- webhooks ---------------------------------------------------------------------------------
class WebhookViewSet(AccessViewSet):
    """Outbound webhooks: the strategy office manages all of them, a team leader those they
    own (``Access.webhooks_scope``); tokens need the admin scope."""

    queryset = Webhook.objects.all()
    serializer_class = WebhookSerializer
    token_scopes = {"read": ApiToken.Scope.ADMIN, "write": ApiToken.Scope.ADMIN}
    scope_lookup = None
    filterset_fields = ["is_active"]
    ordering_fields = ["name", "created_at"]
    ordering = ["name", "id"]

    def may_use(self, access: Access, request) -> bool:
        """Only people who may manage webhooks (read by ``strategy.permissions`` through
        ``may_use``)."""
        return access.can_manage_webhooks

    @override
    def get_queryset(self):
        return self.access.webhooks_scope(super().get_queryset())

    @override
    def may_write(self, access: Access, obj, request) -> bool:
        # Whom it acts for is checked by the service (400 on ``owner``); here: may this
        # person manage webhooks at all (the queryset already holds only theirs).
        return access.can_manage_webhooks

    @override
    def store(self, instance, data, *, created, version=None):
        if created:
            instance.created_by = self.request.user
            if instance.owner_id is None:
                instance.owner = self.request.user
        return services.webhook_save(webhook=instance, version=version, by=self.request.user)

    @override
    def remove(self, instance):
        services.webhook_delete(webhook=instance)


# --- the signed-in person's own settings ------------------------------------------------------
class MeViewSet(viewsets.GenericViewSet):
    """The signed-in person's own settings (anyone with a role; a token needs ``read`` to read
    them and ``admin`` to change them)."""

    serializer_class = NotificationPreferencesSerializer
    pagination_class = None
    filter_backends: list = []

    @override
    def get_queryset(self):
        if self.request.user.pk is None:  # anonymous (the schema generator): nobody's
            return NotificationPreferences.objects.none()
        return NotificationPreferences.objects.filter(user_id=self.request.user.pk)

    def get_object(self) -> NotificationPreferences:
        """The person's own preferences (also for OPTIONS, which describes the PUT)."""
        return preferences_get(user=self.request.user)

    @extend_schema(
        methods=["GET"],
        responses={200: NotificationPreferencesSerializer},
        filters=False,
    )
    @extend_schema(
        methods=["PUT", "PATCH"],
        request=NotificationPreferencesSerializer,
        responses={200: NotificationPreferencesSerializer, 400: ErrorSerializer},
        filters=False,
    )
    @action(
        detail=False,
        methods=["get", "put", "patch"],
        url_path="notification-preferences",
    )
    def notification_preferences(self, request, format=None):
        """Your notification preferences (the defaults until you change one). PUT and PATCH
        change the fields given; a bad value is a 400 naming the field, nothing saved."""
        if request.method == "GET":
            return Response(self.get_serializer(preferences_get(user=request.user)).data)
        data = cast(
            NotificationPreferencesSerializer,  # serializer_class's
            self.get_serializer(data=request.data, partial=True),
        )
        body_types_check(data, request)
        data.is_valid(raise_exception=True)
        prefs = preferences_update(user=request.user, data=data.validated_data)
        return Response(self.get_serializer(prefs).data)
