"""Errors: the one error shape of every answer (``Error``) and the exception handler that
turns Django's, DRF's and the database's exceptions into it.
"""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import IntegrityError
from django.db.models import ProtectedError, RestrictedError
from django.http import Http404
from rest_framework import (
    exceptions,
    renderers,
    serializers,
    status,
)
from rest_framework.response import Response

from execsupport.api.conditional import PreconditionFailed, version_etag
from execsupport.concurrency import VersionConflict

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
