"""List pages read with ``values()`` and shaped by the serializer's own fields.

DRF turns each row into its representation through a model instance, ``get_attribute`` and a
``to_representation`` call per field, which is most of the time of a 100-row page. For the lists
that integrations poll hardest, ``RowPlan`` reads the page as plain dicts instead and applies,
for each readable field of the same serializer, the cheapest conversion that gives the same
value: none for ints, strings, booleans, choices and JSON; the field's own ``to_representation``
for dates, date-times (time zone and format as configured) and decimals. Related objects give
their id, many-to-many relations a list of ids (one query), and a nested latest score its own
fields (one query). ``tests/api/test_rows.py`` holds the output equal to the serializer's.

The model of the latest scores is the caller's to give (``RowPlan.of(..., score_model=...)``:
metrics' ``GapScore`` for the API's lists, ``metrics.viewsets``), so this module imports no app.
"""

from __future__ import annotations

import datetime as dt
import decimal
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass
from functools import cache
from typing import Any, cast

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.db import models
from django.utils import timezone
from rest_framework import ISO_8601, relations, serializers
from rest_framework.settings import api_settings

# Fields whose representation of a value read from the database is the value itself.
_SAME_VALUE = (
    serializers.BooleanField,
    serializers.CharField,
    serializers.ChoiceField,
    serializers.IntegerField,
    serializers.JSONField,
    serializers.ReadOnlyField,
)


def _converter(field: serializers.Field) -> Callable[[Any], Any] | None:
    """None when the stored value is already its representation, else the function to apply."""
    if isinstance(field, serializers.JSONField) and field.binary:
        return field.to_representation
    if isinstance(field, _SAME_VALUE):
        return None
    if isinstance(field, serializers.FloatField):
        return float
    if (
        isinstance(field, serializers.DateField)
        and getattr(field, "format", api_settings.DATE_FORMAT) == ISO_8601
    ):
        return dt.date.isoformat
    if (
        isinstance(field, serializers.DateTimeField)
        and getattr(field, "format", api_settings.DATETIME_FORMAT) == ISO_8601
        and not hasattr(field, "timezone")
        and settings.USE_TZ
    ):
        return _iso_datetime  # DRF's conversion, with the time zone looked up once per page
    if isinstance(field, serializers.DecimalField):
        return _decimal(field)
    if isinstance(field, serializers.DateField | serializers.DateTimeField):
        return field.to_representation
    raise ImproperlyConfigured(
        f"{type(field).__name__} {field.field_name!r} has no flat representation: "
        "add a conversion to execsupport.rows or leave this list to the serializer."
    )


def _decimal(field: serializers.DecimalField) -> Callable[[Any], Any]:
    """``DecimalField.to_representation`` with its quantum and context made once, not per value
    (DRF copies the decimal context and raises 0.1 to a power for every value)."""
    coerce = getattr(field, "coerce_to_string", api_settings.COERCE_DECIMAL_TO_STRING)
    if not coerce or field.localize or field.normalize_output or field.decimal_places is None:
        return field.to_representation
    quantum = decimal.Decimal(".1") ** field.decimal_places
    context = decimal.getcontext().copy()
    if field.max_digits is not None:
        context.prec = field.max_digits
    rounding = field.rounding

    def convert(value: Any) -> str:
        if not isinstance(value, decimal.Decimal):
            value = decimal.Decimal(str(value).strip())
        return f"{value.quantize(quantum, rounding=rounding, context=context):f}"

    return convert


@dataclass(frozen=True)
class _Nested:
    """A nested latest score: its model, columns and conversions."""

    model: type[models.Model]
    columns: tuple[str, ...]
    converters: tuple[tuple[str, Callable], ...]


@dataclass(frozen=True)
class _Many:
    """A many-to-many relation given as ids: the through model and its two foreign keys."""

    through: type[models.Model]
    owner: str
    other: str


@dataclass(frozen=True)
class RowPlan:
    """How to read and shape the rows of one serializer. Build it with ``RowPlan.of``."""

    columns: tuple[str, ...]  # read with values()
    output: tuple[tuple[str, str], ...]  # (field name, column or relation name), in order
    converters: tuple[tuple[str, Callable], ...]  # (column, conversion)
    many: tuple[tuple[str, _Many], ...]
    score: tuple[str, _Nested] | None

    @staticmethod
    @cache
    def of(
        serializer_class: type[serializers.ModelSerializer],
        *,
        score_model: type[models.Model] | None = None,
    ) -> RowPlan:
        """The plan of a serializer class (built once per class): its columns, conversions and
        relations.

        ``score_model``: the model of the latest scores a nested serializer may show (rows with
        ``subject_type``, ``subject_id`` and ``is_latest``, e.g. metrics' ``GapScore``). Raises
        ``ImproperlyConfigured`` for a nested serializer of any other model."""
        model: type[models.Model] = serializer_class.Meta.model
        fields = serializer_class(context={"request": None}).fields
        columns: list[str] = []
        output: list[tuple[str, str]] = []
        converters: list[tuple[str, Callable]] = []
        many: list[tuple[str, _Many]] = []
        score = None
        for name, field in fields.items():
            if field.write_only:
                continue
            if isinstance(field, relations.ManyRelatedField):
                # The source of a ManyRelatedField is a many-to-many field of the model.
                m2m = cast(models.ManyToManyField, model._meta.get_field(cast(str, field.source)))
                through = cast(type[models.Model], m2m.remote_field.through)  # set once apps load
                owner, other = m2m.m2m_field_name(), m2m.m2m_reverse_field_name()
                many.append((name, _Many(through=through, owner=owner, other=other)))
                output.append((name, name))
            elif isinstance(field, serializers.BaseSerializer):
                meta = getattr(field, "Meta", None)
                if meta is None or score_model is None or meta.model is not score_model:
                    raise ImproperlyConfigured(f"Nested {name!r}: only a latest score is flat.")
                inner = cast(serializers.ModelSerializer, field).fields  # it has a Meta.model
                conversions = [(key, _converter(value)) for key, value in inner.items()]
                score = (
                    name,
                    _Nested(
                        model=score_model,
                        columns=tuple(inner),
                        converters=tuple((key, conv) for key, conv in conversions if conv),
                    ),
                )
                output.append((name, name))
            else:
                # A related field's column is its id: values("team") gives the team's id.
                source = cast(str, field.source)  # set when the serializer binds its fields
                columns.append(source)
                output.append((name, source))
                conv = None if isinstance(field, relations.RelatedField) else _converter(field)
                if conv is not None:
                    converters.append((source, conv))
        if "id" not in columns:
            raise ImproperlyConfigured(f"{serializer_class.__name__} must show the id.")
        return RowPlan(
            columns=tuple(columns),
            output=tuple(output),
            converters=tuple(converters),
            many=tuple(many),
            score=score,
        )

    def rows(self, queryset: models.QuerySet) -> models.QuerySet:
        """The queryset to paginate: the plan's columns as dicts."""
        return queryset.values(*self.columns)

    def shape(
        self, rows: list[dict], *, score_subject_type: str | None = None, native: bool = False
    ) -> list[dict]:
        """Representations of one page of rows: one more query per relation and for scores.

        ``native``: for a page written by ``orjson.dumps(..., option=orjson.OPT_UTC_Z)``, which
        writes dates, and date-times in UTC, exactly as DRF does, in C: they are left as they
        are when the time zone active now is UTC (in another zone they are converted here)."""
        ids = [row["id"] for row in rows]
        for name, relation in self.many:
            related: dict[int, list[int]] = defaultdict(list)
            # ``_default_manager``: a through model's ``objects``, its only manager.
            pairs = relation.through._default_manager.filter(**{f"{relation.owner}__in_ids": ids})
            for owner_id, other_id in pairs.order_by(relation.other).values_list(
                relation.owner, relation.other
            ):
                related[owner_id].append(other_id)
            for row in rows:
                row[name] = related.get(row["id"], [])
        if self.score is not None:
            if score_subject_type is None:
                raise ImproperlyConfigured("A nested latest score needs score_subject_type.")
            name, nested = self.score
            score_converters = _bind(nested.converters, native=native)
            scores = {}
            # ``_default_manager``: the score model's ``objects``.
            for score in nested.model._default_manager.filter(
                subject_type=score_subject_type, subject_id__in_ids=ids, is_latest=True
            ).values("subject_id", *nested.columns):
                _convert(score, score_converters)
                scores[score.pop("subject_id")] = score
            for row in rows:
                row[name] = scores.get(row["id"])
        converters = _bind(self.converters, native=native)
        shaped = []
        for row in rows:
            _convert(row, converters)
            shaped.append({name: row[column] for name, column in self.output})
        return shaped


def _iso_datetime(value: dt.datetime) -> str:
    """Placeholder of ``DateTimeField.to_representation`` in the current time zone."""
    raise NotImplementedError("resolved by _bind() for each page")


def _bind(
    converters: tuple[tuple[str, Callable], ...], *, native: bool = False
) -> list[tuple[str, Callable]]:
    """The converters of one page: ISO date-times in the time zone active now, as DRF does;
    ``native``: none for the dates and UTC date-times that orjson writes the same way."""
    zone = timezone.get_current_timezone()
    if native:
        utc = zone.utcoffset(None) == dt.timedelta(0)  # UTC itself; None for a zone with DST
        converters = tuple(
            (key, conv)
            for key, conv in converters
            if conv is not dt.date.isoformat and not (utc and conv is _iso_datetime)
        )

    def iso(value: dt.datetime) -> str:
        text = value.astimezone(zone).isoformat()
        return text[:-6] + "Z" if text.endswith("+00:00") else text

    return [(key, iso if conv is _iso_datetime else conv) for key, conv in converters]


def _convert(row: dict, converters: list[tuple[str, Callable]]) -> None:
    for key, conv in converters:
        if row[key] is not None:
            row[key] = conv(row[key])
