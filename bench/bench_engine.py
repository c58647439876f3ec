"""Benchmark of the gap engine (figures for the issue; not a test, nothing is asserted).

Usage, on a PostgreSQL database seeded with ``seed_demo --scale 100`` (it is written to:
scores, alerts and a few measurements are added):

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/es_engine_bench \\
    BENCH_REDIS_URL=redis://127.0.0.1:6379/1 python bench/bench_engine.py

Prints, each on its own line:

* full recompute, cold (no scores yet) and warm (nothing changed): wall time, peak memory
  of the process, SQL queries, chunks; each in a fresh child process
* incremental recompute after one new measurement: task time and queries (median, p95, max)
* write-to-visible latency with an idle real ``celery worker`` (p50, p95) — needs Redis
* with ``--forecast``, only the forecast stage of a full recompute: the current method against
  the Theil-Sen one it replaced (bench/forecast_theil_sen.py), reads and forecasts, one run
* bottom-up rollup of a 5,000-objective tree (pure maths, the engine's own functions), and the
  database rollup of every objective, team, theme and strategy of the seeded plan
"""

from __future__ import annotations

import argparse
import json
import math
import os
import random
import resource
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def _setup(broker: str | None = None) -> None:
    os.environ.setdefault("DEBUG", "true")
    # Notifications are built and claimed, but not printed: the bench measures the engine.
    os.environ.setdefault("EMAIL_URL", "dummymail://")
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "execsupport.settings")
    if broker:
        os.environ["CELERY_BROKER_URL"] = broker
        os.environ["CELERY_RESULT_BACKEND"] = broker
        os.environ["CELERY_TASK_ALWAYS_EAGER"] = "false"
    import django

    django.setup()


class QueryCounter:
    def __init__(self) -> None:
        self.count = 0

    def __call__(self, execute, sql, params, many, context):
        self.count += 1
        return execute(sql, params, many, context)


def _chunk(kind: str, ids: list[int], today, now) -> tuple[dict, int]:
    """One chunk in a pool process, as one Celery worker would run it."""
    from django.db import connection

    from metrics.engine import initiatives_chunk_recompute, kpis_chunk_recompute

    counter = QueryCounter()
    with connection.execute_wrapper(counter):
        if kind == "kpis":
            stats = kpis_chunk_recompute(kpi_ids=ids, today=today, now=now, notify=False)
        else:
            stats = initiatives_chunk_recompute(
                initiative_ids=ids, today=today, now=now, notify=False
            )
    return stats.as_dict(), counter.count


def _parallel(kpi_chunks, initiative_chunks, workers: int, counter: QueryCounter):
    """The nightly plan (KPI chunks, then initiative chunks, then the rollup) on ``workers``
    processes: what a recorded run (metrics.engine.runs) does with that many workers."""
    import multiprocessing
    from concurrent.futures import ProcessPoolExecutor

    from django.db import connection, connections
    from django.utils import timezone

    from metrics.engine import RunStats, rollups_all_recompute

    today, now = timezone.localdate(), timezone.now()
    total = RunStats()
    connections.close_all()
    context = multiprocessing.get_context("fork")
    with ProcessPoolExecutor(max_workers=workers, mp_context=context) as pool:
        for kind, chunks in (("kpis", kpi_chunks), ("initiatives", initiative_chunks)):
            for stats, queries in pool.map(
                _chunk, [kind] * len(chunks), chunks, [today] * len(chunks), [now] * len(chunks)
            ):
                total.computed += stats["computed"]
                total.written += stats["written"]
                total.alerts_opened += [0] * stats["alerts_opened"]  # counted, ids not needed
                counter.count += queries
    with connection.execute_wrapper(counter):
        total.add(rollups_all_recompute(today=today, now=now))
    return total


def child_full(cold: bool, chunk_size: int | None, workers: int = 1) -> None:
    """Run one full recompute in this (child) process and print a JSON line of figures."""
    _setup()
    from django.db import connection

    from metrics.engine import full_recompute, full_recompute_plan
    from metrics.models import Alert, GapScore, WebhookDelivery

    if cold:
        WebhookDelivery.objects.all().delete()
        Alert.objects.all().delete()
        GapScore.objects.all().delete()
    kpi_chunks, initiative_chunks = full_recompute_plan(chunk_size=chunk_size)
    counter = QueryCounter()
    started = time.perf_counter()
    if workers == 1:
        with connection.execute_wrapper(counter):
            stats = full_recompute(chunk_size=chunk_size)
        peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    else:
        stats = _parallel(kpi_chunks, initiative_chunks, workers, counter)
        peak = (
            max(
                resource.getrusage(resource.RUSAGE_SELF).ru_maxrss,
                resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss,
            )
            / 1024
        )
    seconds = time.perf_counter() - started
    print(
        json.dumps(
            {
                **stats.as_dict(),
                "seconds": seconds,  # wall time of the whole run (not the sum of chunk times)
                "peak_mb": peak,
                "queries": counter.count,
                "chunks": len(kpi_chunks) + len(initiative_chunks) + 1,
            }
        )
    )


def run_child(*args: str) -> dict:
    result = subprocess.run(
        [sys.executable, __file__, *args], cwd=ROOT, capture_output=True, text=True, env=os.environ
    )
    if result.returncode:
        print(result.stdout, result.stderr, file=sys.stderr)
        raise SystemExit(result.returncode)
    return json.loads(result.stdout.strip().splitlines()[-1])


def pct(values: list[float], q: float) -> float:
    values = sorted(values)
    return values[min(len(values) - 1, round(q * (len(values) - 1)))]


def bench_incremental(samples: int) -> None:
    from django.db import connection
    from django.utils import timezone

    from metrics.engine import subjects_recompute
    from metrics.models import KPI, Measurement, SubjectType

    today = timezone.localdate()
    kpis = list(KPI.objects.filter(is_active=True).order_by("?")[:samples])
    times, queries = [], []
    for kpi in kpis:
        last = Measurement.objects.filter(kpi=kpi).order_by("-as_of").first()
        value = (last.value if last else kpi.baseline_value) * random.uniform(0.95, 1.05)
        Measurement.objects.update_or_create(kpi=kpi, as_of=today, defaults={"value": value})
        counter = QueryCounter()
        started = time.perf_counter()
        with connection.execute_wrapper(counter):
            subjects_recompute(subjects=[(SubjectType.KPI, kpi.pk)])
        times.append((time.perf_counter() - started) * 1000)
        queries.append(counter.count)
    print(
        f"incremental recompute after one measurement ({samples} KPIs): task time median "
        f"{statistics.median(times):.1f} ms, p95 {pct(times, 0.95):.1f} ms, max {max(times):.1f} ms; "
        f"queries median {statistics.median(queries):.0f}, max {max(queries)}"
    )


def bench_latency(samples: int, redis_url: str) -> None:
    from django.conf import settings
    from django.utils import timezone

    from metrics.models import KPI, DirtySubject, GapScore, Measurement
    from metrics.services import measurement_record

    database = settings.DATABASES["default"]
    db_url = (
        f"postgres://{database['USER']}@{database['HOST'] or '127.0.0.1'}:"
        f"{database['PORT'] or 5432}/{database['NAME']}"
    )
    import redis

    redis.Redis.from_url(redis_url).flushdb()
    log_path = ROOT / "test-artifacts" / "bench-engine-worker.log"
    log_path.parent.mkdir(exist_ok=True)
    log = log_path.open("w")
    worker = subprocess.Popen(
        [
            sys.executable, "-m", "celery", "-A", "execsupport", "worker", "--pool=solo",
            "--loglevel=WARNING", "--without-gossip", "--without-mingle", "--without-heartbeat",
            "--hostname=bench-engine@%h",
        ],
        cwd=ROOT,
        env={**os.environ, "DATABASE_URL": db_url, "CELERY_BROKER_URL": redis_url,
             "CELERY_RESULT_BACKEND": redis_url, "CELERY_TASK_ALWAYS_EAGER": "false"},
        stdout=log,
        stderr=subprocess.STDOUT,
    )  # fmt: skip
    try:
        time.sleep(6)  # let the worker connect
        today = timezone.localdate()
        kpis = list(KPI.objects.filter(is_active=True).order_by("?")[:samples])
        latencies = []
        for kpi in kpis:
            last = Measurement.objects.filter(kpi=kpi).order_by("-as_of").first()
            value = round(
                (last.value if last else kpi.baseline_value) * random.uniform(0.9, 1.1), 3
            )
            before = timezone.now()
            started = time.perf_counter()
            measurement_record(kpi=kpi, as_of=today, value=value, entered_by=None)
            while time.perf_counter() - started < 30:
                if (
                    GapScore.objects.filter(
                        subject_type="kpi",
                        subject_id=kpi.pk,
                        is_latest=True,
                        computed_at__gte=before,
                    ).exists()
                    and not DirtySubject.objects.filter(
                        subject_type="kpi", subject_id=kpi.pk
                    ).exists()
                ):
                    break
                time.sleep(0.01)
            latencies.append(time.perf_counter() - started)
            time.sleep(0.2)  # an idle worker before the next write
        print(
            f"write -> score visible with an idle worker ({samples} writes): p50 "
            f"{statistics.median(latencies):.2f} s, p95 {pct(latencies, 0.95):.2f} s, "
            f"max {max(latencies):.2f} s"
        )
    finally:
        worker.terminate()
        worker.wait(timeout=30)
        log.close()


def bench_tree(objectives: int) -> None:
    """Bottom-up rollup of a synthetic tree with the engine's ordering and rollup function."""
    from metrics.engine.rollups import _bottom_up
    from metrics.scoring import Child, rollup_score

    rng = random.Random(7)
    parent = {1: None}
    for node in range(2, objectives + 1):
        parent[node] = rng.randint(max(1, node - 50), node - 1)
    children: dict[int, list[int]] = {}
    for node, up in parent.items():
        if up is not None:
            children.setdefault(up, []).append(node)
    kpis = {
        n: [Child(f"kpi:{n}-{i}", f"K{i}", rng.uniform(0, 100), 1.0, "on_track") for i in range(3)]
        for n in parent
    }
    started = time.perf_counter()
    scores: dict[int, float | None] = {}
    for node in _bottom_up(set(parent), parent):
        parts = list(kpis[node]) + [
            Child(f"objective:{c}", f"O{c}", scores[c], 1.0, "on_track")
            for c in children.get(node, [])
        ]
        scores[node] = rollup_score(children=parts).score
    seconds = time.perf_counter() - started
    print(
        f"bottom-up rollup of a {objectives:,}-objective tree (3 KPIs each): {seconds * 1000:.0f} ms"
    )


def bench_db_rollup() -> None:
    from django.db import connection
    from django.utils import timezone

    from metrics.engine import rollups_all_recompute
    from strategy.models import Objective

    counter = QueryCounter()
    started = time.perf_counter()
    with connection.execute_wrapper(counter):
        stats = rollups_all_recompute(today=timezone.localdate(), now=timezone.now(), notify=False)
    seconds = time.perf_counter() - started
    print(
        f"database rollup of every objective ({Objective.objects.count():,}), team, theme and "
        f"strategy: {seconds:.2f} s, {counter.count} queries, {stats.computed:,} scores"
    )


def bench_forecast_stage(repeats: int = 3) -> None:
    """The forecast stage of a full recompute, the current method against the Theil-Sen one it
    replaced (bench/forecast_theil_sen.py), in this one run: the measurements each reads (60
    points a KPI before; now as many as each KPI's window spans, at least 60) and the forecast
    of every active KPI. Best of ``repeats``, the two methods interleaved."""
    import forecast_theil_sen
    from django.conf import settings

    from metrics.engine.common import engine_thresholds
    from metrics.engine.kpis import KPI_FIELDS, measurements_recent
    from metrics.models import KPI
    from metrics.scoring import KpiPlan
    from metrics.scoring.forecast import forecast_read_points, kpi_forecast

    t = engine_thresholds()
    old_t = forecast_theil_sen.Thresholds(forecast_window=12, forecast_min_points=4)
    today = __import__("django.utils.timezone", fromlist=["x"]).localdate()
    rows = list(KPI.objects.filter(is_active=True).order_by("id").values(*KPI_FIELDS))
    plans = {
        r["id"]: KpiPlan(
            name=r["name"],
            direction=r["direction"],
            baseline_value=r["baseline_value"],
            baseline_date=r["baseline_date"],
            target_value=r["target_value"],
            target_date=r["target_date"],
            cadence_days=r["cadence_days"],
            range_low=r["range_low"],
            range_high=r["range_high"],
        )
        for r in rows
    }
    size = settings.GAP_CHUNK_SIZE
    chunks = [rows[i : i + size] for i in range(0, len(rows), size)]

    def read(new: bool) -> tuple[float, dict]:
        started, series = time.perf_counter(), {}
        for chunk in chunks:
            ids = [r["id"] for r in chunk]
            points = (
                {
                    r["id"]: forecast_read_points(cadence_days=r["cadence_days"], thresholds=t)
                    for r in chunk
                }
                if new
                else settings.GAP_HISTORY_POINTS
            )
            series.update(measurements_recent(kpi_ids=ids, points=points))
        return time.perf_counter() - started, series

    def compute(new: bool, series: dict) -> tuple[float, int]:
        started, made = time.perf_counter(), 0
        for kpi_id, plan in plans.items():
            points = [(d, v) for d, v in series.get(kpi_id, []) if d <= today]
            if new:
                f = kpi_forecast(plan=plan, measurements=points, today=today, thresholds=t)
            elif today <= plan.target_date:
                f = forecast_theil_sen.kpi_forecast(
                    plan=plan, measurements=points, today=today, thresholds=old_t
                )
            else:
                f = None
            made += f is not None
        return time.perf_counter() - started, made

    best = {"old": [math.inf, math.inf, 0], "new": [math.inf, math.inf, 0]}
    for _ in range(repeats):
        for name, new in (("old", False), ("new", True)):
            read_s, series = read(new)
            compute_s, made = compute(new, series)
            b = best[name]
            b[0], b[1], b[2] = min(b[0], read_s), min(b[1], compute_s), made
    for name, label in (("old", "Theil-Sen, 12 points"), ("new", "robust random walk with drift")):
        b = best[name]
        print(
            f"forecast stage, {label}: read {b[0]:.2f} s + forecast {b[1]:.2f} s "
            f"= {b[0] + b[1]:.2f} s for {len(plans):,} KPIs ({b[2]:,} forecasts)"
        )
    old_total, new_total = sum(best["old"][:2]), sum(best["new"][:2])
    print(
        f"forecast stage ratio new / old: {new_total / old_total:.2f}x "
        f"(forecast alone {best['new'][1] / best['old'][1]:.2f}x)"
    )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--child", choices=["cold", "warm"], help=argparse.SUPPRESS)
    parser.add_argument("--chunk-size", type=int, default=None)
    parser.add_argument("--samples", type=int, default=20)
    parser.add_argument("--skip-worker", action="store_true")
    parser.add_argument("--workers", type=int, default=2, help="processes for the full recompute")
    parser.add_argument(
        "--forecast", action="store_true", help="only the forecast stage, old vs new method"
    )
    args = parser.parse_args()
    if args.child:
        child_full(cold=args.child == "cold", chunk_size=args.chunk_size, workers=args.workers)
        return 0

    redis_url = os.environ.get("BENCH_REDIS_URL", "redis://127.0.0.1:6379/1")
    _setup(broker=None if args.skip_worker else redis_url)
    from django.db import connection

    from metrics.models import KPI, Measurement
    from strategy.models import Objective

    print(
        f"database: {connection.vendor} {connection.settings_dict['NAME']}; cores: {os.cpu_count()}"
    )
    print(
        f"data: {KPI.objects.count():,} KPIs, {Measurement.objects.count():,} measurements, "
        f"{Objective.objects.count():,} objectives"
    )
    if args.forecast:
        sys.path.insert(0, str(ROOT / "bench"))
        bench_forecast_stage()
        return 0
    extra = [f"--chunk-size={args.chunk_size}"] if args.chunk_size else []
    runs = [("cold", 1), ("warm", 1)] + (
        [("cold", args.workers), ("warm", args.workers)] if args.workers > 1 else []
    )
    for mode, workers in runs:
        r = run_child(f"--child={mode}", f"--workers={workers}", *extra)
        print(
            f"full recompute ({mode}, {workers} process{'es' if workers > 1 else ''}): "
            f"{r['seconds']:.2f} s, peak memory {r['peak_mb']:.0f} MB, "
            f"{r['queries']} queries for {r['chunks']} chunks, {r['computed']:,} scores "
            f"({r['written']:,} written), {r['alerts_opened']:,} alerts opened"
        )
    bench_incremental(args.samples)
    if not args.skip_worker:
        bench_latency(args.samples, redis_url)
    bench_tree(5000)
    bench_db_rollup()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
