"""The plan import against its baselines, as ratios (issue #16), and its peak memory.

Usage (PostgreSQL is what the figures are for; the database must exist and be migrated):

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/es_h5 python bench/import_plan.py --scale 100

At ``--scale 100``:

* measurements: 100,000 rows (1,000 dates of 100 KPIs) applied from an ``.xlsx`` file by the
  import (reading included), against the same rows sent to the API's bulk ingestion
  (``POST /api/v1/measurements/ingest/``, 10 requests of 10,000 rows, in process: no HTTP
  server in the way, which only favours the baseline). Each side writes into its own fresh
  KPIs. Target: at most 1.5x.
* plan: a 5,000-row plan file (500 objectives in a two-level tree, 2,000 initiatives, 2,500
  KPIs) previewed and then applied, against a bulk insert (``bulk_create``) of the same rows.
  Target: at most 3x.
* peak resident memory of the process: target under 500 MB.

Each repetition (``--repeat``, at least 3) runs the four timings interleaved (API ingest, xlsx
import, bulk insert, preview + apply) in its own transaction rolled back at its end, so the
database is left as it was and each repetition starts from the same state. The ratios are
printed per repetition, then their minimum and median, with the machine's pace (``bench/cpu.py``)
before and after: on a shared machine only the ratios compare between runs. ``--scale N``
scales the row counts by N/100.
"""

from __future__ import annotations

import argparse
import datetime as dt
import io
import json
import os
import resource
import statistics
import sys
import time
from decimal import Decimal
from pathlib import Path

from cpu import machine_pace, pace_line  # bench/cpu.py

ROOT = Path(__file__).resolve().parent.parent


class _Rollback(Exception):
    pass


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scale", type=int, default=100)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    sys.path.insert(0, str(ROOT))
    os.environ.setdefault("DEBUG", "true")
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "execsupport.settings")
    import django

    django.setup()
    from django.conf import settings
    from django.db import connection, transaction

    settings.API_THROTTLE_TOKEN = settings.API_THROTTLE_USER = "1000000/min"  # noqa: S105
    settings.ALLOWED_HOSTS = [*settings.ALLOWED_HOSTS, "testserver"]
    print(f"database: {connection.vendor} {connection.settings_dict.get('NAME')}")
    print(f"scale: {args.scale}, repetitions: {args.repeat}")
    pace = machine_pace()
    m_ratios: list[float] = []
    p_ratios: list[float] = []
    for rep in range(1, args.repeat + 1):
        try:
            with transaction.atomic():
                results = _run(args.scale, tag=f"{int(time.time())}r{rep}")
                raise _Rollback
        except _Rollback:
            pass
        m_api, m_xlsx, rows = results["measurements"]
        m_ratios.append(m_xlsx / m_api)
        print(
            f"[{rep}] measurements: {rows:,} rows: API ingest (floor) {m_api:.2f} s, "
            f"xlsx import {m_xlsx:.2f} s -> ratio {m_xlsx / m_api:.2f} (goal <= 1.5)"
        )
        cpu = results["cpu"]
        print(
            f"[{rep}]   this process's CPU: API {cpu['api']:.2f} s, xlsx {cpu['xlsx']:.2f} s "
            f"({cpu['xlsx'] / cpu['api']:.2f}x); bulk {cpu['bulk']:.2f} s, preview + apply "
            f"{cpu['preview'] + cpu['apply']:.2f} s "
            f"({(cpu['preview'] + cpu['apply']) / cpu['bulk']:.2f}x)"
        )
        p_bulk, p_preview, p_apply, plan_rows = results["plan"]
        p_ratios.append((p_preview + p_apply) / p_bulk)
        print(
            f"[{rep}] plan: {plan_rows:,} rows: bulk insert (floor) {p_bulk:.2f} s, "
            f"preview {p_preview:.2f} s + apply {p_apply:.2f} s "
            f"-> ratio {(p_preview + p_apply) / p_bulk:.2f} (goal <= 3)"
        )
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(
        f"measurements ratio: min {min(m_ratios):.2f}, median {statistics.median(m_ratios):.2f} "
        "(goal <= 1.5)"
    )
    print(
        f"plan ratio: min {min(p_ratios):.2f}, median {statistics.median(p_ratios):.2f} (goal <= 3)"
    )
    print(f"peak memory: {peak:.0f} MB (goal < 500)")
    print(pace_line(pace, machine_pace()))
    return 0


def _fixture(tag: str):
    from django.contrib.auth import get_user_model

    from strategy.models import Period, Strategy, Team, Theme

    company = Team.objects.filter(kind="company").first() or Team.objects.create(
        name=f"Bench company {tag}", slug=f"bench-co-{tag}", kind="company"
    )
    team = Team.objects.create(name=f"Bench {tag}", slug=f"bench-{tag}", parent=company)
    strategy = Strategy.objects.create(
        name=f"Bench strategy {tag}",
        horizon_start=dt.date(2020, 1, 1),
        horizon_end=dt.date(2030, 12, 31),
    )
    theme = Theme.objects.create(strategy=strategy, name=f"Bench theme {tag}")
    period = Period.objects.create(
        name=f"Bench period {tag}", start_date=dt.date(2020, 1, 1), end_date=dt.date(2030, 12, 31)
    )
    office = get_user_model().objects.create_superuser(
        username=f"bench-office-{tag}", email=f"bench-{tag}@example.com", password=None
    )
    return team, strategy, theme, period, office


def _xlsx(sheets: dict[str, list[list]]) -> bytes:
    import openpyxl

    book = openpyxl.Workbook(write_only=True)
    for title, rows in sheets.items():
        sheet = book.create_sheet(title)
        for row in rows:
            sheet.append(row)
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def _kpis(prefix: str, count: int, *, team, objective):
    from metrics.models import KPI

    return KPI.objects.bulk_create(
        [
            KPI(
                key=f"{prefix}-{i}",
                name=f"{prefix} {i}",
                baseline_value=0,
                baseline_date=dt.date(2020, 1, 1),
                target_value=1000,
                target_date=dt.date(2030, 1, 1),
                team=team,
                objective=objective,
            )
            for i in range(count)
        ]
    )


def _run(scale: int, *, tag: str) -> dict:
    from django.test import Client

    from sheets.plan_import import plan_import
    from strategy.models import Objective

    team, strategy, theme, period, office = _fixture(tag)
    objective = Objective.objects.create(
        key=f"bench-root-{office.pk}",
        title="Bench root",
        strategy=strategy,
        theme=theme,
        period=period,
        team=team,
        start_date=dt.date(2020, 1, 1),
        due_date=dt.date(2030, 12, 31),
    )
    results = {}
    cpu: dict[str, float] = {}  # this process's CPU seconds of each timing (not PostgreSQL's)

    # --- measurements ------------------------------------------------------------------------
    kpi_count = max(1, scale)
    days = 1000
    start = dt.date(2021, 1, 1)
    api_keys = [k.key for k in _kpis(f"bapi{office.pk}", kpi_count, team=team, objective=objective)]
    xlsx_keys = [
        k.key for k in _kpis(f"bxls{office.pk}", kpi_count, team=team, objective=objective)
    ]
    dates = [(start + dt.timedelta(days=d)) for d in range(days)]
    values = [10.0 + (d % 17) / 7 for d in range(days)]
    api_rows = [
        {"kpi": key, "as_of": day.isoformat(), "value": value}
        for key in api_keys
        for day, value in zip(dates, values, strict=True)
    ]
    bodies = [
        json.dumps({"measurements": api_rows[i : i + 10_000]})
        for i in range(0, len(api_rows), 10_000)
    ]
    del api_rows
    client = Client()
    client.force_login(office)
    # Warm-up, not timed: the first request and the first import load their modules.
    warm = _kpis(f"bwarm{office.pk}", 1, team=team, objective=objective)[0].key
    client.post(
        "/api/v1/measurements/ingest/",
        json.dumps({"measurements": [{"kpi": warm, "as_of": "2020-06-01", "value": 1}]}),
        content_type="application/json",
    )
    plan_import(
        stream=io.BytesIO(
            _xlsx({"Measurements": [["kpi", "as_of", "value"], [warm, "2020-06-02", 2]]})
        ),
        filename="w.xlsx",
        user=office,
        apply=True,
    )
    began, cpu_began = time.perf_counter(), time.process_time()
    for body in bodies:
        response = client.post(
            "/api/v1/measurements/ingest/", body, content_type="application/json"
        )
        if response.status_code != 200:
            raise SystemExit(f"ingest failed: {response.status_code} {response.content[:300]}")
    api_seconds = time.perf_counter() - began
    cpu["api"] = time.process_time() - cpu_began
    rows = sum(len(json.loads(b)["measurements"]) for b in bodies)
    del bodies
    workbook = _xlsx(
        {
            "Measurements": [["kpi", "as_of", "value", "note"]]
            + [
                [key, day, value, None]
                for key in xlsx_keys
                for day, value in zip(dates, values, strict=True)
            ]
        }
    )
    began, cpu_began = time.perf_counter(), time.process_time()
    report = plan_import(stream=io.BytesIO(workbook), filename="m.xlsx", user=office, apply=True)
    xlsx_seconds = time.perf_counter() - began
    cpu["xlsx"] = time.process_time() - cpu_began
    if not report.ok:
        raise SystemExit(f"import failed: {report.errors[:5]}")
    del workbook
    results["measurements"] = (api_seconds, xlsx_seconds, rows)

    # --- plan --------------------------------------------------------------------------------
    n_obj, n_init, n_kpi = 5 * scale, 20 * scale, 25 * scale
    tag = f"p{office.pk}"
    email = office.email
    objectives = [["key", "title", "parent", "strategy", "theme", "period", "team", "owner",
                   "start_date", "due_date", "weight", "priority"]]  # fmt: skip
    for i in range(n_obj):
        parent = f"{tag}-o{i // 10 * 10}" if i % 10 else None
        objectives.append([f"{tag}-o{i}", f"Objective {i}", parent, strategy.name, theme.name,
                           period.name, team.slug, email, "2026-01-01", "2026-12-31", 1,
                           "medium"])  # fmt: skip
    initiatives = [["key", "title", "objective", "owner", "status", "start_date", "due_date",
                    "budget_planned", "effort_planned_fte"]]  # fmt: skip
    for i in range(n_init):
        initiatives.append([f"{tag}-i{i}", f"Initiative {i}", f"{tag}-o{i % n_obj}", email,
                            "active", "2026-02-01", "2026-11-30", 10000, 1.5])  # fmt: skip
    kpis = [["key", "name", "objective", "initiative", "owner", "direction", "baseline_value",
             "baseline_date", "target_value", "target_date", "cadence_days"]]  # fmt: skip
    for i in range(n_kpi):
        on_objective = i % 5 == 0
        kpis.append([f"{tag}-k{i}", f"KPI {i}", f"{tag}-o{i % n_obj}" if on_objective else None,
                     None if on_objective else f"{tag}-i{i % n_init}", email, "increase", 10,
                     "2026-01-01", 20, "2026-12-31", 30])  # fmt: skip
    plan_file = _xlsx({"Objectives": objectives, "Initiatives": initiatives, "KPIs": kpis})
    plan_rows = n_obj + n_init + n_kpi
    cpu_began = time.process_time()
    bulk_seconds = _bulk_insert(objectives, initiatives, kpis, strategy, theme, period, team,
                                office, tag="b")  # fmt: skip
    cpu["bulk"] = time.process_time() - cpu_began
    began, cpu_began = time.perf_counter(), time.process_time()
    preview = plan_import(stream=io.BytesIO(plan_file), filename="p.xlsx", user=office, apply=False)
    preview_seconds = time.perf_counter() - began
    cpu["preview"] = time.process_time() - cpu_began
    if not preview.ok:
        raise SystemExit(f"plan preview failed: {preview.errors[:5]}")
    began, cpu_began = time.perf_counter(), time.process_time()
    applied = plan_import(stream=io.BytesIO(plan_file), filename="p.xlsx", user=office, apply=True)
    apply_seconds = time.perf_counter() - began
    cpu["apply"] = time.process_time() - cpu_began
    if not applied.applied:
        raise SystemExit(f"plan apply failed: {applied.errors[:5]}")
    results["cpu"] = cpu
    results["plan"] = (bulk_seconds, preview_seconds, apply_seconds, plan_rows)
    return results


def _bulk_insert(objectives, initiatives, kpis, strategy, theme, period, team, owner, *, tag):
    """The baseline: the same rows built as model instances and written with ``bulk_create``
    (parents first), no checks; under other keys so that the import still creates its own."""
    from initiatives.models import Initiative
    from metrics.models import KPI
    from strategy.models import Objective

    began = time.perf_counter()
    made: dict[str, Objective] = {}
    levels: list[list[Objective]] = [[], []]
    for row in objectives[1:]:
        o = Objective(
            key=f"{tag}{row[0]}", title=row[1], strategy=strategy, theme=theme, period=period,
            team=team, owner=owner, start_date=dt.date.fromisoformat(row[8]),
            due_date=dt.date.fromisoformat(row[9]), weight=Decimal(row[10]), priority=2,
        )  # fmt: skip
        made[row[0]] = o
        levels[1 if row[2] else 0].append(o)
    Objective.objects.bulk_create(levels[0], batch_size=1000)
    for row, o in zip(objectives[1:], made.values(), strict=True):
        if row[2]:
            o.parent = made[row[2]]
    Objective.objects.bulk_create(levels[1], batch_size=1000)
    inits: dict[str, Initiative] = {}
    for row in initiatives[1:]:
        inits[row[0]] = Initiative(
            key=f"{tag}{row[0]}", title=row[1], objective=made[row[2]], team=team, owner=owner,
            status=row[4], start_date=dt.date.fromisoformat(row[5]),
            due_date=dt.date.fromisoformat(row[6]), budget_planned=Decimal(row[7]),
            effort_planned_fte=Decimal(str(row[8])),
        )  # fmt: skip
    Initiative.objects.bulk_create(inits.values(), batch_size=1000)
    KPI.objects.bulk_create(
        [
            KPI(
                key=f"{tag}{row[0]}",
                name=row[1],
                objective=made[row[2]] if row[2] else None,
                initiative=inits[row[3]] if row[3] else None,
                team=team,
                owner=owner,
                direction=row[5],
                baseline_value=row[6],
                baseline_date=dt.date.fromisoformat(row[7]),
                target_value=row[8],
                target_date=dt.date.fromisoformat(row[9]),
                cadence_days=row[10],
            )
            for row in kpis[1:]
        ],
        batch_size=1000,
    )
    return time.perf_counter() - began


if __name__ == "__main__":
    raise SystemExit(main())
