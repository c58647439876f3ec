"""Base classes of the API's filters, and the API's 404 for an unknown URL.

What every app's API shares and no permission rule decides: the id, date and ``updated_since``
filters (``BaseFilterSet``) and ``NotFoundView``. The viewsets scoped by what a person may see
(``AccessViewSet`` and its kin, ``conditional_list``, ``scored_list``) ask ``strategy.access``
and metrics' scores, so they live above those: ``metrics.viewsets``.
"""

from __future__ import annotations

import datetime as dt

from django import forms
from django.core.exceptions import FieldDoesNotExist
from django.db import models
from django_filters import rest_framework as filters
from django_filters.fields import IsoDateTimeField
from drf_spectacular.utils import extend_schema
from rest_framework import exceptions
from rest_framework.views import APIView

from execsupport.validation import DateFormField, IdFormField, validate_date


class IdFilter(filters.NumberFilter):
    """An id filter that refuses out-of-range numbers with a 400, not a database error."""

    field_class = IdFormField


class DateFilter(filters.DateFilter):
    """A date filter within the shared date range (``validate_date``: 1900 to 2199)."""

    field_class = DateFormField


class UtcDateTimeField(IsoDateTimeField):
    """An ISO 8601 date-time converted to UTC: PostgreSQL refuses offsets beyond ±15:59, which
    ISO 8601 allows, so they never reach the database. Its date (as written) is in the shared
    date range (``validate_date``)."""

    def to_python(self, value):
        parsed = super().to_python(value)
        if parsed is None:
            return None
        validate_date(parsed)
        try:
            return parsed.astimezone(dt.UTC)
        except (OverflowError, ValueError):
            raise forms.ValidationError("Enter a date-time between years 1 and 9999.") from None


class SinceFilter(filters.IsoDateTimeFilter):
    field_class = UtcDateTimeField


class BaseFilterSet(filters.FilterSet):
    """The shared filters of a list: ``updated_since`` on the model's ``updated_at``. A model
    without that field (e.g. a frozen pack) has no ``updated_since`` at all: neither in the
    filter set nor in the OpenAPI schema and query rules built from it (``base_filters``), so
    the list never asks the database for a field it does not have. A subclass may declare its
    own ``updated_since`` on another field."""

    updated_since = SinceFilter(
        field_name="updated_at",
        lookup_expr="gte",
        label="Only rows changed at or after this ISO 8601 date-time.",
    )

    @classmethod
    def get_filters(cls):
        """The declared and generated filters, less those on a field the model lacks."""
        result = super().get_filters()
        model = cls._meta.model
        if model is not None:
            for name, declared in list(result.items()):
                field = declared.field_name.split("__", 1)[0]
                if field == "updated_at" and not _has_field(model, field):
                    del result[name]
        return result

    def get_form_class(self):
        """One form class per filter set, built once: django-filter builds a new one for every
        request, which is a tenth of a list page's time. Safe because no filter of ours depends
        on the request (no queryset callables) and each form deep-copies its fields anyway."""
        form_class = _FILTER_FORMS.get(type(self))
        if form_class is None:
            form_class = _FILTER_FORMS[type(self)] = super().get_form_class()
        return form_class


_FILTER_FORMS: dict[type[BaseFilterSet], type[forms.Form]] = {}


def _has_field(model: type[models.Model], name: str) -> bool:
    """Whether ``model`` has a field (or relation) called ``name``."""
    try:
        model._meta.get_field(name)
    except FieldDoesNotExist:
        return False
    return True


class NotFoundView(APIView):
    """Any other URL under /api/: the API's JSON 404 (after authentication, so that anonymous
    callers learn nothing about which URLs exist)."""

    schema = None

    def _missing(self, request, *args, **kwargs):
        raise exceptions.NotFound("No such endpoint or object.")

    get = post = put = patch = delete = head = options = _missing


__all__ = [
    "BaseFilterSet",
    "DateFilter",
    "IdFilter",
    "extend_schema",
]
