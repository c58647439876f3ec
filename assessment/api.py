"""API of the capability map and calibration: assessments (read and write with the pages'
rules), and the computed evidence and calibration (read-only), all through ``strategy.access``."""

from __future__ import annotations

import datetime as dt
from typing import cast

from django.core.exceptions import ValidationError
from django.db import models
from django.http import Http404
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import exceptions, viewsets
from rest_framework.response import Response
from typing_extensions import override

from assessment import calibration, evidence, services
from assessment.models import CapabilityAssessment
from assessment.serializers import (
    CalibrationSerializer,
    CapabilityAssessmentSerializer,
    EvidenceSerializer,
    ScopeQuerySerializer,
)
from execsupport.api import ErrorSerializer
from execsupport.openapi import DATE_RULE, DATE_SCHEMA, ID_SCHEMA, AutoSchema
from execsupport.viewsets import BaseFilterSet, IdFilter
from metrics.viewsets import AccessViewSet
from strategy.access import Access, access_for
from strategy.models import Strategy, Team
from strategy.selectors import strategy_current


class AssessmentFilter(BaseFilterSet):
    """Filters of the assessment list: ``team`` and ``strategy`` (ids)."""

    team = IdFilter(field_name="team_id")
    strategy = IdFilter(field_name="strategy_id")

    class Meta:
        model = CapabilityAssessment
        fields: list[str] = []


class CapabilityAssessmentViewSet(AccessViewSet):
    """Capability assessments you may see: a team's (who sees the team) and the organisation's
    (anyone with a role). Recorded by the strategy office, and by leaders for their teams; the
    organisation's (``team`` empty) by the office only."""

    queryset = CapabilityAssessment.objects.all()
    serializer_class = CapabilityAssessmentSerializer
    filterset_class = AssessmentFilter
    scope_lookup = None
    ordering_fields = ["assessed_on", "created_at"]
    ordering = ["-assessed_on", "-id"]

    @override
    def get_queryset(self):
        return super().get_queryset().filter(self.access.assessment_filter())

    @override
    def may_write(self, access: Access, obj: models.Model, request) -> bool:
        assessment = cast(CapabilityAssessment, obj)  # this viewset's objects
        return access.can_record_assessment(assessment.team_id)

    @override
    def store(self, instance, data, *, created, version=None):
        if created:
            strategy = strategy_current()
            if strategy is None:
                raise exceptions.ValidationError(
                    {"strategy": ["There is no strategy yet."]}, code="inconsistent"
                )
            instance.strategy = strategy
            instance.assessor = self.request.user
        try:
            return services.assessment_save(assessment=instance, expected_version=version)
        except ValidationError as error:
            # The model's own rules (e.g. who may assess which team): not expressible in a schema.
            raise exceptions.ValidationError(error.message_dict, code="inconsistent") from error

    @override
    def remove(self, instance):
        services.assessment_delete(assessment=instance)


def _scope(request) -> tuple[Strategy, Team | None, dt.date | None]:
    query = ScopeQuerySerializer(data=request.query_params)
    query.is_valid(raise_exception=True)
    strategy = strategy_current()
    if strategy is None:
        raise Http404("There is no strategy yet.")
    team = None
    team_id = query.validated_data.get("team")
    if team_id is not None:
        team = Team.objects.filter(pk=team_id).first()
        if team is None or not access_for(request.user).can_view_team(team.pk):
            raise exceptions.ValidationError({"team": ["No such team."]}, code="does_not_exist")
    return strategy, team, query.validated_data.get("as_of")


class SingleObjectSchema(AutoSchema):
    """``list`` of these read-only viewsets answers one object (the report), not an array."""

    def _is_list_view(self, serializer=None) -> bool:
        return False


SCOPE_PARAMETERS = [
    OpenApiParameter("team", ID_SCHEMA, description="A team you see; none: the organisation."),
    OpenApiParameter("as_of", DATE_SCHEMA, description=f"The day (default: today). {DATE_RULE}"),
]


class CapabilityEvidenceViewSet(viewsets.GenericViewSet):
    """The evidence the app computes for each capability of the current strategy, for a team
    and the teams below it (or the organisation), over what you may see. A figure with
    ``tracked`` false has no data behind it yet ("not tracked yet")."""

    serializer_class = EvidenceSerializer
    schema = SingleObjectSchema()
    pagination_class = None
    filter_backends: list = []

    @override
    def get_queryset(self):
        return CapabilityAssessment.objects.none()

    @extend_schema(
        parameters=SCOPE_PARAMETERS,
        responses={200: EvidenceSerializer, 400: ErrorSerializer, 404: ErrorSerializer},
        filters=False,
    )
    def list(self, request, *args, **kwargs):
        """The evidence figures per capability for the strategy, team and date of the query.

        400 for a bad query or a team the caller may not see, 404 when there is no strategy yet
        (``_scope``)."""
        strategy, team, as_of = _scope(request)
        access = access_for(request.user)
        scope = evidence.evidence_scope(access=access, strategy=strategy, team=team, as_of=as_of)
        figures = evidence.capability_evidence(
            access=access, strategy=strategy, team=team, as_of=scope.as_of
        )
        data = {
            "strategy": strategy.pk,
            "team": team.pk if team else None,
            "as_of": scope.as_of,
            "capabilities": [{"capability": c, "figures": f} for c, f in figures.items()],
        }
        return Response(EvidenceSerializer(data).data)


class CalibrationViewSet(viewsets.GenericViewSet):
    """Calibration of the current strategy's check-in confidence (overall, per owner, per
    team) and of the engine's KPI forecasts, over what you may see; scores only from
    ``CALIBRATION_MIN_CASES`` closed cases on (``enough``)."""

    serializer_class = CalibrationSerializer
    schema = SingleObjectSchema()
    pagination_class = None
    filter_backends: list = []

    @override
    def get_queryset(self):
        return CapabilityAssessment.objects.none()

    @extend_schema(
        parameters=SCOPE_PARAMETERS,
        responses={200: CalibrationSerializer, 400: ErrorSerializer, 404: ErrorSerializer},
        filters=False,
    )
    def list(self, request, *args, **kwargs):
        """The calibration report (confidence, by owner, by team, forecasts) for the query's scope.

        400 for a bad query or a team the caller may not see, 404 when there is no strategy yet
        (``_scope``)."""
        strategy, team, as_of = _scope(request)
        report = calibration.calibration_report(
            access=access_for(request.user), strategy=strategy, team=team, as_of=as_of
        )
        data = {
            "strategy": strategy.pk,
            "team": team.pk if team else None,
            "confidence": report.confidence,
            "by_owner": report.by_owner,
            "by_team": report.by_team,
            "forecasts": report.forecasts,
        }
        return Response(CalibrationSerializer(data).data)
