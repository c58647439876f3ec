"""Two hot reads against their own SQL replayed with pgbench, as ratios (issue #19; not a test,
nothing is asserted).

Run on a PostgreSQL database seeded with ``seed_demo --scale 100 --history-weeks 0`` (an API
token is added to it):

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/es_h4 python bench/bench_replay.py
    ... python bench/bench_replay.py --repeat 3 --requests 300 --seconds 10 --explain

Two cases, each cold (``cold=<unique>`` in the query string: every request misses the page
cache, which is keyed on the full URL, and so builds the page from the database; the
parameter changes no query):

* **kpis**: ``GET /api/v1/kpis/?page_size=100`` with a strategy-office person's API token
  (``bench_api._token``), 10 clients; goal: ratio at most 4;
* **overview**: ``GET /overview/`` (where ``/`` sends a leader) signed in as ``--user``
  (``leader``, as ``bench_pages.py``: a strategy-office person must enrol a second factor
  under production settings), 5 clients; goal: ratio at most 2.

First the whole database is analysed (``ANALYZE``): what autovacuum does soon after a seed,
done now. A copy made with ``createdb -T`` carries no activity counters, so autovacuum may never
analyse it, and the planner then guesses from nothing (at scale 100, 3 objectives where there
are 1,600, and the overview's overdue-milestone read took 130 ms instead of a few).

For each, once before the timings:

* the queries of one cold request are captured in process (``query_plans.page_queries``, with
  the production settings' second-factor check on, which adds its query), as the literal SQL
  psycopg2 sent (parameters inlined);
* the reads among them (``SELECT``, ``WITH``, parenthesised ``UNION``) become one pgbench
  script, in the order the request ran them: one transaction of pgbench = one request's
  queries. Left out, and listed when the captured request ran any: writes (a token's
  ``last_used_at``, a session's last-seen stamp: each at most once a minute per token or
  session, ``strategy/permissions.py``, ``execsupport/sessions.py``; the warm-up request has
  just written them, so the captured one normally runs none), transaction control
  (``SAVEPOINT``, ``RELEASE``) and session setup (``SET``). The session's ``jit=off`` is given
  to pgbench as ``PGOPTIONS``, from the product's own connection options: once per
  connection, as the product's persistent connections (``CONN_MAX_AGE``) do.

Then, ``--repeat`` times (at least 3), interleaved, product then floor for each case:

* **product**: ``--requests`` requests over HTTP to gunicorn on loopback with production
  settings (``bench_pages.server_start``: ``DEBUG=false``, collected static files, TLS
  redirects off for plain HTTP, persistent connections), the clients of
  ``bench_pages.Client``; p50 and p95 of the client-side latency;
* **floor**: ``/usr/bin/pgbench -n -f script -c N -j 2 -T --seconds --log`` over TCP to the
  same database, same host and user; p50 and p95 from pgbench's per-transaction log.

It prints the replayed query count, each rep's figures and ratio (product p95 / floor p95),
the minimum and median ratio per case, and the machine's pace (``bench/cpu.py``) before and
after. ``--explain`` also prints ``EXPLAIN (ANALYZE, BUFFERS)`` of each replayed query (one
run each, in this process) and flags sequential scans.
"""

from __future__ import annotations

import argparse
import os
import re
import signal
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

from bench_api import _django, _token  # bench/bench_api.py
from bench_pages import Client, client_run, percentile, server_start  # bench/bench_pages.py
from cpu import machine_pace, pace_line  # bench/cpu.py
from query_plans import page_queries  # bench/query_plans.py

PGBENCH = "/usr/bin/pgbench"
READ = re.compile(r"^\s*\(*\s*(SELECT|WITH)\b", re.IGNORECASE)
GOALS = {"kpis": 4.0, "overview": 2.0}


def replayable(sqls: list[str]) -> tuple[list[str], list[str]]:
    """(the reads, in order; the rest: writes, transaction control, session setup)."""
    reads = [sql for sql in sqls if READ.match(sql)]
    return reads, [sql for sql in sqls if not READ.match(sql)]


def capture(path: str, **who) -> list[str]:
    from django.test import override_settings

    with override_settings(MFA_REQUIRED_FOR_STAFF=True):  # on in production
        status, sqls = page_queries(path, **who)
    if status != 200:
        sys.exit(f"{path}: HTTP {status} when captured")
    return sqls


def explain(reads: list[str]) -> None:
    from django.db import connection

    for number, sql in enumerate(reads, 1):
        with connection.cursor() as cursor:
            cursor.execute("EXPLAIN (ANALYZE, BUFFERS) " + sql)
            plan = "\n".join(f"      {row[0]}" for row in cursor.fetchall())
        scans = sorted(set(re.findall(r"Seq Scan on (\w+)", plan)))
        print(f"  [{number}] {sql[:300]}{'...' if len(sql) > 300 else ''}")
        print(f"    sequential scans: {', '.join(scans) or '-'}\n{plan}")


def pgbench_env() -> dict[str, str]:
    """The product's connection, for pgbench: same host, port, user, database, options."""
    from django.db import connection

    db = connection.settings_dict
    return {
        **os.environ,
        "PGHOST": db["HOST"] or "127.0.0.1",
        "PGPORT": str(db["PORT"] or 5432),
        "PGUSER": db["USER"],
        "PGPASSWORD": db["PASSWORD"] or "",
        "PGDATABASE": db["NAME"],
        "PGOPTIONS": db.get("OPTIONS", {}).get("options", ""),
    }


def floor_run(script: Path, clients: int, seconds: int, env: dict[str, str]) -> list[float]:
    """Milliseconds per transaction (one request's reads), from pgbench's log."""
    with tempfile.TemporaryDirectory() as tmp:
        prefix = Path(tmp) / "tx"
        done = subprocess.run(
            [
                *(PGBENCH, "-n", "-f", str(script), "-c", str(clients), "-j", "2"),
                *("-T", str(seconds), "--log", f"--log-prefix={prefix}"),
            ],
            env=env,
            capture_output=True,
            text=True,
            check=False,
        )
        if done.returncode != 0:
            sys.exit(f"pgbench failed:\n{done.stdout}\n{done.stderr}")
        latencies = [
            int(line.split()[2]) / 1000
            for log in Path(tmp).glob("tx.*")
            for line in log.read_text().splitlines()
        ]
    if not latencies:
        sys.exit("pgbench logged no transaction")
    return latencies


def product_run(clients: list[Client], path: str, requests: int) -> list[float]:
    timings: list[float] = []
    lock = threading.Lock()
    per_client = max(1, requests // len(clients))
    threads = [
        threading.Thread(target=client_run, args=(c, path, per_client, timings, set(), lock))
        for c in clients
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return timings


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument(
        "--requests", type=int, default=300, help="product requests per case and rep"
    )
    parser.add_argument("--seconds", type=int, default=10, help="pgbench run per case and rep")
    parser.add_argument("--warmup", type=int, default=10)
    parser.add_argument("--user", default="leader", help="the overview's reader")
    parser.add_argument("--password", default="execsupport-demo")
    parser.add_argument("--workers", type=int, help="gunicorn workers (default: production's)")
    parser.add_argument("--port", type=int, default=8797)
    parser.add_argument("--explain", action="store_true")
    parser.add_argument("--cases", nargs="+", default=["kpis", "overview"], choices=GOALS)
    args = parser.parse_args()
    if "postgres" not in os.environ.get("DATABASE_URL", ""):
        sys.exit("Set DATABASE_URL to a PostgreSQL database seeded with seed_demo --scale 100.")
    _django()
    from django.conf import settings
    from django.contrib.auth import get_user_model

    settings.ALLOWED_HOSTS = [*settings.ALLOWED_HOSTS, "testserver"]
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")
    token, _ = _token(None)
    reader = get_user_model().objects.get(username=args.user)
    cases = {
        "kpis": (
            "/api/v1/kpis/?page_size=100",
            10,
            {"headers": {"Authorization": f"Bearer {token}"}},
        ),
        "overview": ("/overview/", 5, {"user": reader}),
    }
    cases = {name: cases[name] for name in args.cases}
    tmp = tempfile.TemporaryDirectory()
    scripts: dict[str, Path] = {}
    for name, (path, _, who) in cases.items():
        cold = f"{path}{'&' if '?' in path else '?'}cold="
        sqls = capture(cold + "capture", warm_path=cold + "warmup", **who)
        reads, left_out = replayable(sqls)
        print(f"--- {name}: {path} cold, {len(sqls)} queries captured, {len(reads)} replayed")
        for sql in left_out:
            print(f"  left out: {sql[:120]}")
        if args.explain:
            explain(reads)
        scripts[name] = Path(tmp.name) / f"{name}.sql"
        scripts[name].write_text("".join(f"{sql};\n" for sql in reads))

    env = pgbench_env()
    # As bench_api.py: no throttling of the benchmark's own clients.
    os.environ.update({"API_THROTTLE_TOKEN": "1000000/min", "API_THROTTLE_USER": "1000000/min"})
    server = server_start(args.port, args.workers)
    base = f"http://127.0.0.1:{args.port}"
    ratios: dict[str, list[float]] = {name: [] for name in cases}
    try:
        clients: dict[str, list[Client]] = {}
        for name, (path, count, who) in cases.items():
            clients[name] = [Client(base) for _ in range(count)]
            for client in clients[name]:
                if "user" in who:
                    client.sign_in(args.user, args.password)
                else:
                    client.opener.addheaders = list(who["headers"].items())
            cold = f"{path}{'&' if '?' in path else '?'}cold="
            for i in range(args.warmup):
                client_run(
                    clients[name][i % count], cold + f"warm{i}", 1, [], set(), threading.Lock()
                )
        pace = machine_pace()
        for rep in range(max(3, args.repeat)):
            for name, (path, count, _) in cases.items():
                cold = f"{path}{'&' if '?' in path else '?'}cold=r{rep}-{{n}}"
                started = time.perf_counter()
                product = product_run(clients[name], cold, args.requests)
                wall = time.perf_counter() - started
                floor = floor_run(scripts[name], count, args.seconds, env)
                ratio = percentile(product, 0.95) / percentile(floor, 0.95)
                ratios[name].append(ratio)
                print(
                    f"rep {rep + 1} {name:<8} {count:>2} clients | product {len(product)} req "
                    f"({len(product) / wall:.0f}/s): p50 {statistics.median(product):.1f} ms, "
                    f"p95 {percentile(product, 0.95):.1f} ms | floor {len(floor)} tx "
                    f"({len(floor) / args.seconds:.0f}/s): p50 {statistics.median(floor):.1f} ms, "
                    f"p95 {percentile(floor, 0.95):.1f} ms | ratio {ratio:.1f}"
                )
        for name, values in ratios.items():
            print(
                f"{name}: p95 ratio min {min(values):.1f}, median {statistics.median(values):.1f}"
                f" (goal at most {GOALS[name]:g})"
            )
        print(pace_line(pace, machine_pace()))
    finally:
        server.send_signal(signal.SIGTERM)
        server.wait(timeout=20)
        tmp.cleanup()


if __name__ == "__main__":
    main()
