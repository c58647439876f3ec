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

With ``--ratios`` (``--reps``, at least 3), only the four figures of issue #19 as ratios to
PostgreSQL alone, product and floor interleaved in each repetition (the floors' SQL is
bench/engine_floor.py, which says what each computes):

* full recompute, cold (scores and alerts deleted first) and warm (nothing changed), each in a
  fresh child process, against the floor (one SQL pass: every KPI's status and score and the
  objective rollup) and floor+ (the same with the engine's newest-N reads and a 12-point
  line); goals: cold at most 4x floor+, warm at most 2x floor+. The warm run skips the
  subjects whose inputs did not change (``metrics.engine.unchanged``), as the nightly run's
  reruns of a day do. After each cold run (untimed) ``VACUUM ANALYZE`` of the alert, score
  and alert-log tables, as autovacuum would before a later run: without it the planner
  reads the just-rewritten tables with stale counts
* incremental recompute after one new measurement (``subjects_recompute`` of that KPI, as
  above), against its own queries, captured and replayed on a cursor; goal at most 3
* the rollup of every objective (``rollups_all_recompute``, every subject rolled up again),
  against the rollup in SQL with the write of its rows to temporary tables; goal at most 5;
  and, for information, the same rollup when nothing changed (everything skipped)

Each side runs in a transaction rolled back, except the full recomputes (committed, as the
nightly run). Prints the min and median of each side and their ratios, the floors' EXPLAIN
once, and the machine's pace (bench/cpu.py) before and after:

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/es_engine_bench \\
    python bench/bench_engine.py --ratios --reps 3
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


class _Rollback(Exception):
    pass


def _rolled_back(work) -> tuple[float, object]:
    """Seconds ``work()`` takes in a transaction that is then rolled back, and its result."""
    from django.db import transaction

    result = None
    try:
        with transaction.atomic():
            started = time.perf_counter()
            result = work()
            seconds = time.perf_counter() - started
            raise _Rollback
    except _Rollback:
        pass
    return seconds, result


def _ratio_line(label: str, product: list[float], floor: list[float], goal: str = "") -> str:
    """``label``: product and floor min / median (s) and the ratios min/min, median/median."""
    p_min, p_med = min(product), statistics.median(product)
    f_min, f_med = min(floor), statistics.median(floor)
    return (
        f"{label}: product min {p_min:.3f} s, median {p_med:.3f} s; floor min {f_min:.3f} s, "
        f"median {f_med:.3f} s; ratio {p_min / f_min:.2f} (min), {p_med / f_med:.2f} (median)"
        + (f"; goal {goal}" if goal else "")
    )


def _floor_params():
    import engine_floor
    from django.utils import timezone

    from metrics.engine.common import engine_thresholds
    from metrics.models import KPI
    from metrics.scoring.forecast import forecast_read_points

    t = engine_thresholds()
    points = {
        kpi_id: forecast_read_points(cadence_days=cadence, thresholds=t)
        for kpi_id, cadence in KPI.objects.filter(is_active=True).values_list("id", "cadence_days")
    }
    params = engine_floor.kpi_params(
        today=timezone.localdate(),
        zone=timezone.get_current_timezone_name(),
        thresholds=t,
        points=points,
    )
    return t, params


def bench_ratios(reps: int, chunk_size: int | None) -> None:
    """The four figures of issue #19 as ratios to their floors (see the module docstring)."""
    sys.path.insert(0, str(ROOT / "bench"))
    import engine_floor
    from cpu import machine_pace, pace_line
    from django.db import connection
    from django.utils import timezone

    from metrics.engine import rollups_all_recompute, subjects_recompute
    from metrics.models import KPI, Measurement, SubjectType

    reps = max(3, reps)
    t, params = _floor_params()
    floor_counts: dict[bool, tuple] = {}
    pace = machine_pace()

    def floor(plus: bool) -> float:
        def work():
            with connection.cursor() as cursor:
                return engine_floor.floor_full(cursor, plus=plus, params=params, thresholds=t)

        seconds, counts = _rolled_back(work)
        floor_counts[plus] = counts
        return seconds

    # Full recompute: cold and warm product (child processes), floor and floor+, rotated.
    extra = [f"--chunk-size={chunk_size}"] if chunk_size else []
    full: dict[str, list[float]] = {"cold": [], "warm": [], "floor": [], "floor+": []}
    last: dict[str, dict] = {}

    def cold():
        result = run_child("--child=cold", "--workers=1", *extra)
        # Untimed: the statistics autovacuum would refresh before a later run (the cold run
        # deleted and rewrote every score and alert; stale counts mislead the planner).
        with connection.cursor() as cursor:
            cursor.execute("VACUUM ANALYZE metrics_alert, metrics_gapscore, metrics_alertevent")
        return result

    steps = {
        "cold": cold,
        "floor": lambda: floor(False),
        "floor+": lambda: floor(True),
        "warm": lambda: run_child("--child=warm", "--workers=1", *extra),
    }
    names = list(steps)
    for rep in range(reps):
        for name in names[rep % 4 :] + names[: rep % 4]:
            result = steps[name]()
            if isinstance(result, dict):
                last[name] = result
                full[name].append(result["seconds"])
            else:
                full[name].append(result)
        print(
            f"  [{rep + 1}] cold {full['cold'][-1]:.2f} s, warm {full['warm'][-1]:.2f} s, "
            f"floor {full['floor'][-1]:.3f} s, floor+ {full['floor+'][-1]:.3f} s",
            flush=True,
        )
    for mode in ("cold", "warm"):
        r = last[mode]
        print(
            f"full recompute, {mode}: {r['computed']:,} scores ({r['written']:,} written), "
            f"{r['queries']} queries, {r['alerts_opened']:,} alerts opened"
        )
    kpis, kpis_scored, objectives, objectives_scored, rollups = floor_counts[True]
    print(
        f"floor / floor+: {kpis:,} active KPIs ({kpis_scored:,} scored), {objectives:,} "
        f"objectives ({objectives_scored:,} scored), {rollups} team/theme/strategy rows"
    )

    def agreement():
        with connection.cursor() as cursor:
            return engine_floor.floor_agreement(cursor, params=params, thresholds=t)

    for kind, compared, same_status, same_score in _rolled_back(agreement)[1]:
        print(
            f"floor+ against the engine's latest {kind} scores: {same_status:,} of "
            f"{compared:,} with the same status, {same_score:,} with the same score (0.5 point)"
        )
    print(_ratio_line("full recompute, cold / floor", full["cold"], full["floor"]))
    print(_ratio_line("full recompute, cold / floor+", full["cold"], full["floor+"], "<= 4"))
    print(_ratio_line("full recompute, warm / floor+", full["warm"], full["floor+"], "<= 2"))

    # Incremental: one new measurement, then the product (its queries captured) and its
    # queries replayed on a cursor, both on the same state (each rolled back).
    today = timezone.localdate()
    kpis_picked = list(KPI.objects.filter(is_active=True).order_by("?")[:reps])
    product_s, replay_s, counts = [], [], []
    for rep, kpi in enumerate(kpis_picked):
        last_m = Measurement.objects.filter(kpi=kpi).order_by("-as_of").first()
        value = (last_m.value if last_m else kpi.baseline_value) * random.uniform(0.95, 1.05)
        Measurement.objects.update_or_create(kpi=kpi, as_of=today, defaults={"value": value})
        captured: list[tuple] = []

        def capture(execute, sql, params, many, context, captured=captured):
            captured.append((sql, params, many))
            return execute(sql, params, many, context)

        def product(kpi_id=kpi.pk):
            return subjects_recompute(subjects=[(SubjectType.KPI, kpi_id)])

        def captured_product():
            with connection.execute_wrapper(capture):
                return product()

        _rolled_back(captured_product)  # captures the queries (and warms the caches)
        statements = list(captured)

        def replay(statements=statements):
            cursor = connection.connection.cursor()  # the driver's own cursor
            for sql, sql_params, many in statements:
                if many:
                    cursor.executemany(sql, sql_params)
                else:
                    cursor.execute(sql, sql_params)
                if cursor.description is not None:
                    cursor.fetchall()
            cursor.close()

        for name in ("product", "replay") if rep % 2 == 0 else ("replay", "product"):
            seconds, _ = _rolled_back(product if name == "product" else replay)
            (product_s if name == "product" else replay_s).append(seconds)
        counts.append(len(statements))
    print(
        f"incremental recompute after one measurement ({reps} KPIs): queries per run "
        f"{min(counts)}-{max(counts)}"
    )
    print(_ratio_line("incremental recompute / its SQL replayed", product_s, replay_s, "<= 3"))

    # Rollup of every objective: product and floor, each rolled back, alternating.
    now = timezone.now()
    rollup: dict[str, list[float]] = {"product": [], "floor": [], "skipping": []}
    stats = None

    def rollup_product():
        # Every subject rolled up again (the work the floor does), not skipped as unchanged.
        return rollups_all_recompute(today=today, now=now, notify=False, skip_unchanged=False)

    def rollup_skipping():
        return rollups_all_recompute(today=today, now=now, notify=False)

    def rollup_floor():
        with connection.cursor() as cursor:
            return engine_floor.floor_rollup(cursor, thresholds=t)

    rollup_steps = {"product": rollup_product, "floor": rollup_floor, "skipping": rollup_skipping}
    order = list(rollup_steps)
    for rep in range(reps):
        for name in order[rep % 3 :] + order[: rep % 3]:
            seconds, result = _rolled_back(rollup_steps[name])
            rollup[name].append(seconds)
            if name == "product":
                stats = result
            elif name == "floor":
                rollup_counts = result
    print(
        f"rollup of every objective: product {stats.computed:,} scores ({stats.written:,} "
        f"written); floor {rollup_counts[2]:,} objectives ({rollup_counts[3]:,} scored) and "
        f"{rollup_counts[4]} team/theme/strategy rows written"
    )
    print(
        _ratio_line(
            "rollup of every objective / SQL with its write",
            rollup["product"],
            rollup["floor"],
            "<= 5",
        )
    )
    print(
        _ratio_line(
            "rollup, nothing changed (unchanged subjects skipped) / SQL with its write",
            rollup["skipping"],
            rollup["floor"],
        )
    )

    def plans():
        with connection.cursor() as cursor:
            return engine_floor.floor_plans(cursor, params=params, thresholds=t)

    print("floors' plans (EXPLAIN, no ANALYZE):")
    for line in _rolled_back(plans)[1]:
        print(f"  {line}")
    print(pace_line(pace, machine_pace()))


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
    parser.add_argument(
        "--ratios", action="store_true", help="only the issue #19 figures as ratios to floors"
    )
    parser.add_argument("--reps", type=int, default=3, help="repetitions of --ratios (>= 3)")
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
    if args.ratios:
        bench_ratios(args.reps, args.chunk_size)
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
