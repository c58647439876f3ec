"""The API of packs: read-only, rendered for the reader, with their diff and their PDF."""

from __future__ import annotations

from typing import Any, cast

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import exceptions, renderers, status
from rest_framework.decorators import action
from rest_framework.response import Response
from typing_extensions import override

from execsupport.api import ErrorSerializer
from execsupport.pdf import PDFRenderer, PdfUnavailable, pdf_response
from execsupport.viewsets import BaseFilterSet, IdFilter
from metrics.viewsets import ReadOnlyAccessViewSet
from reviews.models import Pack
from reviews.selectors import (
    pack_read,
    pack_scope_label,
    reviews_visible,
)
from reviews.serializers import (
    PackDiffSerializer,
    PackPdfStatusSerializer,
    PackSerializer,
    PackSummarySerializer,
)

TEXT_FIELDS = ("reason", "title", "message")


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
