"""Real services for integration tests: a Redis broker and a ``celery worker`` process.

They skip when the service is absent on a developer machine, and fail when ``CI=true``.
``TEST_REDIS_URL`` picks the Redis database (default 15) so parallel runs can be kept apart.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest
import redis
from celery.result import allow_join_result
from django.db import connection

from execsupport.celery import app as celery_app
from tests.conftest import IN_CI

ROOT = Path(__file__).resolve().parents[2]


def _missing(reason: str) -> None:
    if IN_CI:
        pytest.fail(f"{reason} (CI=true: a missing service is a failure)")
    pytest.skip(reason)


@pytest.fixture(autouse=True)
def _integration_tests_share_one_xdist_worker(request: pytest.FixtureRequest) -> None:
    """Fail, rather than flake, when pytest-xdist would run these tests on several workers at
    once: they flush one Redis database and start Celery workers that consume one queue, so a
    worker started for one xdist worker's test database would take the other's tasks (CI once
    failed that way, with workers that "did not recompute within 30 s"). ``make test`` runs
    ``--dist loadgroup``, which keeps the ``integration`` group (tests/conftest.py) together."""
    if os.environ.get("PYTEST_XDIST_WORKER") and not request.node.nodeid.endswith("@integration"):
        pytest.fail(
            f"{request.node.nodeid} is not in the xdist group 'integration': run pytest-xdist "
            "with --dist loadgroup (as `make test` does), or without -n."
        )


@pytest.fixture(scope="session")
def redis_url() -> str:
    url = os.environ.get("TEST_REDIS_URL", "redis://127.0.0.1:6379/15")
    try:
        redis.Redis.from_url(url, socket_connect_timeout=1).ping()
    except redis.exceptions.RedisError as exc:
        _missing(f"Redis is not reachable at {url}: {exc}")
    return url


def database_url_for_worker() -> str:
    """The URL of the database the current test uses, for a worker in another process."""
    s = connection.settings_dict
    if connection.vendor == "sqlite":
        name = s["NAME"]
        if name == ":memory:" or "mode=memory" in str(name):
            pytest.fail("A worker process cannot share an in-memory SQLite database.")
        return f"sqlite:///{name}"
    if connection.vendor == "postgresql":
        auth = s["USER"] or ""
        if s.get("PASSWORD"):
            auth += f":{s['PASSWORD']}"
        host = s["HOST"] or "127.0.0.1"
        port = s["PORT"] or 5432
        return f"postgres://{auth}@{host}:{port}/{s['NAME']}"
    pytest.fail(f"No worker URL for database vendor {connection.vendor}")
    raise AssertionError  # unreachable


@pytest.fixture
def broker(redis_url: str) -> Iterator[str]:
    """Point this process's Celery app at the real Redis broker for the test."""
    saved = {
        key: celery_app.conf[key] for key in ("broker_url", "result_backend", "task_always_eager")
    }
    redis.Redis.from_url(redis_url).flushdb()
    celery_app.conf.update(broker_url=redis_url, result_backend=redis_url, task_always_eager=False)
    _reset_connections()
    try:
        # This process is no worker, so it may wait for results. Celery's "inside a task"
        # flag is a process global: eager tasks run in threads by other tests (e.g.
        # tests/api/test_concurrency.py) can leave it set, refusing every .get() after them.
        with allow_join_result():
            yield redis_url
    finally:
        celery_app.conf.update(saved)
        _reset_connections()


def _reset_connections() -> None:
    celery_app._pool = None
    celery_app.amqp._producer_pool = None
    celery_app.__dict__.pop("backend", None)
    celery_app._local.__dict__.clear()


def worker_start(
    broker: str,
    *,
    name: str,
    app: str = "execsupport",
    env: dict | None = None,
    args=(),
    pool: str = "solo",
) -> subprocess.Popen:
    """Start a real ``celery worker`` on the test database and ``broker``; return once it is
    ready. ``app`` may be a test module wrapping the project's app (fault injection); ``pool``
    ``prefork`` runs one child process. The worker leads its own process group (``worker_stop``
    also ends orphaned children); its log is ``test-artifacts/celery-<name>-<pid>.log``
    (``proc.log_path``)."""
    env = {
        **os.environ,
        "DEBUG": "true",
        "DATABASE_URL": database_url_for_worker(),
        "CELERY_BROKER_URL": broker,
        "CELERY_RESULT_BACKEND": broker,
        "CELERY_TASK_ALWAYS_EAGER": "false",
        "PYTHONUNBUFFERED": "1",
        **(env or {}),
    }
    log_path = ROOT / "test-artifacts" / f"celery-{name}-{os.getpid()}.log"
    log_path.parent.mkdir(exist_ok=True)
    log = log_path.open("w")
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "celery",
            "-A",
            app,
            "worker",
            f"--pool={pool}",
            *(["--concurrency=1"] if pool == "prefork" else []),
            "--loglevel=INFO",
            "--without-gossip",
            "--without-mingle",
            "--without-heartbeat",
            f"--hostname={name}-{os.getpid()}@%h",
            *args,
        ],
        cwd=ROOT,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    log.close()  # the child keeps its own descriptor
    proc.log_path = log_path
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            pytest.fail(f"celery worker exited with {proc.returncode}: {log_path.read_text()}")
        if " ready." in log_path.read_text():
            return proc
        time.sleep(0.2)
    worker_stop(proc)
    pytest.fail(f"celery worker did not start within 60 s: {log_path.read_text()}")
    raise AssertionError  # unreachable


def worker_stop(proc: subprocess.Popen) -> None:
    """Stop a worker (warm shutdown, then kill), and kill whatever is left of its process
    group (pool children orphaned by a killed main process)."""
    if proc.poll() is None:
        proc.terminate()
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
    with contextlib.suppress(ProcessLookupError):  # an empty group is gone already
        os.killpg(proc.pid, signal.SIGKILL)


@pytest.fixture
def celery_worker_process(transactional_db, broker: str) -> Iterator[subprocess.Popen]:
    """A real ``celery worker`` in its own process, on the test database and the real broker."""
    proc = worker_start(broker, name="test")
    try:
        yield proc
    finally:
        worker_stop(proc)


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@dataclass
class RedisServer:
    """A ``redis-server`` process of the test's own, to stop and start again (outage tests);
    the shared Redis of ``redis_url`` is never touched."""

    port: int
    process: subprocess.Popen | None = field(default=None, repr=False)

    def url(self, db: int = 0) -> str:
        return f"redis://127.0.0.1:{self.port}/{db}"

    def start(self) -> None:
        self.process = subprocess.Popen(
            [
                "redis-server",
                "--port",
                str(self.port),
                "--bind",
                "127.0.0.1",
                "--save",
                "",
                "--appendonly",
                "no",
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            try:
                redis.Redis(port=self.port, socket_connect_timeout=0.2).ping()
                return
            except redis.exceptions.ConnectionError:
                time.sleep(0.05)
        pytest.fail(f"redis-server did not start on port {self.port}")

    def stop(self) -> None:
        """Kill the server (SIGKILL: an outage, not a clean shutdown) and wait until it is gone."""
        if self.process is not None:
            self.process.kill()
            self.process.wait(timeout=10)
            self.process = None


@pytest.fixture
def redis_server() -> Iterator[RedisServer]:
    """A private, running Redis on a free port; killed at the end of the test."""
    if shutil.which("redis-server") is None:
        _missing("redis-server is not installed")
    server = RedisServer(port=_free_port())
    server.start()
    try:
        yield server
    finally:
        server.stop()
