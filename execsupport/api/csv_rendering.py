"""CSV: the renderer of list endpoints (``?format=csv``), flat columns and cells that
spreadsheets cannot take for formulas.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable
from typing import Any

from django.db import models
from rest_framework import (
    renderers,
)
from typing_extensions import override


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
