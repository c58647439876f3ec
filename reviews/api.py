"""API of the review cycle: reviews, meetings, packs (read-only, rendered for the reader) with
their diff, decisions and action items. Rules come from ``strategy.access``; writes call
``reviews.services``."""

from __future__ import annotations

from typing import Any, cast

from django.core.exceptions import ValidationError
from django.db.models import F, Q
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import exceptions, renderers, status
from rest_framework.decorators import action
from rest_framework.response import Response
from typing_extensions import override

from execsupport.api import ErrorSerializer
from execsupport.pdf import PDFRenderer, PdfUnavailable, pdf_response
from execsupport.viewsets import BaseFilterSet, IdFilter
from metrics.viewsets import AccessViewSet, AppendOnlyAccessViewSet, ReadOnlyAccessViewSet
from reviews import services
from reviews.models import ActionItem, Decision, Meeting, Pack, Review
from reviews.selectors import (
    DECISION_HIDDEN,
    decision_text_shown,
    decisions_with_movement,
    pack_read,
    pack_scope_label,
    reviews_visible,
)
from reviews.serializers import (
    ActionItemSerializer,
    DecisionSerializer,
    MeetingSerializer,
    PackDiffSerializer,
    PackPdfStatusSerializer,
    PackSerializer,
    PackSummarySerializer,
    ReviewSerializer,
    ToInitiativeResultSerializer,
    ToInitiativeSerializer,
)
from strategy.access import Access
from strategy.selectors import strategy_current

TEXT_FIELDS = ("reason", "title", "message")


class ReviewFilter(BaseFilterSet):
    """Query filters of ``/reviews/``: ``team``, ``strategy`` (ids), ``scope``, ``cadence`` and
    ``updated_since``."""

    team = IdFilter(field_name="team_id")
    strategy = IdFilter(field_name="strategy_id")

    class Meta:
        model = Review
        fields = ["scope", "cadence"]


class ReviewViewSet(AccessViewSet):
    """Reviews you may see: of the strategy or a theme (anyone with a role), of a team or an
    objective subtree (who may see that team), and those you take part in."""

    queryset = Review.objects.prefetch_related("participants")
    serializer_class = ReviewSerializer
    filterset_class = ReviewFilter
    scope_lookup = None
    ordering_fields = ["name", "created_at"]
    ordering = ["name", "id"]

    @override
    def get_queryset(self):
        return (
            super()
            .get_queryset()
            .filter(pk__in=reviews_visible(access=self.access).values("pk"))
            .select_related("objective")
        )

    @override
    def may_write(self, access: Access, obj: Review, request) -> bool:
        team_id = obj.scope_team_id
        if obj.pk is None:
            return access.can_create_review() and (team_id is None or access.leads(team_id))
        return access.can_manage_review(obj) and (team_id is None or access.leads(team_id))

    @override
    def store(self, instance, data, *, created, version=None):
        if created:
            instance.owner = self.request.user
            strategy = strategy_current()
            if strategy is None:
                raise exceptions.ValidationError(
                    {"strategy": ["There is no strategy yet."]}, code="inconsistent"
                )
            instance.strategy = strategy
        participants = data.get("participants")
        ids = None if participants is None else [p.pk for p in participants]
        if created:
            ids = sorted({*(ids or []), self.request.user.pk})
        return services.review_save(review=instance, participant_ids=ids)

    @override
    def remove(self, instance):
        services.review_delete(review=instance)


class MeetingFilter(BaseFilterSet):
    """Query filters of ``/meetings/``: ``review`` (id), ``status`` and ``updated_since``."""

    review = IdFilter(field_name="review_id")

    class Meta:
        model = Meeting
        fields = ["status"]


class MeetingViewSet(AccessViewSet):
    """Meetings of the reviews you may see; who runs a review schedules, moves (a new
    ``starts_at``) and cancels (``status``: cancelled) its meetings."""

    queryset = Meeting.objects.select_related("review", "review__objective")
    serializer_class = MeetingSerializer
    filterset_class = MeetingFilter
    scope_lookup = None
    http_method_names = ["get", "post", "patch", "head", "options"]
    ordering_fields = ["starts_at"]
    ordering = ["-starts_at", "-id"]

    @override
    def get_queryset(self):
        return (
            super()
            .get_queryset()
            .filter(review_id__in=reviews_visible(access=self.access).values("pk"))
            .annotate(pack_id_value=F("pack__id"))
        )

    @override
    def may_write(self, access: Access, obj: Meeting, request) -> bool:
        return access.can_manage_review(obj.review)

    @override
    def before_update(self, instance):
        self._before = (instance.starts_at, instance.status)

    @override
    def store(self, instance, data, *, created, version=None):
        try:
            if created:
                instance.status = Meeting.Status.SCHEDULED
                instance.save()
                return instance
            starts_at, status = self._before
            new_start, new_status = instance.starts_at, instance.status
            instance.starts_at, instance.status = starts_at, status
            if new_status != status:
                if new_status != Meeting.Status.CANCELLED:
                    raise ValidationError({"status": "A meeting can only be cancelled here."})
                services.meeting_cancel(meeting=instance)
            if new_start != starts_at:
                services.meeting_move(meeting=instance, starts_at=new_start)
        except ValidationError as error:
            raise exceptions.ValidationError(error.message_dict, code="inconsistent") from error
        instance.pack_id_value = (
            Pack.objects.filter(meeting=instance).values_list("id", flat=True).first()
        )
        return instance


class PackFilter(BaseFilterSet):
    """Query filters of ``/packs/``: ``review`` and ``meeting`` (ids)."""

    review = IdFilter(field_name="review_id")
    meeting = IdFilter(field_name="meeting_id")

    class Meta:
        model = Pack
        fields: list[str] = []


def _plain_rows(section, names) -> list[dict]:
    rows = []
    for row in section.rows:
        out = {k: v for k, v in row.items() if not k.endswith("_html")}
        for name in TEXT_FIELDS:
            if name in out and not isinstance(out[name], str):
                out[name] = names.text(out[name])
        rows.append(out)
    return rows


class PackViewSet(ReadOnlyAccessViewSet):
    """Frozen packs of the reviews you may see, read-only. A pack's content is filtered for
    you as it is read: items of teams you may not see are left out and counted (``hidden``),
    texts name only what you may see."""

    queryset = Pack.objects.all()
    serializer_class = PackSerializer
    filterset_class = PackFilter
    scope_lookup = None
    ordering_fields = ["frozen_at"]
    ordering = ["-frozen_at", "-id"]

    @override
    def get_queryset(self):
        queryset = (
            super()
            .get_queryset()
            .filter(review_id__in=reviews_visible(access=self.access).values("pk"))
        )
        if self.action == "list":
            return queryset.defer("data")
        return queryset

    @override
    def get_serializer_class(self):
        return PackSummarySerializer if self.action == "list" else PackSerializer

    @override
    def list(self, request, *args, **kwargs):
        queryset = self.filter_queryset(self.get_queryset())
        page = self.paginate_queryset(
            queryset.only("id", "review_id", "meeting_id", "as_of", "frozen_at")
        )
        rows: list[dict[str, Any]] = [
            {
                "id": p.pk,
                "review": p.review_id,
                "meeting": p.meeting_id,
                "as_of": p.as_of,
                "frozen_at": p.frozen_at,
            }
            for p in cast(list[Pack], page)  # the API always paginates (PAGE_SIZE)
        ]
        scopes = dict(
            Pack.objects.filter(pk__in=[r["id"] for r in rows]).values_list("id", "data__scope")
        )
        for row in rows:
            row["scope"] = pack_scope_label(access=self.access, scope=scopes.get(row["id"]) or {})
        return self.get_paginated_response(PackSummarySerializer(rows, many=True).data)

    @override
    def retrieve(self, request, *args, **kwargs):
        pack = self.get_object()
        view = pack_read(pack=pack, access=self.access, previous=None)
        data = {
            "id": pack.pk,
            "review": pack.review_id,
            "meeting": pack.meeting_id,
            "as_of": pack.as_of,
            "frozen_at": pack.frozen_at,
            "scope": view.scope_label,
            "sections": [
                {
                    "kind": s.kind,
                    "title": s.title,
                    "rows": _plain_rows(s, view.names),
                    "hidden": s.hidden,
                }
                for s in view.sections
            ],
        }
        return Response(PackSerializer(data).data)

    @extend_schema(responses={200: PackDiffSerializer})
    @action(detail=True, methods=["get"], pagination_class=None, filter_backends=[])
    def diff(self, request, pk=None, format=None):
        """What changed since the previous pack of the same review, biggest first, computed
        from the two frozen packs (the first pack: what stands out)."""
        pack = self.get_object()
        view = pack_read(pack=pack, access=self.access)
        changes = [
            {
                "key": c["key"],
                "kind": c["kind"],
                "label": c["label"],
                "subject_type": c["subject"][0],
                "subject_id": c["subject"][1],
                "weight": c["weight"],
                "text": view.names.text(c["text"]),
                "url": c["url"],
            }
            for c in view.changes
        ]
        return Response(
            PackDiffSerializer(
                {
                    "pack": pack.pk,
                    "previous": view.previous.pk if view.previous else None,
                    "changes": changes,
                    "hidden": view.hidden_changes,
                }
            ).data
        )

    @extend_schema(
        responses={
            (200, "application/pdf"): OpenApiResponse(
                OpenApiTypes.BINARY, description="The pack as a PDF, filtered for you."
            ),
            (202, "application/json"): OpenApiResponse(
                PackPdfStatusSerializer,
                description="The PDF is being prepared by a worker: ask again after the "
                "seconds of the Retry-After header.",
            ),
            (404, "application/json"): ErrorSerializer,
            (503, "application/json"): OpenApiResponse(
                ErrorSerializer,
                description="PDF export is not installed on this server, or the PDF could "
                "not be made.",
            ),
        }
    )
    @action(
        detail=True,
        methods=["get"],
        pagination_class=None,
        filter_backends=[],
        renderer_classes=[PDFRenderer, renderers.JSONRenderer],
    )
    def pdf(self, request, pk=None, format=None):
        """The pack as a PDF: the pack page's template printed short and laid out by
        WeasyPrint, with what you may see (a private team's parts as one combined row). A
        worker makes it and it is stored: until it is ready the answer is 202 with its status
        (the first request starts it; readers who see the same share it)."""
        from django.http import JsonResponse

        from execsupport.pdf import weasyprint_module
        from reviews.models import PackPdf
        from reviews.pdf import pack_pdf_filename, pack_pdf_html, pack_pdf_request

        pack = self.get_object()
        try:
            weasyprint_module()
        except PdfUnavailable as exc:
            raise PdfExportUnavailable(detail=str(exc)) from exc
        job = pack_pdf_request(
            pack=pack, html=pack_pdf_html(pack=pack, user=request.user, access=self.access)
        )
        if job.status == PackPdf.Status.DONE:
            content = cast("bytes | memoryview", job.content)  # DONE: the content is set
            return pdf_response(bytes(content), filename=pack_pdf_filename(pack=pack))
        if job.status == PackPdf.Status.FAILED:
            raise PdfExportUnavailable(detail=f"The PDF could not be made: {job.error}")
        response = JsonResponse(
            PackPdfStatusSerializer(
                {"status": job.status, "detail": "The PDF is being prepared."}
            ).data,
            status=status.HTTP_202_ACCEPTED,
        )
        response["Retry-After"] = "5"
        return response


class PdfExportUnavailable(exceptions.APIException):
    """The 503 of ``/packs/{id}/pdf/`` when WeasyPrint is not installed or the PDF could not be
    made."""

    status_code = status.HTTP_503_SERVICE_UNAVAILABLE
    default_detail = "PDF export is not available on this server."
    default_code = "unavailable"


class DecisionFilter(BaseFilterSet):
    """Query filters of ``/decisions/``: ``meeting``, ``review`` (ids) and ``updated_since``."""

    meeting = IdFilter(field_name="meeting_id")
    review = IdFilter(field_name="meeting__review_id")

    class Meta:
        model = Decision
        fields: list[str] = []


class DecisionViewSet(AppendOnlyAccessViewSet):
    """Decisions of the meetings you may see, with the KPIs they concerned (value and status
    then and now) that you may see. Participants record them."""

    queryset = Decision.objects.select_related("meeting__review__objective")
    serializer_class = DecisionSerializer
    filterset_class = DecisionFilter
    scope_lookup = None
    extra_write_fields = ("kpis", "objectives", "initiatives")
    ordering_fields = ["created_at"]
    ordering = ["-created_at", "-id"]

    @override
    def get_queryset(self):
        return (
            super()
            .get_queryset()
            .filter(meeting__review_id__in=reviews_visible(access=self.access).values("pk"))
        )

    @override
    def decorate(self, objects):
        entries = decisions_with_movement(decisions=list(objects), access=self.access)
        for decision, entry in zip(objects, entries, strict=True):
            # The review's scope decides whether its decisions' texts are read.
            if not decision_text_shown(access=self.access, review=decision.meeting.review):
                decision.text = DECISION_HIDDEN
            decision.visible_subjects = entry["subjects"]
            decision.movement = [
                {"kpi": m["kpi"], "then": m["then"], "now": m["now"]} for m in entry["movement"]
            ]
        return objects

    @override
    def may_write(self, access: Access, obj: Decision, request) -> bool:
        review = obj.meeting.review
        return access.can_record_in_review(
            review, participant_ids=review.participants.values_list("pk", flat=True)
        )

    @override
    def store(self, instance, data, *, created, version=None):
        try:
            return services.decision_record(
                meeting=instance.meeting,
                text=instance.text,
                decided_by=instance.decided_by,
                recorded_by=self.request.user,
                kpi_ids=[k.pk for k in data.get("kpis") or []],
                objective_ids=[o.pk for o in data.get("objectives") or []],
                initiative_ids=[i.pk for i in data.get("initiatives") or []],
            )
        except ValidationError as error:
            raise exceptions.ValidationError(error.message_dict, code="inconsistent") from error


class ActionItemFilter(BaseFilterSet):
    """Query filters of ``/action-items/``: ``owner``, ``meeting``, ``review`` (ids), ``status`` and
    ``updated_since``."""

    owner = IdFilter(field_name="owner_id")
    meeting = IdFilter(field_name="meeting_id")
    review = IdFilter(field_name="meeting__review_id")

    class Meta:
        model = ActionItem
        fields = ["status"]


class ActionItemViewSet(AccessViewSet):
    """Action items you own, and those of the meetings you may see (of teams you may see).
    Participants record them in a meeting; their owner, leaders of their team and the strategy
    office close, drop or reopen them (``status``); one can be turned into an initiative."""

    queryset = ActionItem.objects.all()
    serializer_class = ActionItemSerializer
    filterset_class = ActionItemFilter
    scope_lookup = None
    http_method_names = ["get", "post", "patch", "head", "options"]
    ordering_fields = ["due_date", "created_at"]
    ordering = ["due_date", "id"]

    @override
    def get_queryset(self):
        access = self.access
        mine = Q(owner_id=self.request.user.pk) | Q(created_by_id=self.request.user.pk)
        shared = Q(meeting__review_id__in=reviews_visible(access=access).values("pk")) & (
            Q(team__isnull=True) | access.team_filter("team_id")
        )
        return super().get_queryset().filter(mine | shared)

    @override
    def may_write(self, access: Access, obj: ActionItem, request) -> bool:
        if obj.pk is None:
            if obj.meeting_id is not None:
                review = obj.meeting.review
                return access.can_record_in_review(
                    review, participant_ids=review.participants.values_list("pk", flat=True)
                )
            return access.can_contribute and (
                obj.owner_id == access.user_id or access.is_leader_anywhere
            )
        return access.can_update_action_item(obj)

    @override
    def before_update(self, instance):
        self._status = instance.status

    @override
    def store(self, instance, data, *, created, version=None):
        try:
            if created:
                return services.action_item_create(
                    title=instance.title,
                    owner=instance.owner,
                    due_date=instance.due_date,
                    note=instance.note,
                    team_id=instance.meeting.review.scope_team_id if instance.meeting_id else None,
                    meeting=instance.meeting,
                    created_by=self.request.user,
                )
            if instance.status != self._status:
                return services.action_item_set_status(
                    item=instance, status=instance.status, by=self.request.user
                )
            return services.action_item_save(item=instance, by=self.request.user)
        except ValidationError as error:
            raise exceptions.ValidationError(error.message_dict, code="inconsistent") from error

    @extend_schema(
        request=ToInitiativeSerializer,
        responses={201: ToInitiativeResultSerializer, 400: ErrorSerializer},
    )
    @action(detail=True, methods=["post"], url_path="to-initiative")
    def to_initiative(self, request, pk=None, format=None):
        """Turn the action item into a proposed initiative under an objective whose team you
        lead; the item is then done and points to it."""
        item = self.get_object()
        access = self.access
        body = ToInitiativeSerializer(data=request.data, context={"request": request})
        body.is_valid(raise_exception=True)
        objective = body.validated_data["objective"]
        if not access.can_update_action_item(item) or not access.can_create_objective_for(
            objective.team_id
        ):
            raise exceptions.PermissionDenied("Only leaders of the objective's team do this.")
        try:
            initiative = services.action_item_to_initiative(
                item=item, objective=objective, by=request.user
            )
        except ValidationError as error:
            raise exceptions.ValidationError(error.message_dict, code="inconsistent") from error
        return Response(
            ToInitiativeResultSerializer(
                {"initiative": initiative.pk, "action_item": item}, context={"request": request}
            ).data,
            status=201,
        )
