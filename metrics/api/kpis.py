"""The API of KPIs (by id or stable key) and their measurements (one or a batch), with their
filters."""

from __future__ import annotations

from typing import TYPE_CHECKING, cast

from django.conf import settings
from django.db.models import Q
from django_filters import rest_framework as filters
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import exceptions
from rest_framework.decorators import action
from rest_framework.response import Response
from typing_extensions import override

from execsupport.api import (
    ApiError,
    CursorPagination,
    ErrorSerializer,
    JSONParser,
)
from execsupport.validation import is_valid_id
from execsupport.viewsets import BaseFilterSet, DateFilter, IdFilter
from metrics import services
from metrics.models import (
    KPI,
    GapScore,
    Measurement,
    SubjectType,
)
from metrics.serializers import (
    IngestRequestSerializer,
    IngestResultSerializer,
    KPISerializer,
    MeasurementRecordedSerializer,
    MeasurementSerializer,
)
from metrics.viewsets import AccessViewSet, AppendOnlyAccessViewSet, scored_list
from strategy.access import Access
from strategy.models import ApiToken

if TYPE_CHECKING:
    from django.db.models import Model


KPI_KEY_REGEX = r"[-a-zA-Z0-9_]{1,80}"
WRITE_MEASUREMENTS = {"read": ApiToken.Scope.READ, "write": ApiToken.Scope.WRITE_MEASUREMENTS}


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
