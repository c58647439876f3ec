"""The engine's write of score snapshots, as ratios to PostgreSQL alone (issue #19; not a
test, nothing is asserted).

Usage, on a PostgreSQL database whose engine has run (``seed_demo --scale 100`` computes the
scores; nothing is left written):

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/es_engine python bench/engine_write.py

Takes the latest score snapshots of the database (``--rows``, 10,000 by default: a full
recompute at scale 100 writes about as many) as the rows the engine writes, and inserts them
under other subject ids, in chunks of ``GAP_CHUNK_SIZE``, three ways:

* **product**: ``metrics.engine.persist._scores_insert``, what the engine runs (one
  ``jsonb_to_recordset`` statement per chunk on PostgreSQL);
* **bulk_create**: the write it replaced (model instances and ``bulk_create``);
* **floor**: PostgreSQL alone: the same rows already encoded as CSV, written with ``COPY``.

Each repetition (``--repeat``, at least 3) runs the three interleaved (which goes first
rotates), each in its own transaction rolled back at its end. Prints the minimum and median
of each, the ratios to the floor, and the machine's pace (``bench/cpu.py``) before and after.
"""

from __future__ import annotations

import argparse
import csv
import io
import json
import os
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from cpu import machine_pace, pace_line  # noqa: E402  (bench/cpu.py)


class _Rollback(Exception):
    pass


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--rows", type=int, default=10_000)
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    os.environ.setdefault("DEBUG", "true")
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "execsupport.settings")
    import django

    django.setup()
    from django.conf import settings
    from django.db import connection, transaction
    from django.utils import timezone

    from metrics.engine.persist import JSON_FIELDS, SCORE_FIELDS, _scores_insert
    from metrics.models import GapScore

    if connection.vendor != "postgresql":
        raise SystemExit("The figures are PostgreSQL's: set DATABASE_URL.")
    shift = 10**12  # subject ids no real subject has
    rows = [
        {"subject_type": g.subject_type, "subject_id": g.subject_id + shift}
        | {name: getattr(g, name) for name in SCORE_FIELDS}
        for g in GapScore.objects.filter(is_latest=True).order_by("id")[: args.rows]
    ]
    if not rows:
        raise SystemExit("No scores: run the engine first (seed_demo computes them).")
    now, today = timezone.now(), timezone.localdate()
    constants = {"computed_at": now, "as_of": today, "is_latest": True}
    size = settings.GAP_CHUNK_SIZE
    chunks = [rows[i : i + size] for i in range(0, len(rows), size)]
    columns = ["subject_type", "subject_id", *SCORE_FIELDS, "computed_at", "as_of", "is_latest"]

    def csv_of(chunk) -> str:
        out = io.StringIO()
        writer = csv.writer(out)
        for row in chunk:
            values = [
                json.dumps(row[c]) if c in JSON_FIELDS and row[c] is not None else row.get(c)
                for c in columns[:-3]
            ]
            writer.writerow(["" if v is None else v for v in values] + [now, today, "t"])
        return out.getvalue()

    encoded = [csv_of(chunk) for chunk in chunks]  # the floor starts from encoded rows
    copy_sql = (
        f"COPY {GapScore._meta.db_table} ({', '.join(columns)}) "
        "FROM STDIN WITH (FORMAT csv, NULL '')"
    )

    def product() -> None:
        for chunk in chunks:
            _scores_insert(chunk, constants=constants)

    def bulk() -> None:
        for chunk in chunks:
            GapScore.objects.bulk_create([GapScore(**r, **constants) for r in chunk])

    def floor() -> None:
        with connection.cursor() as cursor:
            for text in encoded:
                cursor.copy_expert(copy_sql, io.StringIO(text))

    ways = {"product": product, "bulk_create": bulk, "floor": floor}
    times: dict[str, list[float]] = {name: [] for name in ways}
    pace = machine_pace()
    for rep in range(max(3, args.repeat)):
        order = list(ways)[rep % 3 :] + list(ways)[: rep % 3]
        for name in order:
            try:
                with transaction.atomic():
                    began = time.perf_counter()
                    ways[name]()
                    times[name].append(time.perf_counter() - began)
                    raise _Rollback
            except _Rollback:
                pass
    print(f"{len(rows):,} score rows in {len(chunks)} chunks of {size}")
    low, mid = min(times["floor"]), statistics.median(times["floor"])
    for name, values in times.items():
        print(
            f"{name}: min {min(values) * 1e3:.0f} ms, median {statistics.median(values) * 1e3:.0f}"
            f" ms; ratio to the floor {min(values) / low:.2f} (min), "
            f"{statistics.median(values) / mid:.2f} (median)"
        )
    print(pace_line(pace, machine_pace()))


if __name__ == "__main__":
    main()
