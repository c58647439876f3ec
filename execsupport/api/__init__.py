"""Plumbing shared by every API endpoint: errors, pagination, CSV, throttling, ETags, schema.

The rules of who may do what live in ``strategy.access`` (asked by ``strategy.permissions``);
nothing here decides a permission.

A package by concern, every name importable from ``execsupport.api`` as before (the settings
name its parser, pagination, throttles, exception handler and schema hook by these paths):
``errors`` (the error shape and the exception handler), ``parsing``, ``pagination``,
``csv_rendering``, ``throttling``, ``conditional`` (ETags, ``If-None-Match``, ``If-Match``),
``relations`` and ``schema``.
"""

from __future__ import annotations

from execsupport.api.conditional import (
    ENTITY_TAG,
    IF_MATCH_PATTERN,
    PreconditionFailed,
    etag_for,
    if_match_version,
    if_none_match,
    version_etag,
)
from execsupport.api.csv_rendering import (
    CSV_NAMED_COLUMNS,
    CSVRenderer,
    csv_cell_safe,
    csv_named_columns_add,
)
from execsupport.api.errors import (
    STATUS_CODES,
    ApiError,
    ErrorItemSerializer,
    ErrorSerializer,
    error_body,
    exception_handler,
)
from execsupport.api.pagination import (
    CursorPagination,
    KnownCountPaginator,
    PagePagination,
)
from execsupport.api.parsing import (
    JSON_MAX_BODY,
    JSONParser,
    TooLarge,
)
from execsupport.api.relations import (
    IdRelatedField,
)
from execsupport.api.schema import (
    ERROR_DESCRIPTIONS,
    ERROR_REF,
    ETAG_HEADER,
    IF_MATCH,
    schema_postprocess,
)
from execsupport.api.throttling import (
    AnonRateThrottle,
    TokenRateThrottle,
    UserRateThrottle,
)
from execsupport.validation import ID_REGEX, MAX_ID, validate_id

__all__ = [
    "CSV_NAMED_COLUMNS",
    "ENTITY_TAG",
    "ERROR_DESCRIPTIONS",
    "ERROR_REF",
    "ETAG_HEADER",
    "ID_REGEX",
    "IF_MATCH",
    "IF_MATCH_PATTERN",
    "JSON_MAX_BODY",
    "MAX_ID",
    "STATUS_CODES",
    "AnonRateThrottle",
    "ApiError",
    "CSVRenderer",
    "CursorPagination",
    "ErrorItemSerializer",
    "ErrorSerializer",
    "IdRelatedField",
    "JSONParser",
    "KnownCountPaginator",
    "PagePagination",
    "PreconditionFailed",
    "TokenRateThrottle",
    "TooLarge",
    "UserRateThrottle",
    "csv_cell_safe",
    "csv_named_columns_add",
    "error_body",
    "etag_for",
    "exception_handler",
    "if_match_version",
    "if_none_match",
    "schema_postprocess",
    "validate_id",
    "version_etag",
]
