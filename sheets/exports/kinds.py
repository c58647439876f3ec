"""The exports by kind (``Export``): their rows as dicts or in the sheet's columns, the named
columns the API adds to its objects, and the whole plan as one workbook."""

from __future__ import annotations

import itertools
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from typing import Any

from django.db.models import QuerySet

from sheets.columns import (
    ALERTS,
    CHECKINS,
    INITIATIVES,
    KPIS,
    MEASUREMENTS,
    MILESTONES,
    OBJECT_HISTORY,
    OBJECTIVES,
    SPEND,
    Sheet,
)
from sheets.exports.history import objects_history_dicts
from sheets.exports.rows import (
    _alert_row,
    _alerts_prepare,
    _checkin_row,
    _initiative_row,
    _kpi_row,
    _measurement_row,
    _milestone_row,
    _objective_row,
    _ordered,
    _spend_row,
)
from strategy.access import Access


@dataclass(frozen=True)
class Export:
    """How one kind of object is written: its sheet, the relations its row reads (joined in
    the one query), its row (``(object, access) -> {column: value}``), an optional step over
    all the objects before the rows (one more query at most), and the default order."""

    sheet: Sheet
    related: tuple[str, ...]
    row: Callable[[Any, Access], dict[str, Any]]
    prepare: Callable[[list, Access], None] | None = None
    order: tuple[str, ...] = ("id",)


EXPORTS: dict[str, Export] = {
    "objective": Export(
        OBJECTIVES,
        ("parent", "strategy", "theme", "period", "team", "owner"),
        _objective_row,
    ),
    "initiative": Export(INITIATIVES, ("objective", "team", "owner"), _initiative_row),
    "kpi": Export(KPIS, ("objective", "initiative", "team", "owner"), _kpi_row),
    "milestone": Export(
        MILESTONES, ("initiative",), _milestone_row, order=("initiative_id", "due_date", "id")
    ),
    "measurement": Export(
        MEASUREMENTS, ("kpi", "entered_by"), _measurement_row, order=("as_of", "id")
    ),
    "checkin": Export(CHECKINS, ("initiative", "author"), _checkin_row, order=("created_at", "id")),
    "spend": Export(SPEND, ("initiative", "entered_by"), _spend_row, order=("date", "id")),
    "alert": Export(
        ALERTS,
        ("owner", "team", "acknowledged_by", "resolved_by"),
        _alert_row,
        prepare=_alerts_prepare,
    ),
}


def export_dicts(kind: str, *, queryset: QuerySet, access: Access) -> Iterator[dict[str, Any]]:
    """The rows of ``EXPORTS[kind]`` as ``{column: value}``, in the queryset's order (else the
    export's). ``queryset`` is already scoped to what the reader may see. A fixed number of
    queries whatever the number of rows; without a ``prepare`` step the rows stream."""
    export = EXPORTS[kind]
    if not queryset.query.order_by:
        queryset = queryset.order_by(*export.order)
    queryset = queryset.select_related(*export.related)
    objects: Iterable[Any]
    if export.prepare is not None:
        objects = list(queryset)
        export.prepare(objects, access)
    else:
        objects = queryset.iterator(chunk_size=2000)
    for obj in objects:
        yield export.row(obj, access)


def export_rows(kind: str, *, queryset: QuerySet, access: Access) -> tuple[Sheet, Iterator[list]]:
    """``(sheet, rows)``: the rows of ``export_dicts`` in the sheet's column order."""
    sheet = EXPORTS[kind].sheet
    return sheet, _ordered(sheet, export_dicts(kind, queryset=queryset, access=access))


def api_named_columns(kind: str, *, queryset: QuerySet, access: Access) -> dict[int, dict]:
    """For the API's CSV (``execsupport.api.CSVRenderer``): id -> the sheet's naming columns
    under their API names (``Column.api``: people, teams, themes and parents by name next to
    the API's ids). One column definition serves the page exports and the API."""
    sheet = EXPORTS[kind].sheet
    naming = [(column.name, column.api) for column in sheet.columns if column.api]
    return {
        row["id"]: {api: row.get(name) for name, api in naming}
        for row in export_dicts(kind, queryset=queryset, access=access)
    }


def api_named_columns_by_model() -> dict[type, Callable[[QuerySet, Access], dict[int, dict]]]:
    """Model -> its ``api_named_columns`` (for ``execsupport.api.CSV_NAMED_COLUMNS``)."""
    from initiatives.models import CheckIn, Initiative, Milestone, SpendEntry
    from metrics.models import KPI, Alert, Measurement
    from strategy.models import Objective

    models = {
        "objective": Objective,
        "initiative": Initiative,
        "kpi": KPI,
        "milestone": Milestone,
        "measurement": Measurement,
        "checkin": CheckIn,
        "spend": SpendEntry,
        "alert": Alert,
    }

    def named_columns(kind: str) -> Callable[[QuerySet, Access], dict[int, dict]]:
        return lambda queryset, access: api_named_columns(kind, queryset=queryset, access=access)

    return {model: named_columns(kind) for kind, model in models.items()}


def plan_export(*, access: Access) -> list[tuple[Sheet, Iterator[list]]]:
    """Every objective, initiative, KPI and milestone the reader may see: the plan file, and
    their history (a History sheet, which the import skips)."""
    from initiatives.models import Initiative, Milestone
    from metrics.models import KPI
    from strategy.models import Objective

    initiatives = access.scope(Initiative.objects.all())
    querysets = {
        "objective": access.scope(Objective.objects.all()),
        "initiative": initiatives,
        "kpi": access.scope(KPI.objects.all()),
        "milestone": Milestone.objects.filter(initiative__in=initiatives),
    }
    history = itertools.chain.from_iterable(
        objects_history_dicts(kind, queryset=queryset, access=access)
        for kind, queryset in querysets.items()
    )
    return [
        *(
            export_rows(kind, queryset=queryset, access=access)
            for kind, queryset in querysets.items()
        ),
        (OBJECT_HISTORY, _ordered(OBJECT_HISTORY, history)),
    ]
