"""API of pulse surveys: surveys (the office and leaders create them from a template), rounds
(leaders send them to their teams, close and reopen them; members answer their own), and
aggregated results only (``surveys.results``): no endpoint returns an individual answer."""

from __future__ import annotations

from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone
from drf_spectacular.utils import extend_schema
from rest_framework import exceptions, serializers, status
from rest_framework.decorators import action
from rest_framework.response import Response
from typing_extensions import override

from execsupport.api import ErrorSerializer
from execsupport.jsontypes import body_types_check
from execsupport.viewsets import BaseFilterSet, IdFilter
from metrics.viewsets import ReadOnlyAccessViewSet
from strategy.selectors import strategy_current
from surveys import anonymity, results, selectors, services
from surveys.models import Question, Survey, SurveyRound
from surveys.serializers import (
    AnswerSerializer,
    RoundCreateSerializer,
    RoundResultsSerializer,
    RoundSerializer,
    SurveyCreateSerializer,
    SurveySerializer,
)


def _input(serializer_class: type[serializers.Serializer], request) -> dict:
    """The validated JSON body of ``request`` read by ``serializer_class``, its values first
    checked for their JSON types (``execsupport.jsontypes``: a number sent for a text is a 400,
    as on every other write of the API). Raises ``ValidationError`` (400, by field)."""
    data = serializer_class(data=request.data)
    body_types_check(data, request)
    data.is_valid(raise_exception=True)
    return data.validated_data


def _raise(exc: Exception):
    if isinstance(exc, PermissionDenied):
        raise exceptions.PermissionDenied(str(exc)) from exc
    if isinstance(exc, ValidationError):
        detail = (
            exc.message_dict if hasattr(exc, "error_dict") else {"non_field_errors": exc.messages}
        )
        # Rules of the surveys' services (windows, teams, states) a schema cannot express.
        raise exceptions.ValidationError(detail, code="inconsistent") from exc
    raise exc


class SurveyViewSet(ReadOnlyAccessViewSet):
    """Surveys and their questions (anyone with a role); the office and leaders create one from
    a template for the current strategy."""

    queryset = Survey.objects.select_related("strategy").prefetch_related("questions")
    serializer_class = SurveySerializer
    scope_lookup = None
    ordering = ["-created_on", "id"]
    ordering_fields = ["created_on", "name"]

    @override
    def get_queryset(self):
        return (
            super()
            .get_queryset()
            .filter(pk__in=selectors.surveys_visible(access=self.access).values("pk"))
        )

    @extend_schema(
        request=SurveyCreateSerializer,
        responses={201: SurveySerializer, 400: ErrorSerializer, 403: ErrorSerializer},
    )
    def create(self, request, *args, **kwargs):
        """Create a survey in the current strategy; 400 without a strategy or for bad values, 403
        for a role that may not."""
        values = _input(SurveyCreateSerializer, request)
        strategy = strategy_current()
        if strategy is None:
            raise exceptions.ValidationError(
                {"strategy": ["There is no strategy yet."]}, code="inconsistent"
            )
        try:
            survey = services.survey_create(
                access=self.access, user=request.user, strategy=strategy, **values
            )
        except (PermissionDenied, ValidationError) as exc:
            _raise(exc)
        return Response(SurveySerializer(survey).data, status=status.HTTP_201_CREATED)


class RoundFilter(BaseFilterSet):
    """Filter of the round list: ``survey`` (id)."""

    survey = IdFilter(field_name="survey_id")

    class Meta:
        model = SurveyRound
        fields: list[str] = []


class RoundViewSet(ReadOnlyAccessViewSet):
    """Survey rounds sent to a team you may see. Leaders send (create), close and reopen them;
    members and leaders of its teams answer once (``answer``); ``results`` gives the aggregated
    figures per question and team that pass the anonymity rules."""

    queryset = SurveyRound.objects.select_related("survey").prefetch_related(
        "round_teams", "survey__questions"
    )
    serializer_class = RoundSerializer
    scope_lookup = None
    ordering = ["-closes_on", "-id"]
    ordering_fields = ["closes_on", "opens_on"]
    filterset_class = RoundFilter

    @override
    def get_queryset(self):
        qs = super().get_queryset()
        if self.access.is_office:
            return qs
        from surveys.models import RoundTeam

        return qs.filter(
            id__in=self.access.scope(RoundTeam.objects.all(), "team_id").values("round_id")
        )

    def may_write(self, access, obj, request) -> bool:
        """Who may close, reopen or answer a round is decided by the services
        (``round_close``, ``round_reopen``, ``response_submit``), which raise PermissionDenied."""
        return True

    @override
    def get_serializer_context(self):
        return {
            **super().get_serializer_context(),
            "access": self.access,
            "today": timezone.localdate(),
        }

    @extend_schema(
        request=RoundCreateSerializer,
        responses={201: RoundSerializer, 400: ErrorSerializer, 403: ErrorSerializer},
    )
    def create(self, request, *args, **kwargs):
        """Send a round of a visible survey (``services.round_send``); 400 for an unknown survey or
        bad values, 403 for a role that may not."""
        values = dict(_input(RoundCreateSerializer, request))
        survey = (
            selectors.surveys_visible(access=self.access).filter(pk=values.pop("survey")).first()
        )
        if survey is None:
            raise exceptions.ValidationError({"survey": ["No such survey."]}, code="does_not_exist")
        try:
            round_ = services.round_send(
                access=self.access, user=request.user, survey=survey, **values
            )
        except (PermissionDenied, ValidationError) as exc:
            _raise(exc)
        round_ = self.get_queryset().get(pk=round_.pk)
        return Response(
            RoundSerializer(round_, context=self.get_serializer_context()).data,
            status=status.HTTP_201_CREATED,
        )

    @extend_schema(request=None, responses={200: RoundSerializer, 403: ErrorSerializer})
    @action(detail=True, methods=["post"])
    def close(self, request, pk=None, **kwargs):
        """Close the round now; 403 for a role that may not."""
        round_ = self.get_object()
        try:
            services.round_close(access=self.access, round_=round_)
        except PermissionDenied as exc:
            _raise(exc)
        return Response(self.get_serializer(round_).data)

    @extend_schema(
        request=None, responses={200: RoundSerializer, 400: ErrorSerializer, 403: ErrorSerializer}
    )
    @action(detail=True, methods=["post"])
    def reopen(self, request, pk=None, **kwargs):
        """Reopen a closed round; 400 if it cannot be reopened (``services.round_reopen``), 403 for
        a role that may not."""
        round_ = self.get_object()
        try:
            services.round_reopen(access=self.access, round_=round_, today=timezone.localdate())
        except (PermissionDenied, ValidationError) as exc:
            _raise(exc)
        return Response(self.get_serializer(round_).data)

    @extend_schema(
        request=AnswerSerializer,
        responses={
            204: None,
            400: ErrorSerializer,
            403: ErrorSerializer,
            409: ErrorSerializer,
        },
    )
    @action(detail=True, methods=["post"])
    def answer(self, request, pk=None, **kwargs):
        """Answer the round as yourself, once. Nothing is returned: the answer keeps no link
        to you."""
        round_ = self.get_object()
        values = _input(AnswerSerializer, request)
        try:
            services.response_submit(
                user=request.user,
                round_=round_,
                team_id=values.get("team"),
                scale={k: str(v) for k, v in values["answers"].items()},
                text=values.get("texts", {}),
                today=timezone.localdate(),
            )
        except services.AlreadyAnswered as exc:
            raise _Conflict(str(exc)) from exc
        except (PermissionDenied, ValidationError) as exc:
            _raise(exc)
        return Response(status=status.HTTP_204_NO_CONTENT)

    @extend_schema(responses={200: RoundResultsSerializer})
    @action(detail=True, methods=["get"])
    def results(self, request, pk=None, **kwargs):
        """Per scale question, one figure per team you may see and the combined one; numbers
        are null where the anonymity rules suppress them. Free text only with a combined
        figure that passes, shuffled."""
        round_ = self.get_object()
        cells, by_code = results.round_results(access=self.access, round_=round_)
        texts_shown, texts = results.round_texts(access=self.access, cells=cells)
        questions = [
            {"code": q.code, "text": q.text, "results": [vars(r) for r in by_code[q.code]]}
            for q in round_.survey.questions.all()
            if q.kind == Question.Kind.SCALE
        ]
        body = {
            "round": round_.pk,
            "threshold": anonymity.min_respondents(),
            "questions": questions,
            "texts_shown": texts_shown,
            "texts": texts,
        }
        return Response(RoundResultsSerializer(body).data)


class _Conflict(exceptions.APIException):
    status_code = status.HTTP_409_CONFLICT
    default_code = "conflict"
