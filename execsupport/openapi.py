"""The OpenAPI schema tells the rules the server enforces (drf-spectacular's ``AutoSchema``).

drf-spectacular describes types; the rules of ``execsupport.validation`` and the strict query
parsing of ``execsupport.query`` are added here, from the same constants and declarations, so
that a request valid by the schema is one the server accepts (except where a rule is not
expressible, e.g. an id of an object that does not exist, or an end before a start):

* ids (filters, relations in bodies, ``{id}`` in paths): integers from 1 to ``MAX_ID``;
* dates: ``format: date`` with the years of ``MIN_DATE`` to ``MAX_DATE`` as a ``pattern``;
  date-times the same;
* texts: no NUL character (``pattern``), query values at least one character; URLs a host
  name of at most 253 characters;
* decimals in strings: at least one digit;
* ``ordering``: the fields a list may be ordered by; ``page``, ``page_size`` and ``cursor``
  with their bounds; booleans ``true`` or ``false``;
* CSV responses (``?format=csv``) are text, not the JSON schema of the rows.
"""

from __future__ import annotations

import re
from decimal import Decimal

from django.core.validators import RegexValidator
from django_filters import filters as django_filters
from drf_spectacular import openapi
from rest_framework import serializers

from execsupport.query import MAX_PAGE, list_parameters
from execsupport.validation import (
    MAX_DATE,
    MAX_ID,
    MIN_DATE,
    VALUE_LIMIT,
    IdFormField,
    validate_date,
    validate_nonzero,
    validate_value,
)

NO_NUL = "^[^\\x00]*$"
ID_SCHEMA = {"type": "integer", "minimum": 1, "maximum": MAX_ID}


def _year_pattern() -> str:
    """A regular expression of the years ``MIN_DATE.year`` to ``MAX_DATE.year`` (1900-2199)."""
    low, high = MIN_DATE.year, MAX_DATE.year
    centuries = range(low // 100, high // 100 + 1)
    if low % 100 or high % 100 != 99:
        raise ValueError("MIN_DATE and MAX_DATE must bound whole centuries")
    return "(?:" + "|".join(str(century) for century in centuries) + ")[0-9]{2}"


DATE_PATTERN = f"^{_year_pattern()}-"
DATE_RULE = f"From {MIN_DATE.isoformat()} to {MAX_DATE.isoformat()}."
DATE_SCHEMA = {"type": "string", "format": "date", "pattern": DATE_PATTERN}
DATETIME_SCHEMA = {"type": "string", "format": "date-time", "pattern": DATE_PATTERN}
# Host names as Django's URLValidator takes them (labels of letters, digits and inner hyphens, a
# top-level domain of 2+ letters), at most 3 labels of 61 characters so that the host stays
# within 253; an optional port; the rest without white space. A subset: IP literals and
# longer names are valid URLs the schema does not offer.
URL_PATTERN = (
    "^https?://(?:[a-zA-Z0-9](?:[a-zA-Z0-9-]{0,59}[a-zA-Z0-9])?\\.){1,3}[a-zA-Z]{2,63}"
    "(?::[0-9]{1,5})?(?:[/?#][^\\s]*)?$"
)
CSV_SCHEMA = {
    "type": "string",
    "description": "CSV (RFC 4180, UTF-8): a header row, then one row per result; nested fields "
    "are dotted columns (`latest_score.status`), lists are joined with `; `.",
}


def ordering_pattern(fields: tuple[str, ...]) -> str:
    """A comma-separated list of ``fields``, each optionally prefixed with ``-``."""
    term = "-?(?:" + "|".join(re.escape(field) for field in fields) + ")"
    return f"^{term}(?:,{term})*$"


def query_schema(parameter, declared) -> dict | None:
    """The schema of one declared query parameter (``execsupport.query.QueryParameter``) and
    its filter (a django-filter ``Filter`` or ``None``), or ``None`` to keep drf-spectacular's."""
    if parameter.kind == "ordering":
        return {"type": "string", "pattern": ordering_pattern(parameter.choices)}
    if parameter.kind == "page":
        return {"type": "integer", "minimum": 1, "maximum": MAX_PAGE}
    if parameter.kind == "page_size":
        return {"type": "integer", "minimum": 1, "maximum": parameter.maximum}
    if parameter.kind == "cursor":
        return {"type": "string", "minLength": 1, "pattern": NO_NUL}
    if parameter.kind == "boolean":
        return {"type": "boolean"}
    field_class = getattr(declared, "field_class", None)
    if field_class is not None and issubclass(field_class, IdFormField):
        return dict(ID_SCHEMA)
    if isinstance(declared, django_filters.DateFilter):
        return dict(DATE_SCHEMA)
    if isinstance(declared, django_filters.IsoDateTimeFilter):
        return dict(DATETIME_SCHEMA)
    return None


class AutoSchema(openapi.AutoSchema):
    """drf-spectacular's schema plus the rules the server enforces (module docstring)."""

    def _get_parameters(self):
        parameters = super()._get_parameters()
        declared = {}
        if self._is_list_view() and self.method == "GET":
            filterset = getattr(self.view, "filterset_class", None)
            filters_by_name = filterset.base_filters if filterset else {}
            declared = {
                parameter.name: (parameter, filters_by_name.get(parameter.name))
                for parameter in list_parameters(self.view)
            }
        for parameter in parameters:
            schema = parameter.get("schema", {})
            if parameter["in"] != "query" or parameter["name"] not in declared:
                continue
            strict = query_schema(*declared[parameter["name"]])
            if strict is not None:
                parameter["schema"] = strict
            elif parameter["schema"].get("type") == "string" and "enum" not in schema:
                parameter["schema"] = {**schema, "minLength": 1, "pattern": NO_NUL}
            elif parameter["schema"].get("type") == "number":
                parameter["schema"] = {**schema, "type": "integer"}
        return parameters

    def _map_basic_serializer(self, serializer, direction):
        schema = super()._map_basic_serializer(serializer, direction)
        if direction == "request" and getattr(serializer, "refuses_unknown_fields", False):
            schema["additionalProperties"] = False
        return schema

    def _insert_field_validators(self, field, schema):
        super()._insert_field_validators(field, schema)
        if isinstance(field, serializers.FloatField) and validate_value in field.validators:
            # Below VALUE_LIMIT in magnitude: the bound itself is refused.
            schema.update(
                minimum=-VALUE_LIMIT,
                maximum=VALUE_LIMIT,
                exclusiveMinimum=True,
                exclusiveMaximum=True,
            )

    def _map_serializer_field(self, field, direction, bypass_extensions=False):
        schema = super()._map_serializer_field(field, direction, bypass_extensions)
        if direction != "request" or field.read_only:
            return schema
        if (
            isinstance(field, serializers.PrimaryKeyRelatedField)
            and schema.get("type") == "integer"
        ):
            schema.update(minimum=1, maximum=MAX_ID)
        elif isinstance(field, serializers.DateField) and not isinstance(
            field, serializers.DateTimeField
        ):
            if any(validator == validate_date for validator in field.validators):
                schema["pattern"] = DATE_PATTERN
                schema["description"] = " ".join(
                    filter(None, [schema.get("description"), DATE_RULE])
                )
        elif isinstance(field, serializers.DecimalField) and schema.get("type") == "string":
            schema["pattern"] = _decimal_pattern(field)
        elif isinstance(field, serializers.URLField):
            # Django's URLValidator refuses a host over 253 characters, a one-letter TLD ...
            schema["pattern"] = URL_PATTERN
        elif (
            isinstance(field, serializers.CharField)
            and schema.get("type") == "string"
            and not {"enum", "pattern", "format"} & set(schema)
            and not any(isinstance(v, RegexValidator) for v in field.validators)
        ):
            schema["pattern"] = NO_NUL
        return schema


def _decimal_pattern(field: serializers.DecimalField) -> str:
    """A decimal in a string as the field accepts it: at least one digit (drf-spectacular's
    pattern admits ""), at most ``max_digits`` and ``decimal_places``; no sign when the minimum
    is 0 or more; not zero when the minimum is the smallest step (a weight of at least 0.01) or
    the field refuses zero (``validate_nonzero``)."""
    places = field.decimal_places or 0
    whole = max((field.max_digits or 30) - places, 1)
    minimum = field.min_value
    sign = "" if minimum is not None and minimum >= 0 else "-?"
    step = Decimal(1).scaleb(-places)
    nonzero = (minimum is not None and 0 < minimum <= step) or validate_nonzero in field.validators
    fraction = f"(?:\\.[0-9]{{0,{places}}})?" if places else ""
    if not nonzero:
        point_only = f"|\\.[0-9]{{1,{places}}}" if places else ""
        return f"^{sign}(?:[0-9]{{1,{whole}}}{fraction}{point_only})$"
    # A non-zero whole part, or a zero whole part and a non-zero fraction.
    alternatives = [f"0{{0,{whole}}}[1-9][0-9]{{0,{whole - 1}}}{fraction}"]
    if places:
        fractions = "|".join(
            f"0{{{zeros}}}[1-9][0-9]{{0,{places - 1 - zeros}}}" for zeros in range(places)
        )
        alternatives.append(f"0{{0,{whole}}}\\.(?:{fractions})")
    return f"^{sign}(?:{'|'.join(alternatives)})$"


def describe_csv(paths: dict) -> None:
    """A ``text/csv`` response is CSV text, not the JSON schema drf-spectacular copies to it."""
    for operations in paths.values():
        for operation in operations.values():
            if not isinstance(operation, dict):
                continue
            for response in operation.get("responses", {}).values():
                content = response.get("content", {})
                if "text/csv" in content:
                    content["text/csv"] = {"schema": dict(CSV_SCHEMA)}


__all__ = [
    "DATETIME_SCHEMA",
    "DATE_PATTERN",
    "DATE_SCHEMA",
    "ID_SCHEMA",
    "NO_NUL",
    "AutoSchema",
    "describe_csv",
    "ordering_pattern",
    "query_schema",
]
