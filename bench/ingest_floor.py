"""Bulk ingestion through the API against PostgreSQL alone, as a ratio (issue #19).

Run on a PostgreSQL database seeded with ``seed_demo --scale 100 --history-weeks 0`` and
migrated (the rows written here are deleted again after each repetition):

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/es_h4 \\
    BENCH_REDIS_URL=redis://127.0.0.1:6379/4 python bench/ingest_floor.py

Each repetition, interleaved:

* product: 100,000 new measurements (1,000 KPIs x 100 days) sent to
  ``POST /api/v1/measurements/ingest/`` in 10 requests of 10,000 rows, through gunicorn on
  loopback (``bench_api._server``: production settings, recomputes queued to Redis, not run);
* floor: the same number of new rows (other days of the same KPIs) with PostgreSQL alone:
  ``COPY`` into a temporary table and one ``INSERT ... ON CONFLICT DO UPDATE`` resolving the KPI
  keys (``FLOOR_SQL`` below, unchanged from its first run), timed from the client, commit
  included.

Then the rows of both are deleted. It prints each ratio, their minimum and median (goal:
at most 2), the floor's EXPLAIN plan and the machine's pace before and after.
"""

from __future__ import annotations

import argparse
import datetime as dt
import io
import json
import os
import signal
import statistics
import sys
import time

from bench_api import _django, _post, _server, _token  # bench/bench_api.py
from cpu import machine_pace, pace_line  # bench/cpu.py

ROWS = 100_000
REQUEST_ROWS = 10_000
KPIS = 1_000

# The floor: what PostgreSQL alone needs to take the same rows by KPI key (committed with the
# first measurement; keep it unchanged so that ratios compare across runs).
FLOOR_SETUP = """
    CREATE TEMP TABLE ingest_floor (kpi text, as_of date, value double precision, note text)
    ON COMMIT DROP"""
FLOOR_COPY = "COPY ingest_floor FROM STDIN (FORMAT csv)"
FLOOR_SQL = """
    INSERT INTO metrics_measurement
        (kpi_id, as_of, value, note, source, entered_by_id, created_at, updated_at)
    SELECT k.id, f.as_of, f.value, coalesce(f.note, ''), 'api', NULL, now(), now()
      FROM ingest_floor f JOIN metrics_kpi k ON k.key = f.kpi
    ON CONFLICT (kpi_id, as_of) DO UPDATE SET
        value = EXCLUDED.value, note = EXCLUDED.note, updated_at = EXCLUDED.updated_at
    WHERE metrics_measurement.value IS DISTINCT FROM EXCLUDED.value
       OR metrics_measurement.note IS DISTINCT FROM EXCLUDED.note"""


def _rows(keys: list[str], first: dt.date) -> list[tuple[str, str, float]]:
    days = ROWS // len(keys)
    return [
        (key, (first + dt.timedelta(days=d)).isoformat(), 10.0 + d / 7)
        for d in range(days)
        for key in keys
    ]


def _product(token: str, rows: list[tuple[str, str, float]]) -> float:
    bodies = [
        json.dumps(
            {
                "measurements": [
                    {"kpi": k, "as_of": d, "value": v} for k, d, v in rows[i : i + 10_000]
                ]
            }
        ).encode()
        for i in range(0, len(rows), REQUEST_ROWS)
    ]
    began = time.perf_counter()
    for body in bodies:
        status, payload, _ = _post("/api/v1/measurements/ingest/", token, body)
        if status != 200 or payload["created"] != REQUEST_ROWS:
            sys.exit(f"ingestion failed: {status} {str(payload)[:300]}")
    return time.perf_counter() - began


def _floor(rows: list[tuple[str, str, float]], *, explain: bool = False) -> float:
    from django.db import connection, transaction

    text = "".join(f"{k},{d},{v!r},\n" for k, d, v in rows)
    began = time.perf_counter()
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(FLOOR_SETUP)
        cursor.cursor.copy_expert(FLOOR_COPY, io.StringIO(text))
        if explain:
            cursor.execute("ANALYZE ingest_floor")
            cursor.execute("EXPLAIN " + FLOOR_SQL)
            plan = "\n".join(f"    {line}" for (line,) in cursor.fetchall())
            print(f"floor's plan:\n{plan}")
            return 0.0
        cursor.execute(FLOOR_SQL)
        if cursor.rowcount != len(rows):
            sys.exit(f"floor wrote {cursor.rowcount} rows, not {len(rows)}")
    return time.perf_counter() - began


def _delete(first: dt.date, last: dt.date) -> None:
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(
            "DELETE FROM metrics_measurementcorrection WHERE measurement_id IN "
            "(SELECT id FROM metrics_measurement WHERE as_of BETWEEN %s AND %s)",
            [first, last],
        )
        cursor.execute(
            "DELETE FROM metrics_measurement WHERE as_of BETWEEN %s AND %s", [first, last]
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--workers", type=int, help="gunicorn workers (default: production)")
    args = parser.parse_args()
    if "postgres" not in os.environ.get("DATABASE_URL", ""):
        sys.exit("Set DATABASE_URL to a PostgreSQL database seeded with seed_demo --scale 100.")
    broker = os.environ.get("BENCH_REDIS_URL", "redis://127.0.0.1:6379/2")
    _django()
    from metrics.models import KPI

    token, _ = _token(None)
    keys = list(KPI.objects.order_by("id").values_list("key", flat=True)[:KPIS])
    days = ROWS // len(keys)
    # Days no seed writes (1990 on), 2 x days per repetition: the product's, then the floor's.
    base = dt.date(1990, 1, 1)
    span = base + dt.timedelta(days=2 * days * args.repeat + 1)
    _delete(base, span)
    pace = machine_pace()
    _floor(_rows(keys, base), explain=True)
    server = _server(args.workers, broker)
    ratios = []
    try:
        for rep in range(args.repeat):
            first = base + dt.timedelta(days=2 * days * rep)
            product_rows = _rows(keys, first)
            floor_rows = _rows(keys, first + dt.timedelta(days=days))
            if rep % 2:  # alternate which goes first
                floor = _floor(floor_rows)
                product = _product(token, product_rows)
            else:
                product = _product(token, product_rows)
                floor = _floor(floor_rows)
            ratios.append(product / floor)
            print(
                f"[{rep + 1}] ingest {len(product_rows):,} rows: API {product:.2f} s, "
                f"floor (COPY + one upsert) {floor:.2f} s -> ratio {product / floor:.2f}",
                flush=True,
            )
            _delete(first, first + dt.timedelta(days=2 * days))
    finally:
        os.killpg(server.pid, signal.SIGTERM)
        server.wait(timeout=30)
        import redis

        redis.Redis.from_url(broker).flushdb()  # the queued recomputes: no worker ran them
    print(
        f"ingest ratio: min {min(ratios):.2f}, median {statistics.median(ratios):.2f} (goal <= 2)"
    )
    print(pace_line(pace, machine_pace()))


if __name__ == "__main__":
    main()
