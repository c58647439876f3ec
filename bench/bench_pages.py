"""Benchmark the server-rendered pages against gunicorn with production settings (loopback).

Goal (issue 5): with ``seed_demo --scale 100`` on PostgreSQL the overview renders in under
300 ms p95 at 5 concurrent clients, with the HTML under 1 MB.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/es_bench \\
        python bench/bench_pages.py --requests 200 --clients 5

The script collects static files, starts gunicorn (``DEBUG=false``, TLS redirects and secure
cookies switched off because this is plain HTTP on 127.0.0.1), signs each client in as the demo
leader, warms up, then fires the requests and prints latency percentiles and page sizes.
It never times anything inside the test suite.
"""

from __future__ import annotations

import argparse
import http.cookiejar
import os
import re
import secrets
import signal
import statistics
import subprocess
import sys
import threading
import time
import urllib.parse
import urllib.request
from pathlib import Path

from cpu import cpu_seconds, cpu_spent, machine_pace, pace_line  # bench/cpu.py

ROOT = Path(__file__).resolve().parents[1]


class Client:
    def __init__(self, base: str):
        self.base = base
        self.jar = http.cookiejar.CookieJar()
        self.opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(self.jar))

    def get(self, path: str) -> tuple[int, bytes]:
        with self.opener.open(self.base + path, timeout=60) as response:
            return response.status, response.read()

    def sign_in(self, username: str, password: str) -> None:
        _, html = self.get("/accounts/login/")
        token = re.search(rb'name="csrfmiddlewaretoken" value="([^"]+)"', html).group(1).decode()
        data = urllib.parse.urlencode(
            {"login": username, "password": password, "csrfmiddlewaretoken": token}
        ).encode()
        request = urllib.request.Request(  # noqa: S310
            self.base + "/accounts/login/", data=data, headers={"Referer": self.base + "/"}
        )
        with self.opener.open(request, timeout=60) as response:
            if "/accounts/login/" in response.url:
                sys.exit(f"Sign-in as {username!r} failed: is the demo seeded?")


def server_start(port: int, workers: int | None) -> subprocess.Popen:
    env = {
        **os.environ,
        "DEBUG": "false",
        "SECRET_KEY": os.environ.get("SECRET_KEY") or secrets.token_urlsafe(50),
        "ALLOWED_HOSTS": "127.0.0.1,localhost",
        "SECURE_SSL_REDIRECT": "false",
        "SESSION_COOKIE_SECURE": "false",
        "CSRF_COOKIE_SECURE": "false",
        "SECURE_HSTS_SECONDS": "0",
        "LOG_LEVEL": "WARNING",
        # Connections kept for the whole run (production: 60 s), so that no PostgreSQL
        # backend exits mid-run taking its CPU time out of the per-request figures.
        "CONN_MAX_AGE": "3600",
    }
    python = sys.executable
    subprocess.run(
        [python, "manage.py", "collectstatic", "--no-input", "-v0"], cwd=ROOT, env=env, check=True
    )
    gunicorn = str(Path(python).with_name("gunicorn"))
    process = subprocess.Popen(
        [
            gunicorn,
            "--config",
            "python:execsupport.gunicorn_conf",
            "execsupport.wsgi",
            "--bind",
            f"127.0.0.1:{port}",
            *(["--workers", str(workers)] if workers else []),
            "--access-logfile",
            "/dev/null",
            "--log-level",
            "warning",
        ],
        cwd=ROOT,
        env=env,
    )
    for _ in range(100):
        try:
            urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=2)
            return process
        except OSError:
            time.sleep(0.2)
    process.kill()
    sys.exit("gunicorn did not start")


def client_run(
    client: Client, path: str, n: int, timings: list[float], sizes: set[int], lock
) -> None:
    for i in range(n):
        started = time.perf_counter()
        status, body = client.get(path.replace("{n}", f"{id(client)}-{i}"))
        elapsed = (time.perf_counter() - started) * 1000
        if status != 200:
            raise RuntimeError(f"{path}: HTTP {status}")
        with lock:
            timings.append(elapsed)
            sizes.add(len(body))


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(share * (len(ordered) - 1)))]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--paths", nargs="+", default=["/overview/"])
    parser.add_argument("--clients", type=int, default=5)
    parser.add_argument("--requests", type=int, default=200, help="per path, over all clients")
    parser.add_argument("--warmup", type=int, default=10)
    parser.add_argument(
        "--workers", type=int, help="gunicorn workers (default: the production setting)"
    )
    parser.add_argument("--port", type=int, default=8799)
    parser.add_argument("--user", default="leader")
    parser.add_argument("--password", default="execsupport-demo")
    parser.add_argument("--url", help="benchmark a server already running here instead")
    parser.add_argument(
        "--cold",
        action="store_true",
        help="make every request miss the overview cache (a unique query string each time): "
        "the cost right after new data arrives",
    )
    args = parser.parse_args()

    process = None if args.url else server_start(args.port, args.workers)
    base = args.url or f"http://127.0.0.1:{args.port}"
    try:
        clients = [Client(base) for _ in range(args.clients)]
        for client in clients:
            client.sign_in(args.user, args.password)
        paths = [f"{p}{'&' if '?' in p else '?'}cold={{n}}" if args.cold else p for p in args.paths]
        for path in paths:
            for i in range(args.warmup):
                clients[0].get(path.replace("{n}", f"warmup-{i}"))
            timings: list[float] = []
            sizes: set[int] = set()
            per_client = max(1, args.requests // args.clients)
            lock = threading.Lock()
            threads = [
                threading.Thread(
                    target=client_run, args=(c, path, per_client, timings, sizes, lock)
                )
                for c in clients
            ]
            pace = machine_pace()
            before = cpu_seconds() if os.path.isdir("/proc") else {}
            wall = time.perf_counter()
            for thread in threads:
                thread.start()
            for thread in threads:
                thread.join()
            wall = time.perf_counter() - wall
            print(
                f"{path}: {len(timings)} requests, {args.clients} clients, "
                f"{len(timings) / wall:.1f} req/s | "
                f"p50 {statistics.median(timings):.0f} ms, p95 {percentile(timings, 0.95):.0f} ms, "
                f"p99 {percentile(timings, 0.99):.0f} ms, max {max(timings):.0f} ms | "
                f"HTML {max(sizes) / 1024:.0f} KiB"
            )
            if before:
                spent = cpu_spent(before)
                print(
                    "  CPU per request: "
                    + ", ".join(
                        f"{group} {spent[group] / len(timings) * 1000:.1f} ms"
                        for group in sorted(spent)
                    )
                    + " ('client': this script's threads; 'other': the rest of the machine)"
                )
            print(pace_line(pace, machine_pace()))
    finally:
        if process is not None:
            process.send_signal(signal.SIGTERM)
            process.wait(timeout=20)


if __name__ == "__main__":
    main()
