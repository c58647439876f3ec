"""Write latency with the Celery broker (Redis) up and down (figures for issue #12; nothing is
asserted: ``tests/integration/test_broker_outage.py`` pins the mechanism).

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/es_bench python bench/bench_broker_outage.py

Without ``DATABASE_URL`` it uses a new SQLite file in a temporary folder. It migrates the
database, adds one KPI and a strategy-office API token, starts a private ``redis-server`` on a
free port and gunicorn (one worker, production settings, that Redis as broker *and* result
backend, so a result backend that enqueueing touched would show), then times ``POST
/api/v1/measurements/`` (a new value each time, so every request writes and enqueues a
recompute): ``--writes`` requests with Redis up, then the same after ``kill -9`` of Redis.
It prints p50 / p95 / max per phase, how many writes were stored, and that the KPI is still
marked dirty (no worker runs here: the sweep recomputes it once a worker and Redis are back).
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import secrets
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _prepare() -> tuple[str, str]:
    """Migrate, then an admin-scope token and one KPI key to write to."""
    subprocess.run(
        [sys.executable, "manage.py", "migrate", "--no-input", "-v", "0"], cwd=ROOT, check=True
    )
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "execsupport.settings")
    import django

    django.setup()
    from django.contrib.auth.models import Group

    from strategy.models import STRATEGY_OFFICE_GROUP
    from strategy.services import token_create
    from tests.factories import KPIFactory, UserFactory

    user = UserFactory(username=f"bench-{secrets.token_hex(4)}")
    user.groups.add(Group.objects.get_or_create(name=STRATEGY_OFFICE_GROUP)[0])
    _, secret = token_create(user=user, name="bench", scopes=["admin"], created_by=user)
    return secret, KPIFactory().key


def _gunicorn(port: int, broker: str) -> subprocess.Popen:
    env = {
        **os.environ,
        "DEBUG": "false",
        "SECRET_KEY": secrets.token_urlsafe(50),
        "SECURE_SSL_REDIRECT": "false",
        "ALLOWED_HOSTS": "127.0.0.1",
        "CELERY_BROKER_URL": broker,
        "CELERY_RESULT_BACKEND": broker,
        "CELERY_TASK_ALWAYS_EAGER": "false",
        "LOG_LEVEL": "ERROR",
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
            f"127.0.0.1:{port}",
            "--workers",
            "1",
            "--access-logfile",
            "/dev/null",
            "--log-level",
            "warning",
        ],
        cwd=ROOT,
        env=env,
        start_new_session=True,
    )
    for _ in range(150):
        try:
            urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=1)
            return process
        except urllib.error.HTTPError:
            return process  # answering (a degraded dependency is reported, not a hang)
        except OSError:
            time.sleep(0.2)
    process.kill()
    sys.exit("gunicorn did not start")


def _write(port: int, token: str, key: str, day: dt.date, value: float) -> tuple[int, float]:
    body = json.dumps({"kpi": key, "as_of": day.isoformat(), "value": value}).encode()
    request = urllib.request.Request(
        f"http://127.0.0.1:{port}/api/v1/measurements/",
        data=body,
        method="POST",
        headers={"Authorization": f"Bearer {token}", "Content-Type": "application/json"},
    )
    started = time.perf_counter()
    try:
        with urllib.request.urlopen(request, timeout=120) as response:  # noqa: S310
            status = response.status
    except urllib.error.HTTPError as exc:
        status = exc.code
    return status, time.perf_counter() - started


def _phase(name: str, port: int, token: str, key: str, first: dt.date, n: int) -> None:
    timings, statuses = [], set()
    for i in range(n):
        status, seconds = _write(port, token, key, first + dt.timedelta(days=i), 10.0 + i)
        statuses.add(status)
        timings.append(seconds * 1000)
    timings.sort()
    p95 = timings[min(len(timings) - 1, round(0.95 * (len(timings) - 1)))]
    print(
        f"{name:<12} {n} writes: p50 {statistics.median(timings):7.1f} ms, p95 {p95:7.1f} ms, "
        f"max {timings[-1]:7.1f} ms; statuses {sorted(statuses)}"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--writes", type=int, default=50, help="requests per phase")
    args = parser.parse_args()
    if "DATABASE_URL" not in os.environ:
        folder = tempfile.mkdtemp(prefix="bench-broker-")
        os.environ["DATABASE_URL"] = f"sqlite:///{folder}/bench.sqlite3"
    os.environ.setdefault("DEBUG", "true")  # for migrate and the setup in this process
    token, key = _prepare()
    redis_port, web_port = _free_port(), _free_port()
    redis_server = subprocess.Popen(
        ["redis-server", "--port", str(redis_port), "--save", "", "--appendonly", "no"],
        stdout=subprocess.DEVNULL,
    )
    time.sleep(0.5)
    web = _gunicorn(web_port, f"redis://127.0.0.1:{redis_port}/0")
    try:
        _write(web_port, token, key, dt.date(2000, 1, 1), 0.0)  # warm-up (connections, imports)
        _phase("Redis up", web_port, token, key, dt.date(2001, 1, 1), args.writes)
        redis_server.send_signal(signal.SIGKILL)
        redis_server.wait()
        _phase("Redis down", web_port, token, key, dt.date(2002, 1, 1), args.writes)
    finally:
        os.killpg(web.pid, signal.SIGTERM)
        web.wait(timeout=30)
        if redis_server.poll() is None:
            redis_server.kill()
    from metrics.models import DirtySubject, Measurement

    stored = Measurement.objects.filter(kpi__key=key).count()
    marked = DirtySubject.objects.filter(subject_type="kpi").count()
    print(f"stored {stored} of {2 * args.writes + 1} writes; KPI still marked dirty: {marked}")


if __name__ == "__main__":
    main()
