"""Benchmark of the REST API (figures for the issue; not a test, nothing is asserted).

Run on a PostgreSQL database seeded with ``seed_demo --scale 100`` (it is written to: API
tokens and 100,000 measurements dated 2015 are added; re-running re-sends the same values,
which the ingestion then finds unchanged, so use a fresh copy for the "created" figure):

    createdb -T es_seed es_api_bench
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/es_api_bench python manage.py migrate
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/es_api_bench \\
    BENCH_REDIS_URL=redis://127.0.0.1:6379/2 python bench/bench_api.py

It starts gunicorn on 127.0.0.1 with production settings (DEBUG=false, a SECRET_KEY,
SECURE_SSL_REDIRECT=false for loopback, a Redis broker so score recomputes are queued, not run
in the request) and prints:

* bulk ingestion of 100,000 measurements in 10 requests of 10,000 rows: rows/s
* a rejected 10,000-row batch with 100 bad rows: time to the 400 listing all 100
* p50/p95 latency of the KPI and initiative lists (100 items a page) at 10 concurrent
  clients, measured with locust (headless) on loopback: once polling the same pages (served
  from the version-keyed page cache after the first build) and once "cold" (every URL new, so
  every page is built from the database)
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import resource
import secrets
import signal
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

from cpu import cpu_seconds, cpu_spent, machine_pace, pace_line  # bench/cpu.py

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
PORT = 8765
BASE = f"http://127.0.0.1:{PORT}"


def _django() -> None:
    os.environ.setdefault("DEBUG", "true")
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "execsupport.settings")
    import django

    django.setup()


def _token(username: str | None) -> tuple[str, list[str]]:
    """An admin-scope token of a strategy-office person, and KPI keys to write to."""
    from django.contrib.auth import get_user_model

    from metrics.models import KPI
    from strategy.models import STRATEGY_OFFICE_GROUP
    from strategy.services import token_create

    users = get_user_model().objects
    user = (
        users.get(username=username)
        if username
        else users.filter(groups__name=STRATEGY_OFFICE_GROUP).first()
        or users.filter(is_superuser=True).first()
    )
    if user is None:
        sys.exit("No strategy-office user in this database: seed it with seed_demo first.")
    _, secret = token_create(user=user, name="bench", scopes=["admin"], created_by=user)
    keys = list(KPI.objects.order_by("id").values_list("key", flat=True)[:1000])
    return secret, keys


def _server(workers: int | None, broker: str) -> subprocess.Popen:
    env = {
        **os.environ,
        "DEBUG": "false",
        "SECRET_KEY": secrets.token_urlsafe(50),
        "SECURE_SSL_REDIRECT": "false",
        "SESSION_COOKIE_SECURE": "false",
        "CSRF_COOKIE_SECURE": "false",
        "ALLOWED_HOSTS": "127.0.0.1,localhost",
        "CELERY_BROKER_URL": broker,
        "CELERY_RESULT_BACKEND": broker,
        "CELERY_TASK_ALWAYS_EAGER": "false",
        "API_THROTTLE_TOKEN": "1000000/min",
        "API_THROTTLE_USER": "1000000/min",
        "LOG_LEVEL": "WARNING",
        # Connections kept for the whole run (production: 60 s), so that no PostgreSQL
        # backend exits mid-run taking its CPU time out of the per-request figures.
        "CONN_MAX_AGE": "3600",
    }
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "gunicorn",
            "--config",
            "python:execsupport.gunicorn_conf",
            "execsupport.wsgi:application",
            "--bind",
            f"127.0.0.1:{PORT}",
            *(["--workers", str(workers)] if workers else []),
            "--access-logfile",
            "/dev/null",
            "--timeout",
            "120",
            "--log-level",
            "warning",
        ],
        cwd=ROOT,
        env=env,
        start_new_session=True,
    )
    for _ in range(100):
        try:
            urllib.request.urlopen(f"{BASE}/healthz", timeout=1)  # noqa: S310  (loopback)
            return process
        except OSError:
            time.sleep(0.2)
    process.kill()
    sys.exit("gunicorn did not start")


def _post(path: str, token: str, body: bytes) -> tuple[int, dict, float]:
    request = urllib.request.Request(  # noqa: S310  (loopback)
        f"{BASE}{path}",
        data=body,
        method="POST",
        headers={"Authorization": f"Bearer {token}", "Content-Type": "application/json"},
    )
    start = time.perf_counter()
    try:
        with urllib.request.urlopen(request, timeout=120) as response:  # noqa: S310
            status, payload = response.status, response.read()
    except urllib.error.HTTPError as exc:
        status, payload = exc.code, exc.read()
    return status, json.loads(payload), time.perf_counter() - start


def _batches(keys: list[str], total: int, size: int) -> list[list[dict]]:
    import datetime as dt

    start = dt.date(2015, 1, 1)
    days = total // len(keys) + 1
    rows = [
        {"kpi": key, "as_of": (start + dt.timedelta(days=d)).isoformat(), "value": 10.0 + d / 7}
        for d in range(days)
        for key in keys
    ][:total]
    return [rows[i : i + size] for i in range(0, total, size)]


def bench_ingest(token: str, keys: list[str]) -> None:
    batches = _batches(keys, 100_000, 10_000)
    bodies = [json.dumps({"measurements": b}).encode() for b in batches]
    start = time.perf_counter()
    created = updated = unchanged = 0
    for body in bodies:
        status, payload, _ = _post("/api/v1/measurements/ingest/", token, body)
        if status != 200:
            sys.exit(f"ingestion failed: {status} {str(payload)[:300]}")
        created += payload["created"]
        updated += payload["updated"]
        unchanged += payload["unchanged"]
    elapsed = time.perf_counter() - start
    print(
        f"ingest: 100,000 rows in {elapsed:.2f} s = {100_000 / elapsed:,.0f} rows/s "
        f"(created {created}, updated {updated}, unchanged {unchanged}; 10 requests)"
    )


def bench_rejected(token: str, keys: list[str]) -> None:
    rows = _batches(keys, 10_000, 10_000)[0]
    for i in range(0, 10_000, 100):  # 100 bad rows, of several kinds
        rows[i] = {**rows[i], "value": ["NaN", None, True, 1e300][i // 100 % 4]}
    status, payload, elapsed = _post(
        "/api/v1/measurements/ingest/", token, json.dumps({"measurements": rows}).encode()
    )
    reported = len({e["index"] for e in payload.get("errors", [])})
    print(f"rejected batch: {status}, {reported} bad rows reported in {elapsed * 1000:.0f} ms")


def settle() -> None:
    """What autovacuum would soon do after 100,000 new rows, done now: otherwise it may run
    during the latency runs and take one of the machine's cores from them (the lists
    themselves never read measurements)."""
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("VACUUM (ANALYZE) metrics_measurement, metrics_kpi")


LOCUSTFILE = """
import itertools, os
from locust import FastHttpUser, constant, task

HEADERS = {"Authorization": "Bearer " + os.environ["BENCH_TOKEN"]}
COLD = os.environ.get("BENCH_COLD") == "1"
COUNTER = itertools.count()


def query():
    # Cold: a filter that changes nothing but makes every URL (and so every ETag) new, so
    # each page is built from the database instead of the version-keyed page cache.
    extra = f"&updated_since=2000-01-01T00:00:00.{next(COUNTER) % 999999:06d}Z" if COLD else ""
    return "?page_size=100" + extra


class ApiReader(FastHttpUser):  # the light client: the cores are the server's
    wait_time = constant(0)

    @task
    def kpis(self):
        self.client.get("/api/v1/kpis/" + query(), headers=HEADERS, name="kpis")

    @task
    def initiatives(self):
        self.client.get("/api/v1/initiatives/" + query(), headers=HEADERS, name="initiatives")
"""


def bench_latency(token: str, seconds: int, *, cold: bool) -> None:
    print(f"--- {'cold: every page built from the database' if cold else 'polling: page cache'}")
    pace = machine_pace()
    before = cpu_seconds() if os.path.isdir("/proc") else {}
    children = resource.getrusage(resource.RUSAGE_CHILDREN)  # locust, once it has exited
    total = 0
    with tempfile.TemporaryDirectory() as tmp:
        locustfile = Path(tmp) / "locustfile.py"
        locustfile.write_text(LOCUSTFILE)
        prefix = Path(tmp) / "stats"
        subprocess.run(
            [
                sys.executable,
                "-m",
                "locust",
                "-f",
                str(locustfile),
                "--headless",
                "-u",
                "10",
                "-r",
                "10",
                "-t",
                f"{seconds}s",
                "--host",
                BASE,
                "--csv",
                str(prefix),
                "--only-summary",
                "--loglevel",
                "WARNING",
            ],
            env={**os.environ, "BENCH_TOKEN": token, "BENCH_COLD": "1" if cold else "0"},
            check=False,
            capture_output=True,
        )
        with open(f"{prefix}_stats.csv") as handle:
            for row in csv.DictReader(handle):
                print(
                    f"latency {row['Name']:<12} n={row['Request Count']:>6} "
                    f"failures={row['Failure Count']} p50={row['50%']} ms p95={row['95%']} ms "
                    f"p99={row['99%']} ms rps={float(row['Requests/s']):.0f}"
                )
                total = int(row["Request Count"])
    if before and total:
        spent = cpu_spent(before)
        used = resource.getrusage(resource.RUSAGE_CHILDREN)
        spent["locust"] = used.ru_utime + used.ru_stime - children.ru_utime - children.ru_stime
        print(
            "CPU per request: "
            + ", ".join(f"{group} {spent[group] / total * 1000:.1f} ms" for group in sorted(spent))
            + " ('other': the rest of the machine)"
        )
    print(pace_line(pace, machine_pace()))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument(
        "--workers", type=int, help="gunicorn workers (default: the production setting)"
    )
    parser.add_argument("--seconds", type=int, default=30, help="locust run time (default 30)")
    parser.add_argument("--username", help="strategy-office user whose token is used")
    parser.add_argument("--skip-ingest", action="store_true")
    args = parser.parse_args()
    if "postgres" not in os.environ.get("DATABASE_URL", ""):
        sys.exit("Set DATABASE_URL to a PostgreSQL database seeded with seed_demo --scale 100.")
    broker = os.environ.get("BENCH_REDIS_URL", "redis://127.0.0.1:6379/2")
    _django()
    token, keys = _token(args.username)
    server = _server(args.workers, broker)
    try:
        if not args.skip_ingest:
            bench_ingest(token, keys)
            settle()
        bench_rejected(token, keys)
        bench_latency(token, args.seconds, cold=False)
        bench_latency(token, args.seconds, cold=True)
    finally:
        os.killpg(server.pid, signal.SIGTERM)
        server.wait(timeout=30)
        import redis

        redis.Redis.from_url(broker).flushdb()  # the queued recomputes: no worker ran them


if __name__ == "__main__":
    main()
