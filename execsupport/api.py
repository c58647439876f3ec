"""Plumbing shared by every API endpoint: errors, pagination, CSV, throttling, ETags, schema.

The rules of who may do what live in ``strategy.access`` (asked by ``strategy.permissions``);
nothing here decides a permission.
"""

from __future__ import annotations

import copy
import csv
import hashlib
import io
import re
from collections.abc import Iterable
from functools import partial
from typing import Any

import orjson
from django.conf import settings
from django.core.exceptions import ValidationError as DjangoValidationError
from django.core.paginator import Paginator
from django.db import IntegrityError, models
from django.db.models import ProtectedError, RestrictedError
from django.http import Http404
from rest_framework import (
    exceptions,
    pagination,
    parsers,
    renderers,
    serializers,
    status,
    throttling,
)
from rest_framework.request import Request
from rest_framework.response import Response
from typing_extensions import override

from execsupport.client_ip import client_ip
from execsupport.concurrency import VersionConflict
from execsupport.validation import ID_REGEX, MAX_ID, validate_id  # noqa: F401 (re-exported)

STATUS_CODES = {
    400: "invalid",
    401: "not_authenticated",
    403: "permission_denied",
    404: "not_found",
    405: "method_not_allowed",
    406: "not_acceptable",
    409: "conflict",
    412: "precondition_failed",
    413: "too_large",
    415: "unsupported_media_type",
    429: "throttled",
}


# --- errors -----------------------------------------------------------------------------------
class ErrorItemSerializer(serializers.Serializer):
    """One item of an error response's ``errors``: the field (dotted path), the batch row if any, a
    code and a message."""

    field = serializers.CharField(
        help_text="Dotted path of the offending field ('' for the whole request)."
    )
    index = serializers.IntegerField(
        required=False, help_text="Row index in a batch, when the error is about one row."
    )
    code = serializers.CharField()
    message = serializers.CharField()


class ErrorSerializer(serializers.Serializer):
    """The one shape of every error response."""

    status = serializers.IntegerField()
    code = serializers.CharField(help_text="Machine-readable, e.g. 'invalid' or 'not_found'.")
    detail = serializers.CharField(help_text="One human sentence.")
    errors = ErrorItemSerializer(many=True)  # type: ignore[assignment]  # a field: DRF's metaclass takes it off the class, Serializer.errors stays


def error_body(
    *, status_code: int, detail: str, code: str | None = None, errors: list | None = None
) -> dict:
    """The body of an error response (``ErrorSerializer``'s shape); ``code`` defaults to the
    status's code."""
    return {
        "status": status_code,
        "code": code or STATUS_CODES.get(status_code, "error"),
        "detail": detail,
        "errors": errors or [],
    }


def _flatten(detail: Any, path: str = "") -> list[dict]:
    """DRF's nested error detail as a flat list of ``{field, code, message}``."""
    items: list[dict] = []
    if isinstance(detail, dict):
        for key, value in detail.items():
            name = "" if key in ("non_field_errors", "__all__") else str(key)
            items.extend(_flatten(value, f"{path}.{name}" if path and name else path or name))
    elif isinstance(detail, list):
        for position, value in enumerate(detail):
            if isinstance(value, dict | list):
                items.extend(_flatten(value, f"{path}.{position}" if path else str(position)))
            else:
                items.extend(_flatten(value, path))
    else:
        code = getattr(detail, "code", None) or "invalid"
        items.append({"field": path, "code": str(code), "message": str(detail)})
    return items


def _django_detail(error: DjangoValidationError) -> dict[str, list[exceptions.ErrorDetail]]:
    """A Django ``ValidationError`` as DRF's detail, keeping each message's ``code`` (e.g.
    ``inconsistent``), which ``message_dict`` drops."""
    by_field = error.error_dict if hasattr(error, "error_dict") else {"": error.error_list}
    return {
        field: [
            exceptions.ErrorDetail(
                str(item.message % item.params if item.params else item.message),
                code=item.code or "invalid",
            )
            for item in items
        ]
        for field, items in by_field.items()
    }


class ApiError(exceptions.APIException):
    """An error whose full body (``error_body``) the view has built, e.g. a batch's row errors."""

    def __init__(self, *, status_code: int, detail: str, errors: list | None = None):
        super().__init__(detail=detail)
        self.status_code = status_code
        self.body = error_body(status_code=status_code, detail=detail, errors=errors)


def _render_as_json(context: dict) -> None:
    """Errors are JSON whatever was asked (a CSV of an error helps no one)."""
    request = context.get("request")
    if request is not None:
        request.accepted_renderer = renderers.JSONRenderer()
        request.accepted_media_type = "application/json"


def exception_handler(exc: Exception, context: dict) -> Response | None:
    """Every error in one shape (``ErrorSerializer``), with field-level detail."""
    from rest_framework.views import exception_handler as drf_exception_handler

    if isinstance(exc, DjangoValidationError):
        exc = exceptions.ValidationError(detail=_django_detail(exc))
    elif isinstance(exc, ProtectedError | RestrictedError):
        _render_as_json(context)
        return Response(
            error_body(
                status_code=409,
                detail="Other records still refer to this one; remove or move them first.",
            ),
            status=status.HTTP_409_CONFLICT,
        )
    elif isinstance(exc, IntegrityError):
        _render_as_json(context)
        return Response(
            error_body(status_code=409, detail="This conflicts with existing data."),
            status=status.HTTP_409_CONFLICT,
        )
    elif isinstance(exc, Http404):
        exc = exceptions.NotFound()
    elif isinstance(exc, VersionConflict):
        current = exc.current
        exc = PreconditionFailed(
            etag=None if current is None else version_etag(pk=exc.instance.pk, version=current),
            version=current,
            noun=str(exc.instance._meta.verbose_name),
        )
    response = drf_exception_handler(exc, context)
    if response is None:
        return None
    if isinstance(exc, PreconditionFailed) and exc.etag:
        response["ETag"] = exc.etag  # the current version, to read again or retry with
    _render_as_json(context)
    if isinstance(exc, ApiError):
        response.data = exc.body
    elif isinstance(exc, exceptions.ValidationError):
        errors = _flatten(exc.detail)
        detail = "Some fields are invalid." if errors else "The request is invalid."
        response.data = error_body(status_code=400, detail=detail, errors=errors)
    else:
        message = exc.detail if isinstance(exc, exceptions.APIException) else str(exc)
        if isinstance(message, list | dict):
            errors = _flatten(message)
            message = errors[0]["message"] if errors else "Error."
        code = getattr(exc, "default_code", None)
        code = STATUS_CODES.get(response.status_code, code or "error")
        response.data = error_body(status_code=response.status_code, detail=str(message), code=code)
    return response


# --- parsing ----------------------------------------------------------------------------------
JSON_MAX_BODY = 16 * 1024 * 1024  # a full ingest batch (API_INGEST_MAX_ROWS rows) fits


class TooLarge(exceptions.APIException):
    """413: the request body is larger than the parser reads (``JSON_MAX_BODY``)."""

    status_code = status.HTTP_413_REQUEST_ENTITY_TOO_LARGE
    default_detail = "The request body is too large."
    default_code = "too_large"


class JSONParser(parsers.BaseParser):
    """Every JSON request body of the API, parsed with orjson (``DEFAULT_PARSER_CLASSES``).

    One parser for every endpoint, so hostile bodies get one answer everywhere: nesting deeper
    than 1024 levels (the standard library's parser recurses until Python's stack limit and
    raised ``RecursionError``: a 500), NaN and Infinity (not JSON), numbers too large for a
    double, and invalid UTF-8 are a 400; a body over ``JSON_MAX_BODY`` is a 413. Several times
    faster than the standard library on big batches, too."""

    media_type = "application/json"

    @override
    def parse(self, stream, media_type=None, parser_context=None):
        if stream is None:
            return None
        body = stream.read(JSON_MAX_BODY + 1)
        if len(body) > JSON_MAX_BODY:
            raise TooLarge(f"At most {JSON_MAX_BODY // (1024 * 1024)} MB per request.")
        try:
            return orjson.loads(body)
        except orjson.JSONDecodeError as exc:
            raise exceptions.ParseError(f"Invalid JSON: {exc}") from None


# --- pagination -------------------------------------------------------------------------------
class KnownCountPaginator(Paginator):
    """A paginator told the number of rows, which it would otherwise count with a query."""

    def __init__(self, *args, count: int, **kwargs):
        super().__init__(*args, **kwargs)
        self.count = count  # replaces the cached property, so no COUNT query runs


class PagePagination(pagination.PageNumberPagination):
    """The API's page-number pagination: ``page_size`` up to 500; no COUNT query when the view
    already counted (``list_count``)."""

    page_size_query_param = "page_size"
    max_page_size = 500

    @override
    def paginate_queryset(self, queryset, request, view=None):
        count = getattr(view, "list_count", None)
        if count is not None:
            self.django_paginator_class = partial(KnownCountPaginator, count=count)  # type: ignore[assignment]  # DRF only calls it
        return super().paginate_queryset(queryset, request, view)


class CursorPagination(pagination.CursorPagination):
    """Stable under inserts: used for measurements and score history, which only grow."""

    page_size_query_param = "page_size"
    max_page_size = 1000
    ordering = "-id"


# --- CSV --------------------------------------------------------------------------------------
def _flat_row(value: Any, prefix: str = "") -> dict[str, Any]:
    if isinstance(value, dict):
        row: dict[str, Any] = {}
        for key, inner in value.items():
            row.update(_flat_row(inner, f"{prefix}.{key}" if prefix else str(key)))
        return row
    if isinstance(value, list):
        return {prefix: "; ".join(str(v) for v in value if not isinstance(v, dict | list))}
    return {prefix: value}


def csv_cell_safe(value: Any) -> Any:
    """Cells starting with = + - @ are formulas to spreadsheets: quote them (CSV injection)."""
    if value is None:
        return ""
    if isinstance(value, str) and value[:1] in ("=", "+", "-", "@", "\t", "\r"):
        try:
            float(value)
        except ValueError:
            return "'" + value
    return value


# Model -> ``(queryset, access) -> {id: {column: value}}``: the columns naming people, teams,
# themes and parents that the API's CSV of that model's lists gains next to its ids. Filled by
# the sheets app (``sheets.apps``) from its sheets' column definitions, shared with the pages'
# exports; a model not in it keeps its CSV as it is.
CSV_NAMED_COLUMNS: dict[type[models.Model], Any] = {}


def csv_named_columns_add(*, rows: Iterable[dict], model: type[models.Model], access) -> None:
    """Add the named columns of ``CSV_NAMED_COLUMNS[model]`` to each row (a dict with ``id``)
    in place, for this reader (``strategy.access``: a hidden parent stays unnamed); a column
    the row has already is left alone. One query (two for alerts) whatever the number of
    rows; nothing for a model with no named columns."""
    named_for = CSV_NAMED_COLUMNS.get(model)
    rows = [row for row in rows if isinstance(row, dict) and row.get("id") is not None]
    if named_for is None or not rows:
        return
    named = named_for(model._default_manager.filter(pk__in=[r["id"] for r in rows]), access)
    for row in rows:
        for column, value in named.get(row["id"], {}).items():
            row.setdefault(column, value)


class CSVRenderer(renderers.BaseRenderer):
    """One row per result, nested objects flattened to dotted columns (``latest_score.status``),
    UTF-8 with a byte-order mark; lists gain named columns (``csv_named_columns_add``).

    Written on the standard ``csv`` module: djangorestframework-csv has had one release in five
    years and pins nothing we can rely on; this is 40 lines we own and test.
    """

    media_type = "text/csv"
    format = "csv"
    charset = "utf-8"

    @override
    def render(self, data: Any, accepted_media_type=None, renderer_context=None) -> bytes:
        if data is None:
            return b""
        if isinstance(data, dict) and "results" in data and isinstance(data["results"], list):
            rows = data["results"]
        elif isinstance(data, list):
            rows = data
        else:
            rows = [data]
        flat = [_flat_row(row) if isinstance(row, dict) else {"value": row} for row in rows]
        header: dict[str, None] = {}
        for row in flat:
            header.update(dict.fromkeys(row))
        buffer = io.StringIO()
        # A byte-order mark, so that Excel on Windows reads UTF-8 ("ÄÖÜ"), as the pages' exports.
        buffer.write("\ufeff")
        writer = csv.DictWriter(buffer, fieldnames=list(header), lineterminator="\r\n")
        writer.writeheader()
        for row in flat:
            writer.writerow({key: csv_cell_safe(value) for key, value in row.items()})
        response = (renderer_context or {}).get("response")
        view = (renderer_context or {}).get("view")
        if response is not None and view is not None and response.status_code < 400:
            name = getattr(view, "basename", None) or "export"
            response["Content-Disposition"] = f'attachment; filename="{name}.csv"'
        return buffer.getvalue().encode(self.charset)


# --- throttling -------------------------------------------------------------------------------
class _SettingsRateMixin:
    setting_name = ""

    def get_rate(self) -> str:
        # Read on each request (not at import) so deployments and tests can change it.
        return getattr(settings, self.setting_name)

    def get_ident(self, request) -> str:
        """The client's address from the one resolver (``TRUSTED_PROXY_COUNT``). DRF's own
        reads ``NUM_PROXIES``, and by default keys on the whole ``X-Forwarded-For`` header, so
        a client could buy a fresh allowance per made-up header."""
        return client_ip(request) or "unknown"


class TokenRateThrottle(_SettingsRateMixin, throttling.SimpleRateThrottle):
    """Per API token: one integration cannot starve the others of the same person."""

    scope = "token"
    setting_name = "API_THROTTLE_TOKEN"

    @override
    def get_cache_key(self, request: Request, view) -> str | None:
        token = getattr(request, "auth", None)
        if token is None or not hasattr(token, "digest"):
            return None
        return self.cache_format % {"scope": self.scope, "ident": token.digest[:32]}


class UserRateThrottle(_SettingsRateMixin, throttling.SimpleRateThrottle):
    """Per person, whatever the credential: tokens never multiply a person's allowance."""

    scope = "user"
    setting_name = "API_THROTTLE_USER"

    @override
    def get_cache_key(self, request: Request, view) -> str | None:
        if not request.user or not request.user.is_authenticated:
            return None
        return self.cache_format % {"scope": self.scope, "ident": request.user.pk}


class AnonRateThrottle(_SettingsRateMixin, throttling.AnonRateThrottle):
    """Per client address, for requests without a signed-in person (rate: ``API_THROTTLE_ANON``)."""

    setting_name = "API_THROTTLE_ANON"


# --- conditional GET --------------------------------------------------------------------------
def etag_for(*, request: Request, parts: Iterable[Any]) -> str:
    """A weak ETag over the data version and everything that shapes the response."""
    digest = hashlib.sha256()
    for part in (
        request.get_full_path(),
        request.user.pk,
        request.accepted_media_type if hasattr(request, "accepted_media_type") else "",
        *parts,
    ):
        digest.update(repr(part).encode())
        digest.update(b"\0")
    return f'W/"{digest.hexdigest()[:32]}"'


def if_none_match(request: Request, etag: str) -> bool:
    """True if the request's ``If-None-Match`` names this ETag (weak or strong) or is ``*``."""
    header = request.headers.get("If-None-Match", "")
    if not header:
        return False
    if header.strip() == "*":
        return True
    wanted = {tag.strip().removeprefix("W/") for tag in header.split(",")}
    return etag.removeprefix("W/") in wanted


# --- optimistic concurrency (ETag / If-Match on one object) -----------------------------------
def version_etag(*, pk: Any, version: int) -> str:
    """The ETag of an object's version: strong, ``"<id>.<version>"``.

    It names the version of the object's own fields (raised at each save), not the bytes of a
    response: the latest score shown beside them changes without a new version, and a PATCH
    that sends it in ``If-Match`` must not fail because a score was recomputed meanwhile."""
    return f'"{pk}.{version}"'


# RFC 9110 8.8.3: entity-tag = [ "W/" ] DQUOTE *etagc DQUOTE; If-Match = "*" / #entity-tag.
ENTITY_TAG = r'(?:W/)?"[!#-~]*"'
IF_MATCH_PATTERN = rf"^(?:\*|{ENTITY_TAG}(?:[ \t]*,[ \t]*{ENTITY_TAG})*)$"
_IF_MATCH = re.compile(IF_MATCH_PATTERN)
_ENTITY_TAGS = re.compile(ENTITY_TAG)


def if_match_version(request: Request, *, instance: models.Model) -> int | None:
    """The version a write must find, from the request's ``If-Match``.

    ``None``: no header, or ``*`` (any current version); the write is not guarded. The
    current ``version`` when one of the listed tags names it (a weak ``W/`` tag, as a
    compressing proxy may hand out, counts as the same version). Raises ``ValidationError``
    (400) when the header is not a list of entity tags (``IF_MATCH_PATTERN``: an unquoted
    version, say), whatever the version, and ``PreconditionFailed`` (412) when no tag names
    the current version: the client read an older version.
    """
    header = request.headers.get("If-Match")
    if header is None:
        return None
    if not _IF_MATCH.match(header):
        raise exceptions.ValidationError(
            {
                "If-Match": [
                    "The If-Match header is malformed: send the ETag exactly as it was "
                    'received, quotes included (e.g. "12.3"), several separated by commas, '
                    "or *."
                ]
            }
        )
    if header == "*" or not hasattr(instance, "version"):
        return None
    version = instance.version
    current = version_etag(pk=instance.pk, version=version)
    tags = {tag.removeprefix("W/") for tag in _ENTITY_TAGS.findall(header)}
    if current in tags:
        return version
    raise PreconditionFailed(etag=current, version=version, noun=str(instance._meta.verbose_name))


class PreconditionFailed(exceptions.APIException):
    """412: the object is no longer at the version the client read (``If-Match``)."""

    status_code = status.HTTP_412_PRECONDITION_FAILED
    default_code = "precondition_failed"

    def __init__(self, *, etag: str | None, version: int | None, noun: str = "object"):
        if version is None:
            detail = f"This {noun} was deleted by someone else since you read it."
        else:
            detail = (
                f"This {noun} was changed by someone else since you read it: it is now at "
                f"version {version} (ETag {etag}), which your If-Match does not name. Nothing "
                "was written. Read it again (GET), reapply your change and send the new ETag."
            )
        super().__init__(detail=detail)
        self.etag = etag


# --- relations --------------------------------------------------------------------------------
class IdRelatedField(serializers.PrimaryKeyRelatedField):
    """A primary-key relation that refuses out-of-range ids instead of crashing the database."""

    @override
    def to_internal_value(self, data):
        if isinstance(data, bool) or not isinstance(data, int | str):
            self.fail("incorrect_type", data_type=type(data).__name__)
        try:
            number = int(data)
        except (TypeError, ValueError):
            self.fail("incorrect_type", data_type=type(data).__name__)
        try:
            validate_id(number)
        except DjangoValidationError:
            self.fail("does_not_exist", pk_value=data)
        return super().to_internal_value(number)


# --- schema -----------------------------------------------------------------------------------
ERROR_REF = {"$ref": "#/components/schemas/Error"}
ERROR_DESCRIPTIONS = {
    "400": "Invalid input; `errors` lists every field (and row index) at fault.",
    "401": "No valid credentials.",
    "403": "Signed in but not allowed (role or token scope).",
    "404": "No such object, or not visible to you.",
    "405": "Method not allowed here.",
    "406": "The Accept header asks for a format this endpoint does not produce.",
    "409": "Conflicts with existing data (e.g. still referenced).",
    "412": "The object was saved by someone else since the version If-Match names.",
    "415": "Unsupported request content type.",
    "429": "Too many requests; retry after the number of seconds in Retry-After.",
}


def schema_postprocess(result: dict, generator, request, public) -> dict:
    """Document the shared error responses on every operation, and links between operations."""
    from execsupport.openapi import describe_csv  # drf-spectacular imports DRF's settings

    components = result.setdefault("components", {}).setdefault("schemas", {})
    if "Error" not in components:
        components["ErrorItem"] = {
            "type": "object",
            "properties": {
                "field": {"type": "string"},
                "index": {"type": "integer"},
                "code": {"type": "string"},
                "message": {"type": "string"},
            },
            "required": ["field", "code", "message"],
        }
        components["Error"] = {
            "type": "object",
            "properties": {
                "status": {"type": "integer"},
                "code": {"type": "string"},
                "detail": {"type": "string"},
                "errors": {"type": "array", "items": {"$ref": "#/components/schemas/ErrorItem"}},
            },
            "required": ["status", "code", "detail", "errors"],
        }
    paths = result.get("paths", {})
    for path, operations in paths.items():
        for method, operation in operations.items():
            if method not in ("get", "post", "put", "patch", "delete"):
                continue
            responses = operation.setdefault("responses", {})
            codes = ["400", "401", "403", "404", "405", "406", "415", "429"]
            if method == "delete":
                codes.append("409")
            for code in codes:
                if code not in responses:
                    responses[code] = {
                        "content": {"application/json": {"schema": ERROR_REF}},
                        "description": ERROR_DESCRIPTIONS[code],
                    }
            if method == "get" and "{" not in path and "304" not in responses:
                responses["304"] = {"description": "Not modified (If-None-Match matched)."}
    _add_versioning(paths)
    _add_links(paths)
    describe_csv(paths)
    return result


ETAG_HEADER = {
    "ETag": {
        "description": 'The version of the object, `"<id>.<version>"`: send it in If-Match '
        "when changing the object.",
        "schema": {"type": "string"},
    }
}
IF_MATCH = {
    "in": "header",
    "name": "If-Match",
    "required": False,
    "description": "The ETag of the version you read (or `*`): if the object was saved since, "
    "nothing is written and the answer is 412. Without it the change is written whatever the "
    "version (only the fields sent). A header that is not a list of quoted ETags is a 400.",
    "schema": {"type": "string", "pattern": IF_MATCH_PATTERN},
}


def _add_versioning(paths: dict) -> None:
    """Objects that can be changed (a PATCH on their path) are versioned (``VersionedModel``):
    document the ETag of their responses, If-Match on the PATCH and its 412."""
    for path, operations in paths.items():
        if "{" not in path or "patch" not in operations:
            continue
        patch = operations["patch"]
        parameters = patch.setdefault("parameters", [])
        if not any(p.get("name") == "If-Match" for p in parameters):
            parameters.append(copy.deepcopy(IF_MATCH))
        patch["responses"]["412"] = {
            "content": {"application/json": {"schema": ERROR_REF}},
            "description": "The object was saved by someone else since the version If-Match "
            "names; nothing was written. The ETag header gives the current version.",
            "headers": copy.deepcopy(ETAG_HEADER),
        }
        collection = path[: path.rstrip("/").rfind("/") + 1]
        for operation, code in (
            (patch, "200"),
            (operations.get("get"), "200"),
            (paths.get(collection, {}).get("post"), "201"),
        ):
            response = (operation or {}).get("responses", {}).get(code)
            if response is not None:
                response.setdefault("headers", {}).update(copy.deepcopy(ETAG_HEADER))


def _add_links(paths: dict) -> None:
    """OpenAPI links from each create to the retrieve/update/delete of what it created, so
    stateful tests (schemathesis) can follow them."""
    for path, operations in paths.items():
        create = operations.get("post")
        if not create or "{" in path:
            continue
        item_paths = [
            p
            for p in paths
            if p.startswith(path) and p[len(path) :].count("/") == 1 and p.endswith("}/")
        ]
        if not item_paths:
            continue
        item_path = item_paths[0]
        param = item_path[len(path) :].strip("/{}")
        created = create.get("responses", {}).get("201")
        if not created:
            continue
        links = created.setdefault("links", {})
        for method, verb in (("get", "Get"), ("patch", "Update"), ("delete", "Delete")):
            target = paths[item_path].get(method)
            if target and "operationId" in target:
                links[f"{verb}Created"] = {
                    "operationId": target["operationId"],
                    "parameters": {param: f"$response.body#/{'key' if param == 'key' else 'id'}"},
                }
