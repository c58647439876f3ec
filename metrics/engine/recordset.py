"""Many rows of one model inserted by one statement from one JSON payload (PostgreSQL).

The engine writes thousands of score snapshots and alerts per chunk. Django's ``bulk_create``
prepares every value of every row in Python (a JSON column is encoded once per row and field)
and sends them as separate parameters; here the rows are encoded once, as one JSON array, and
PostgreSQL unpacks them with ``jsonb_to_recordset``, the pattern of the measurement ingestion
(``metrics.services``). Values round-trip exactly: a float is written as its shortest repr and
read back by PostgreSQL's correctly rounded conversion, a JSON column keeps its document
(``jsonb``, as Django stores it), and a JSON ``null`` becomes SQL ``NULL`` as Django writes
``None``. SQLite keeps ``bulk_create`` (callers check ``recordset_supported()``): the speed
goals are PostgreSQL's, and the results are the same on both.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from typing import Any

from django.db import connection, models

__all__ = ["recordset_insert", "recordset_supported"]


def recordset_supported() -> bool:
    """True when the default database can unpack a JSON payload (PostgreSQL)."""
    return connection.vendor == "postgresql"


def recordset_insert(
    *,
    model: type[models.Model],
    rows: Sequence[Mapping[str, Any]],
    constants: Mapping[str, Any] | None = None,
    returning: Sequence[str] = (),
    skip_conflicts: bool = False,
) -> list[tuple]:
    """Insert ``rows`` into ``model``'s table with one statement, in their order (ids ascend
    as the rows go); returns the ``returning`` attnames of the inserted rows as tuples
    (``[]`` without ``returning``).

    ``rows``: dicts of JSON-native values (str, int, float, bool, None, lists and dicts of
    them) keyed by field attname (``owner_id`` for a foreign key), every row with the keys of
    the first. ``constants``: attname -> value shared by every row (a datetime, say), prepared
    by the field as Django would. Every other concrete field but the primary key takes its
    default. ``skip_conflicts``: a row that breaks a unique constraint or index is left out
    (``ON CONFLICT DO NOTHING``) and is not returned.

    Raises ``ValueError`` for an unknown attname or a field that has neither a value nor a
    default, and ``NotImplementedError`` on a database other than PostgreSQL."""
    if not recordset_supported():
        raise NotImplementedError("recordset_insert needs PostgreSQL")
    if not rows:
        return []
    constants = dict(constants or {})
    fields = {f.attname: f for f in model._meta.concrete_fields if not f.primary_key}
    payload = list(rows[0])
    unknown = [name for name in (*payload, *constants) if name not in fields]
    if unknown:
        raise ValueError(f"{model.__name__} has no field {', '.join(unknown)}")
    for name, field in fields.items():
        if name in constants or name in rows[0]:
            continue
        if not field.has_default() and not field.null:
            raise ValueError(f"{model.__name__}.{name} needs a value: it has no default")
        constants[name] = field.get_default()
    q = connection.ops.quote_name
    columns = [*payload, *constants]
    types = ", ".join(f"{q(name)} {fields[name].db_type(connection)}" for name in payload)
    names = ", ".join(q(name) for name in payload)
    select = [f"r.{q(name)}" for name in payload] + ["%s"] * len(constants)
    params = [fields[name].get_db_prep_save(value, connection) for name, value in constants.items()]
    sql = (
        f"INSERT INTO {q(model._meta.db_table)} ({', '.join(q(c) for c in columns)}) "  # noqa: S608 (names from model metadata)
        f"SELECT {', '.join(select)} "
        f"FROM ROWS FROM (jsonb_to_recordset(%s::jsonb) AS ({types})) "
        f"WITH ORDINALITY AS r({names}, row_number) ORDER BY r.row_number"
    )
    if skip_conflicts:
        sql += " ON CONFLICT DO NOTHING"
    if returning:
        by_attname = {f.attname: f for f in model._meta.concrete_fields}
        sql += " RETURNING " + ", ".join(q(_column(by_attname[name])) for name in returning)
    params.append(json.dumps(rows, allow_nan=False))
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.fetchall() if returning else []


def _column(field: models.Field) -> str:
    """A concrete field's column name (only a field without a column has none)."""
    if field.column is None:
        raise ValueError(f"{field} has no column")
    return field.column
