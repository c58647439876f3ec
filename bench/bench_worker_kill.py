"""A full recompute whose worker is killed (``kill -9``) mid-chunk, on the demo data: how long
until another worker finishes it, and whether its scores equal a clean run's (figures for issue
#12; ``tests/integration/test_recompute_run_recovery.py`` pins the behaviour).

    python bench/bench_worker_kill.py [--chunk-size 10] [--lease 20] [--sweep-seconds 30]

Without ``DATABASE_URL`` it seeds ``seed_demo --seed 7`` into a new SQLite file (about 30 s).
It starts its own ``redis-server`` on a free port and a worker in which one KPI chunk hangs
once claimed (``tests.integration.hanging_worker``), plans a run as the nightly beat task does
(for a week after the seed, so that every score changes), kills that worker while the chunk is in flight, shows what is left undone, then starts a
second worker with beat embedded (the sweep every ``--sweep-seconds``) and times the run to its
end. Finally a clean in-process ``full_recompute`` at the run's moment must change nothing.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import signal
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _worker(name: str, app: str, env: dict, args: list[str], folder: str) -> subprocess.Popen:
    log_path = Path(folder) / f"{name}.log"
    with log_path.open("w") as log:
        proc = subprocess.Popen(
            [
                sys.executable, "-m", "celery", "-A", app, "worker", "--pool=solo",
                "--loglevel=INFO", "--without-gossip", "--without-mingle",
                "--without-heartbeat", f"--hostname={name}@%h", *args,
            ],
            cwd=ROOT,
            env={**os.environ, **env},
            stdout=log,
            stderr=subprocess.STDOUT,
        )  # fmt: skip
    for _ in range(300):
        if " ready." in log_path.read_text():
            return proc
        if proc.poll() is not None:
            break
        time.sleep(0.2)
    sys.exit(f"worker {name} did not start: {log_path.read_text()[-2000:]}")


def _wait(predicate, timeout: float):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(0.2)
    return None


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--chunk-size", type=int, default=10)
    parser.add_argument("--lease", type=int, default=20, help="GAP_CHUNK_LEASE_SECONDS")
    parser.add_argument("--sweep-seconds", type=float, default=30, help="the sweep's interval")
    args = parser.parse_args()
    folder = tempfile.mkdtemp(prefix="bench-kill-")
    os.environ.setdefault("DEBUG", "true")
    os.environ.setdefault("EMAIL_URL", "dummymail://")
    if "DATABASE_URL" not in os.environ:
        os.environ["DATABASE_URL"] = f"sqlite:///{folder}/demo.sqlite3"
        for command in (["migrate", "-v", "0"], ["seed_demo", "--seed", "7"]):
            subprocess.run(
                [sys.executable, "manage.py", *command], cwd=ROOT, check=True,
                stdout=subprocess.DEVNULL,
            )  # fmt: skip
    redis_port = _free_port()
    redis_server = subprocess.Popen(
        ["redis-server", "--port", str(redis_port), "--save", "", "--appendonly", "no"],
        stdout=subprocess.DEVNULL,
    )
    broker = f"redis://127.0.0.1:{redis_port}/0"
    os.environ.update(
        CELERY_BROKER_URL=broker,
        CELERY_TASK_ALWAYS_EAGER="false",
        GAP_CHUNK_SIZE=str(args.chunk_size),
        GAP_CHUNK_LEASE_SECONDS=str(args.lease),
        GAP_SWEEP_MINUTES=str(args.sweep_seconds / 60),
    )
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "execsupport.settings")
    import django

    django.setup()
    from django.utils import timezone

    from metrics.engine import full_recompute
    from metrics.engine.runs import run_start
    from metrics.models import DirtySubject, GapScore, RecomputeChunk, RecomputeRun

    workers = []
    try:
        time.sleep(0.5)
        doomed = _worker(
            "doomed", "tests.integration.hanging_worker", {"HANG_CHUNK": "kpis:1"}, [], folder
        )
        workers.append(doomed)
        # A week after the seed's scores, so that every score changes and whatever a stalled
        # stage leaves undone shows as a latest score of an older day.
        later = timezone.now() + dt.timedelta(days=7)
        run = run_start(today=timezone.localdate(later), now=later)
        chunks = RecomputeChunk.objects.filter(run=run)
        print(
            f"run {run.pk}: {chunks.filter(stage='kpis').count()} KPI chunks, "
            f"{chunks.filter(stage='initiatives').count()} initiative chunks, rollup, notify"
        )
        if not _wait(lambda: chunks.filter(stage="kpis", position=1, status="running"), 60):
            sys.exit("the chunk to hang was never claimed")
        os.kill(doomed.pid, signal.SIGKILL)
        doomed.wait()
        killed = time.monotonic()
        time.sleep(2)
        stale = GapScore.objects.filter(is_latest=True, as_of__lt=run.today).count()
        total = GapScore.objects.filter(is_latest=True).count()
        print(
            f"after kill -9: {stale} of {total} latest scores older than the run, "
            f"{DirtySubject.objects.count()} dirty marks, chunks "
            f"{dict(chunks.values_list('status').annotate(n=django.db.models.Count('id')))}"
        )
        rescuer = _worker(
            "rescuer", "execsupport", {}, ["--beat", f"--schedule={folder}/beat"], folder
        )
        workers.append(rescuer)
        ready = time.monotonic()
        budget = args.sweep_seconds + args.lease + 120
        if not _wait(lambda: RecomputeRun.objects.filter(id=run.pk, status="finished"), budget):
            sys.exit(f"the run did not finish within {budget:.0f} s (see {folder})")
        done = time.monotonic()
        print(
            f"finished {done - ready:.1f} s after the new worker was ready "
            f"({done - killed:.1f} s after the kill; sweep every {args.sweep_seconds:g} s, "
            f"lease {args.lease} s)"
        )
    finally:
        for proc in workers:
            if proc.poll() is None:
                proc.terminate()
                proc.wait(timeout=30)
        redis_server.kill()
    stale = GapScore.objects.filter(is_latest=True, as_of__lt=run.today).count()
    clean = full_recompute(today=run.today, now=run.as_of)
    print(
        f"afterwards: {stale} latest scores older than the run, "
        f"{DirtySubject.objects.count()} dirty marks; a clean run changed {clean.written} scores"
    )


if __name__ == "__main__":
    main()
