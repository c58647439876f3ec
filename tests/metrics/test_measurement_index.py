"""The measurements table has one index by KPI: the unique (kpi, as_of) constraint's, which
serves the engine's "newest N per KPI" reads (issue #19). A second, single-column index on
``kpi_id`` made PostgreSQL read and sort a KPI's whole history instead."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from metrics.engine.kpis import measurements_recent
from metrics.models import Measurement
from tests.factories import KPIFactory

pytestmark = pytest.mark.django_db


def _indexes() -> dict[str, list[str]]:
    with connection.cursor() as cursor:
        found = connection.introspection.get_constraints(cursor, Measurement._meta.db_table)
    return {name: c["columns"] for name, c in found.items() if c["index"] or c["unique"]}


def test_kpi_id_has_no_index_of_its_own():
    indexes = _indexes()
    assert ["kpi_id", "as_of"] in indexes.values()
    assert ["kpi_id"] not in indexes.values(), indexes


def test_newest_measurements_read_from_the_unique_index(team):
    kpis = [KPIFactory(team=team) for _ in range(3)]
    start = dt.date(2025, 1, 1)
    Measurement.objects.bulk_create(
        Measurement(kpi=kpi, as_of=start + dt.timedelta(days=d), value=float(d))
        for kpi in kpis
        for d in range(40)
    )
    with connection.cursor() as cursor:
        cursor.execute(
            "ANALYZE metrics_measurement" if connection.vendor == "postgresql" else "ANALYZE"
        )
    with CaptureQueriesContext(connection) as queries:
        series = measurements_recent(
            kpi_ids=[k.pk for k in kpis], points=5, until=dt.date(2025, 2, 1)
        )
    newest = [dt.date(2025, 2, 1) - dt.timedelta(days=back) for back in range(4, -1, -1)]
    assert [d for d, _ in series[kpis[0].pk]] == newest
    (query,) = queries.captured_queries
    explain = "EXPLAIN QUERY PLAN " if connection.vendor == "sqlite" else "EXPLAIN "
    sql = query["sql"]
    with connection.cursor() as cursor:
        cursor.execute(explain + sql)
        plan = "\n".join(" ".join(str(part) for part in row) for row in cursor.fetchall())
    assert any(name in plan for name in _unique_index_names()), plan


def _unique_index_names() -> set[str]:
    """The (kpi_id, as_of) index's names as the plans print them (SQLite names the index of an
    inline UNIQUE constraint ``sqlite_autoindex_...``)."""
    names = {name for name, columns in _indexes().items() if columns == ["kpi_id", "as_of"]}
    if connection.vendor == "sqlite":
        with connection.cursor() as cursor:
            cursor.execute("PRAGMA index_list(metrics_measurement)")
            for row in cursor.fetchall():
                cursor.execute(f"PRAGMA index_info({row[1]})")
                if [info[2] for info in cursor.fetchall()] == ["kpi_id", "as_of"]:
                    names.add(row[1])
    return names
