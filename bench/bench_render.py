"""Time single cold renders of a page in-process: no server, no concurrency, so the figures hold
on a busy machine where ``bench_pages.py`` is noisy.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/es_bench \\
        python bench/bench_render.py --requests 30 [--queries] [--profile]

Production settings (``DEBUG=false``). Each request carries a unique query string, so it misses
the overview cache, the cost right after new data arrives. Prints wall-clock percentiles, the
number of SQL queries and the time spent in them; ``--queries`` lists the queries of the last
request with their durations, ``--explain`` shows their plans (PostgreSQL), ``--profile`` runs
one more request under cProfile.

On a shared machine even CPU time drifts by a third from one minute to the next. Two figures
do not:

* ``--statements`` reads PostgreSQL's own execution and planning time of each query from
  ``pg_stat_statements`` (``shared_preload_libraries = 'pg_stat_statements'`` and
  ``pg_stat_statements.track_planning = on`` in postgresql.conf, then ``CREATE EXTENSION
  pg_stat_statements`` in the database; resetting its counters needs a superuser);
* ``--instructions`` counts the instructions the app process runs per render, with valgrind's
  callgrind: the same count for the same code and data, however busy the machine (about two
  minutes for ``--requests 10``).
"""

from __future__ import annotations

import argparse
import cProfile
import os
import pstats
import re
import secrets
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


class QueryLog:
    """A connection execute wrapper recording each query's SQL and duration."""

    def __init__(self) -> None:
        self.queries: list[tuple[float, str]] = []
        self.statements: list[tuple[str, object]] = []

    def __call__(self, execute, sql, params, many, context):
        started = time.perf_counter()
        try:
            return execute(sql, params, many, context)
        finally:
            self.queries.append(((time.perf_counter() - started) * 1000, sql))
            self.statements.append((sql, params))


def cpu_ns(pid: int | str) -> int | None:
    """CPU time a process has used (``/proc/<pid>/schedstat``), None where unreadable."""
    try:
        return int(Path(f"/proc/{pid}/schedstat").read_text().split()[0])
    except (OSError, ValueError):
        return None


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--path", default="/overview/")
    parser.add_argument("--requests", type=int, default=30)
    parser.add_argument("--warmup", type=int, default=3)
    parser.add_argument("--user", default="leader")
    parser.add_argument("--queries", action="store_true", help="list the last request's queries")
    parser.add_argument("--profile", action="store_true", help="cProfile one more request")
    parser.add_argument("--sort", default="cumulative", help="profile order (pstats key)")
    parser.add_argument("--top", type=int, default=45, help="profile lines shown")
    parser.add_argument(
        "--explain", action="store_true", help="EXPLAIN ANALYZE the last request's queries"
    )
    parser.add_argument(
        "--statements",
        action="store_true",
        help="PostgreSQL's execution and planning time per query (pg_stat_statements)",
    )
    parser.add_argument(
        "--instructions",
        action="store_true",
        help="instructions per render of the app process (valgrind's callgrind)",
    )
    parser.add_argument("--bare", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.instructions:
        instructions_per_render(args)
        return

    os.environ.setdefault("DEBUG", "false")
    os.environ.setdefault("SECRET_KEY", secrets.token_urlsafe(50))
    os.environ.setdefault("ALLOWED_HOSTS", "testserver")
    os.environ.setdefault("SECURE_SSL_REDIRECT", "false")
    os.environ.setdefault("LOG_LEVEL", "WARNING")
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "execsupport.settings")
    sys.path.insert(0, str(ROOT))
    import django

    django.setup()
    from django.contrib.auth import get_user_model
    from django.db import connection
    from django.test import Client

    client = Client()
    client.force_login(get_user_model().objects.get(username=args.user))
    sep = "&" if "?" in args.path else "?"

    def get(n: str) -> tuple[float, QueryLog, int]:
        log = QueryLog()
        with connection.execute_wrapper(log):
            started = time.perf_counter()
            response = client.get(f"{args.path}{sep}cold={n}-{secrets.token_hex(4)}")
            elapsed = (time.perf_counter() - started) * 1000
        if response.status_code != 200:
            sys.exit(f"{args.path}: HTTP {response.status_code}")
        return elapsed, log, len(response.content)

    for i in range(args.warmup):
        get(f"warmup-{i}")
    if args.bare:  # the runs of --instructions: requests only
        for i in range(args.requests):
            get(str(i))
        return
    if args.statements:
        statements_reset(connection)
    # CPU time is steadier than wall-clock time on a shared machine: this process's and, when
    # the database runs on this host, its server process's.
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_backend_pid()" if connection.vendor == "postgresql" else "")
        backend = cursor.fetchone()[0] if connection.vendor == "postgresql" else None
    cpu_start = (cpu_ns("self"), cpu_ns(backend) if backend else None)
    timings, sql, counts, size, log = [], [], set(), 0, QueryLog()
    for i in range(args.requests):
        elapsed, log, size = get(str(i))
        timings.append(elapsed)
        sql.append(sum(ms for ms, _ in log.queries))
        counts.add(len(log.queries))
    cpu_end = (cpu_ns("self"), cpu_ns(backend) if backend else None)
    cpu = [
        f"{name} {(end - start) / 1e6 / args.requests:.0f} ms"
        for name, start, end in zip(("app", "database"), cpu_start, cpu_end, strict=True)
        if start is not None and end is not None
    ]
    ordered = sorted(timings)
    print(
        f"{args.path}: {len(timings)} cold renders | min {ordered[0]:.0f} ms, "
        f"p50 {statistics.median(timings):.0f} ms, p90 {ordered[int(0.9 * (len(ordered) - 1))]:.0f}"
        f" ms | SQL p50 {statistics.median(sql):.0f} ms in {sorted(counts)} queries | "
        f"CPU per render: {', '.join(cpu) or 'n/a'} | HTML {size / 1024:.0f} KiB"
    )
    if args.queries:
        for ms, statement in log.queries:
            print(f"{ms:7.2f} ms  {statement[:240]}")
    if args.explain:
        with connection.cursor() as cursor:
            for statement, params in log.statements:
                cursor.execute(f"EXPLAIN (ANALYZE, BUFFERS) {statement}", params)
                print("\n".join(row[0] for row in cursor.fetchall()), end="\n\n")
    if args.statements:
        statements_print(connection, args.requests)
    if args.profile:
        profiler = cProfile.Profile()
        profiler.enable()
        get("profile")
        profiler.disable()
        pstats.Stats(profiler).sort_stats(args.sort).print_stats(args.top)


def statements_reset(connection) -> None:
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_stat_statements_reset()")


def statements_print(connection, requests: int) -> None:
    """Mean execution and planning time of each query the renders ran, slowest first."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT total_exec_time, total_plan_time, calls, plans, query"
            " FROM pg_stat_statements WHERE dbid = (SELECT oid FROM pg_database"
            " WHERE datname = current_database()) AND calls >= %s"
            " ORDER BY total_exec_time + total_plan_time DESC",
            [requests],
        )
        rows = cursor.fetchall()
    execute = sum(row[0] for row in rows) / requests
    plan = sum(row[1] for row in rows) / requests
    print(f"PostgreSQL per render: execution {execute:.1f} ms, planning {plan:.1f} ms")
    for total_exec, total_plan, calls, plans, query in rows:
        print(
            f"{total_exec / calls:7.2f} ms exec {total_plan / max(plans, 1):6.2f} ms plan  "
            f"{' '.join(query.split())[:150]}"
        )


def instructions_per_render(args) -> None:
    """The app process's instructions for ``--requests`` renders: callgrind's count of a run
    with them less that of a run without (start-up and warm-up cancel out)."""
    counts = []
    for requests in (0, args.requests):
        with tempfile.TemporaryDirectory() as tmp:
            out = Path(tmp) / "callgrind.out"
            subprocess.run(
                [
                    *("valgrind", "--tool=callgrind", f"--callgrind-out-file={out}"),
                    *(sys.executable, __file__, "--bare", "--path", args.path),
                    *("--user", args.user, "--requests", str(requests), "--warmup", "2"),
                ],
                check=True,
                capture_output=True,
            )
            found = re.search(r"^(?:summary|totals): (\d+)", out.read_text(), re.MULTILINE)
            counts.append(int(found.group(1)))
    per_render = (counts[1] - counts[0]) / max(args.requests, 1) / 1e6
    print(f"{args.path}: {per_render:.1f} M instructions per cold render (app process, callgrind)")


if __name__ == "__main__":
    main()
