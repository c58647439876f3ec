"""The plan import through the API: ``POST /api/v1/plan-import/`` with a multipart ``file``
(.xlsx or .csv) answers the preview as JSON; ``?apply=1`` applies it (all or nothing)."""

from __future__ import annotations

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import (
    OpenApiParameter,
    OpenApiRequest,
    OpenApiResponse,
    extend_schema,
)
from rest_framework import serializers, viewsets
from rest_framework.parsers import MultiPartParser
from rest_framework.response import Response
from typing_extensions import override

from execsupport.api import ApiError, ErrorSerializer
from sheets.forms import IMPORT_MAX_BYTES
from sheets.plan_import import plan_import
from sheets.reading import FileUnreadable
from sheets.views import import_allowed

# The file's media types (the part's Content-Type in the schema): a schema cannot tell a
# readable workbook or CSV from other bytes, so an unreadable file is a 400 ``unreadable``.
PLAN_MEDIA_TYPES = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet, text/csv"


class ImportUploadSerializer(serializers.Serializer):
    """The body of ``POST /plan-import/``: the multipart ``file``."""

    file = serializers.FileField(help_text="The plan file: .xlsx (the template's sheets) or .csv.")


class ImportRowSerializer(serializers.Serializer):
    """One row of a sheet in the import report, with what the import does (or did) to it."""

    row = serializers.IntegerField(help_text="Row number as the spreadsheet shows it.")
    key = serializers.CharField(
        help_text="The row's key (milestones, check-ins, measurements: a label)."
    )
    action = serializers.ChoiceField(choices=["created", "updated", "unchanged"])
    value = serializers.FloatField(required=False, help_text="Measurements: the value.")


class ImportSheetSerializer(serializers.Serializer):
    """One sheet in the import report: counts of rows created, updated and unchanged, the rows, and
    the columns it did not know (ignored)."""

    sheet = serializers.CharField()
    created = serializers.IntegerField()
    updated = serializers.IntegerField()
    unchanged = serializers.IntegerField()
    rows = ImportRowSerializer(many=True, help_text="Each row (at most the first 5,000).")
    ignored_columns = serializers.ListField(child=serializers.CharField())


class ImportErrorSerializer(serializers.Serializer):
    """A bad row (or cell, ``column``) of the file; any one of them stops the whole import."""

    sheet = serializers.CharField()
    row = serializers.IntegerField()
    column = serializers.CharField(help_text="'' when about the whole row.")
    code = serializers.CharField(
        help_text="e.g. unknown_person, parent_not_found, cycle, spreadsheet_error, "
        "formula_without_result."
    )
    message = serializers.CharField()


class ImportFlagSerializer(serializers.Serializer):
    """A measurement far outside its KPI's recent range: accepted, but shown for a second look."""

    sheet = serializers.CharField()
    row = serializers.IntegerField()
    kpi = serializers.CharField()
    as_of = serializers.DateField()
    value = serializers.FloatField()
    reason = serializers.CharField()


class ImportReportSerializer(serializers.Serializer):
    """What the file does (the preview), or did (``applied``)."""

    filename = serializers.CharField()
    applied = serializers.BooleanField()
    ok = serializers.BooleanField(help_text="No bad row.")
    sheets = ImportSheetSerializer(many=True)
    errors = ImportErrorSerializer(many=True)  # type: ignore[assignment]  # a field: DRF's metaclass takes it off the class, Serializer.errors stays
    implausible = ImportFlagSerializer(
        many=True, help_text="Measurements far outside their KPI's recent range (accepted)."
    )


class PlanImportViewSet(viewsets.GenericViewSet):
    """Import of objectives, initiatives, KPIs, milestones, measurements and check-ins from a
    spreadsheet (strategy office and team leaders, each row within their rights)."""

    parser_classes = [MultiPartParser]
    serializer_class = ImportUploadSerializer
    pagination_class = None
    filter_backends: list = []

    @staticmethod
    def may_use(access, request) -> bool:
        """Who may import (``strategy.permissions.AccessPermission`` asks it): the strategy office
        and team leaders (``sheets.views.import_allowed``)."""
        return import_allowed(access)

    @override
    def get_queryset(self):  # no model behind it; DRF's router asks
        return None

    @extend_schema(
        request={
            "multipart/form-data": OpenApiRequest(
                ImportUploadSerializer, encoding={"file": {"contentType": PLAN_MEDIA_TYPES}}
            )
        },
        parameters=[
            OpenApiParameter(
                "apply",
                OpenApiTypes.STR,
                enum=["0", "1"],
                description="1: apply the file (all or nothing); else a preview.",
            )
        ],
        responses={
            200: ImportReportSerializer,
            400: OpenApiResponse(
                ErrorSerializer,
                description="No readable file, or (apply) bad rows: each with its sheet and "
                "column as field, its row number as index; nothing was written.",
            ),
            409: OpenApiResponse(
                ErrorSerializer,
                description="(apply) The plan changed since this person's preview of the same "
                "file (code changed_since_preview): nothing was written; preview it again.",
            ),
        },
    )
    def create(self, request, *args, **kwargs):
        """Preview (default) or apply (``?apply=1``) a plan file. A preview lists what each
        sheet creates, updates and leaves alone, and every bad row; applying a file with a bad
        row answers 400 with them all and writes nothing."""
        apply = request.query_params.get("apply") == "1"
        upload = request.data.get("file") if hasattr(request.data, "get") else None
        if upload is None or isinstance(upload, str):
            raise ApiError(
                status_code=400,
                detail="Send the plan file as the multipart field 'file'.",
                errors=[{"field": "file", "code": "required", "message": "Send a file."}],
            )
        if upload.size > IMPORT_MAX_BYTES:
            raise ApiError(
                status_code=400,
                detail="The file is too large.",
                errors=[{"field": "file", "code": "too_large", "message": "Split the file."}],
            )
        try:
            report = plan_import(
                stream=upload, filename=upload.name or "", user=request.user, apply=apply
            )
        except FileUnreadable as error:
            raise ApiError(
                status_code=400,
                detail=str(error),
                errors=[{"field": "file", "code": "unreadable", "message": str(error)}],
            ) from None
        if report.changed_since_preview:
            raise ApiError(
                status_code=409,
                detail=report.errors[0].message,
                errors=[
                    {"field": "file", "code": e.code, "message": e.message} for e in report.errors
                ],
            )
        if apply and not report.ok:
            raise ApiError(
                status_code=400,
                detail=f"Nothing was imported: {len(report.errors)} error(s).",
                errors=[
                    {
                        "field": f"{e.sheet}.{e.column}" if e.column else e.sheet,
                        "index": e.row,
                        "code": e.code,
                        "message": e.message,
                    }
                    for e in report.errors
                ],
            )
        return Response(ImportReportSerializer(report.as_dict()).data)
