"""Strict query parameters: what a list's URL may carry, checked in one place.

Django-filter, DRF's ordering filter and its paginators forgive bad query values: an empty
``?updated_since=`` or ``?kpi=`` filters nothing, ``?page_size=null`` or ``0`` falls back to
the default size, ``?ordering=nonsense`` is ignored and an empty ``?format=`` picks JSON. A
client with a typo then reads a full, unfiltered answer and believes it. Here every declared
parameter of a list (its filters, ``ordering``, ``page``, ``page_size``, ``cursor``) and
``format`` on every endpoint is parsed strictly: an empty or invalid value is a 400 naming the
parameter (``errors[].field``), before any query runs. Parameters a list does not declare are
ignored, as HTTP intermediaries and cache busters add their own.

The OpenAPI schema (``execsupport.openapi``) describes the same rules from the same sources.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import cast

from django_filters import filters as django_filters
from django_filters.rest_framework import DjangoFilterBackend
from rest_framework import exceptions, filters, pagination
from rest_framework.negotiation import DefaultContentNegotiation
from rest_framework.settings import api_settings
from typing_extensions import override

# Booleans in a query string are spelled as in JSON.
BOOLEAN_VALUES = ("true", "false")
# The largest page number worth parsing (a page past the last one is a 404).
MAX_PAGE = 10**9


@dataclass(frozen=True)
class QueryParameter:
    """One query parameter a list declares: ``kind`` is ``filter``, ``boolean``, ``ordering``,
    ``page``, ``page_size`` or ``cursor``; ``choices`` the ordering fields; ``maximum`` the
    largest page size."""

    name: str
    kind: str
    choices: tuple[str, ...] = ()
    maximum: int | None = None


def list_parameters(view) -> Iterator[QueryParameter]:
    """The query parameters a list endpoint declares (its filters, ordering and pagination),
    the same ones its OpenAPI operation lists."""
    for backend_class in getattr(view, "filter_backends", ()):
        backend = backend_class()
        if isinstance(backend, DjangoFilterBackend):
            queryset = getattr(view, "queryset", None)
            if queryset is None:
                queryset = view.get_queryset()
            filterset_class = backend.get_filterset_class(view, queryset.none())
            for name, declared in (filterset_class.base_filters if filterset_class else {}).items():
                kind = "boolean" if isinstance(declared, django_filters.BooleanFilter) else "filter"
                yield QueryParameter(name=name, kind=kind)
        elif isinstance(backend, filters.OrderingFilter):
            fields = ordering_choices(view)
            if fields:
                yield QueryParameter(name=backend.ordering_param, kind="ordering", choices=fields)
    paginator = getattr(view, "paginator", None)
    if isinstance(paginator, pagination.PageNumberPagination):
        yield QueryParameter(name=paginator.page_query_param, kind="page")
        if paginator.page_size_query_param:
            yield QueryParameter(
                name=paginator.page_size_query_param,
                kind="page_size",
                maximum=paginator.max_page_size,
            )
    elif isinstance(paginator, pagination.CursorPagination):
        yield QueryParameter(name=paginator.cursor_query_param, kind="cursor")
        if paginator.page_size_query_param:
            yield QueryParameter(
                name=paginator.page_size_query_param,
                kind="page_size",
                maximum=paginator.max_page_size,
            )


def ordering_choices(view) -> tuple[str, ...]:
    """The fields a list may be ordered by (``ordering_fields``), each also descending."""
    fields = getattr(view, "ordering_fields", None)
    if not fields or fields == "__all__":
        return ()
    return tuple(fields)


def _problem(parameter: QueryParameter, values: list[str]) -> str | None:
    """Why these values of ``parameter`` are refused, or ``None`` when they are fine."""
    for value in values:
        if value.strip() == "":
            return f"Give a value for {parameter.name}, or leave the parameter out."
        if "\x00" in value:
            return "Null characters are not allowed."
    value = values[-1]
    if parameter.kind == "boolean" and value not in BOOLEAN_VALUES:
        return "Enter true or false."
    if parameter.kind == "ordering":
        allowed = set(parameter.choices)
        terms = value.split(",")
        if any(term.removeprefix("-") not in allowed for term in terms):
            return (
                "Order by one or more of "
                + ", ".join(parameter.choices)
                + " (comma-separated, '-' before a field for descending order)."
            )
    if parameter.kind in ("page", "page_size"):
        # Our paginators set max_page_size (execsupport.api).
        upper = cast(int, parameter.maximum) if parameter.kind == "page_size" else MAX_PAGE
        if not (value.isascii() and value.isdigit() and len(value) <= 10) or not (
            1 <= int(value) <= upper
        ):
            return f"Enter a whole number from 1 to {upper}."
    return None


def query_check(view, request) -> None:
    """Refuse (400, one error per parameter) the empty or invalid values of the parameters a
    list declares (``list_parameters``). Filter values are then validated by the filter set's
    form (django-filter), which answers 400 with field detail too."""
    errors: dict[str, list[str]] = {}
    for parameter in list_parameters(view):
        values = request.query_params.getlist(parameter.name)
        if not values:
            continue
        problem = _problem(parameter, values)
        if problem:
            errors[parameter.name] = [problem]
    if errors:
        raise exceptions.ValidationError(errors)


class StrictContentNegotiation(DefaultContentNegotiation):
    """``?format=`` must name a format of the endpoint (``json``, ``csv``, ``api``): an empty or
    unknown one is a 400 (DRF answered JSON for an empty one and a bare 404 for an unknown).

    Content negotiation runs before authentication; a caller without valid credentials gets the
    default renderer here, so that the view answers 401 and tells them nothing more."""

    @override
    def select_renderer(self, request, renderers, format_suffix=None):
        param = api_settings.URL_FORMAT_OVERRIDE
        values = request.query_params.getlist(param) if param else []
        known = [renderer.format for renderer in renderers]
        if format_suffix and format_suffix not in known and not request.user.is_authenticated:
            # /api/v1/kpis/0.5/ reads as id 0 with the format "5": 404 to a signed-in caller.
            return renderers[0], renderers[0].media_type
        if values and any(value not in known for value in values):
            if not request.user.is_authenticated:
                return renderers[0], renderers[0].media_type
            raise exceptions.ValidationError({param: [f"Choose one of {', '.join(known)}."]})
        return super().select_renderer(request, renderers, format_suffix)


__all__ = [
    "QueryParameter",
    "StrictContentNegotiation",
    "list_parameters",
    "ordering_choices",
    "query_check",
]
