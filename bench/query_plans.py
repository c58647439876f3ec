"""The plans of the hot reads, checked with EXPLAIN (issue #19). Not a timing: which index each
query uses, and whether any reads a whole large table.

Run on a PostgreSQL database seeded with ``seed_demo --scale 100 --history-weeks 0`` (or on
SQLite: the newest-N read only):

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/es_h4 python bench/query_plans.py

It prints, and exits 1 when one fails:

* the engine's "newest N measurements per KPI" read (``measurements_recent``, a 500-KPI chunk):
  it must read the unique ``(kpi_id, as_of)`` index, newest first, without sorting a KPI's
  history;
* every query of the overview page and of ``/api/v1/kpis/?page_size=100`` (as a
  strategy-office person, captured in process, cold) that touches the alert, score or
  measurement table: none may scan such a table whole (``Seq Scan`` on a table of more than
  1,000 rows); the overview's version query and open-alert counts must read the partial index
  of active alerts (``alert_active_by_severity_team``), index only.
"""

from __future__ import annotations

import os
import re
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BIG = ("metrics_alert", "metrics_measurement", "metrics_gapscore")


def _explain(sql: str) -> str:
    from django.db import connection

    prefix = "EXPLAIN QUERY PLAN " if connection.vendor == "sqlite" else "EXPLAIN "
    with connection.cursor() as cursor:
        cursor.execute(prefix + sql)
        return "\n".join(" ".join(str(c) for c in row) for row in cursor.fetchall())


def _captured(call) -> list[str]:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as queries:
        call()
    return [q["sql"] for q in queries.captured_queries]


def check_newest(failures: list[str]) -> None:
    from metrics.engine.kpis import measurements_recent
    from metrics.models import KPI

    ids = list(KPI.objects.order_by("id").values_list("id", flat=True)[:500])
    (sql,) = _captured(lambda: measurements_recent(kpi_ids=ids, points=60))
    plan = _explain(sql)
    print(f"--- newest 60 measurements of {len(ids)} KPIs\n{plan}\n")
    if "measurement_one_per_kpi_date" not in plan and "sqlite_autoindex" not in plan:
        failures.append("newest-N read: not from the unique (kpi_id, as_of) index")
    if re.search(r"Sort Key: .*as_of", plan):
        failures.append("newest-N read: sorts each KPI's history")


def page_queries(path: str, *, user=None, headers=None, warm_path=None) -> tuple[int, list[str]]:
    """Every query of one cold GET of ``path``, captured in process: (HTTP status, the SQL as
    sent to the database, parameters inlined: ``last_executed_query``, psycopg2's mogrified
    text on PostgreSQL).

    The client is signed in as ``user`` (``force_login``) or sends ``headers`` (an API token).
    A first request (of ``warm_path``, else ``path``) warms up the session and the lookups'
    caches; the cache is then cleared, so the page is built from the database. Also used by
    ``bench/bench_replay.py``."""
    from django.core.cache import cache
    from django.test import Client

    client = Client()
    if user is not None:
        client.force_login(user)
    client.get(warm_path or path, headers=headers)
    cache.clear()
    responses = []
    sqls = _captured(lambda: responses.append(client.get(path, headers=headers)))
    return responses[0].status_code, sqls


def check_page(failures: list[str], label: str, path: str) -> None:
    from django.contrib.auth import get_user_model
    from django.db import connection

    from strategy.models import STRATEGY_OFFICE_GROUP

    user = get_user_model().objects.filter(groups__name=STRATEGY_OFFICE_GROUP).first()
    status, sqls = page_queries(path, user=user)
    if status != 200:
        failures.append(f"{label}: HTTP {status}")
        return
    sizes = {}
    with connection.cursor() as cursor:
        for table in BIG:
            cursor.execute(f"SELECT count(*) FROM {table}")  # noqa: S608 - our own names
            sizes[table] = cursor.fetchone()[0]
    print(f"--- {label}: {len(sqls)} queries")
    for sql in sqls:
        touched = [t for t in BIG if f'"{t}"' in sql or f" {t} " in sql]
        if not touched or sql.lstrip().upper().startswith(("SAVEPOINT", "RELEASE")):
            continue
        plan = _explain(sql)
        scans = [t for t in touched if sizes[t] > 1000 and re.search(rf"Seq Scan on {t}\b", plan)]
        indexes = sorted(
            set(re.findall(r"(?:Index|Index Only) Scan(?: Backward)? using (\w+)", plan))
        )
        state = "WHOLE-TABLE SCAN of " + ", ".join(scans) if scans else "ok"
        print(f"  {state}: {sql[:110]}...\n      indexes: {', '.join(indexes) or '-'}")
        if scans:
            failures.append(f"{label}: {sql[:80]}... scans {', '.join(scans)}")
        counts_alerts = "COUNT(severity)" in sql or 'COUNT("metrics_alert"."severity")' in sql
        if counts_alerts and "Index Only Scan using alert_active_by_severity_team" not in plan:
            failures.append(f"{label}: {sql[:80]}... not from the active alerts' partial index")
    print()


def main() -> int:
    sys.path.insert(0, str(ROOT))
    os.environ.setdefault("DEBUG", "true")
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "execsupport.settings")
    import django

    django.setup()
    from django.conf import settings
    from django.db import connection

    settings.ALLOWED_HOSTS = [*settings.ALLOWED_HOSTS, "testserver"]
    failures: list[str] = []
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            # What autovacuum does soon after a recompute, done now: fresh statistics and the
            # visibility map that lets PostgreSQL count from an index without the table.
            cursor.execute("VACUUM (ANALYZE) metrics_alert, metrics_measurement, metrics_gapscore")
    check_newest(failures)
    if connection.vendor == "postgresql":
        check_page(failures, "overview", "/overview/")
        check_page(failures, "KPI list API", "/api/v1/kpis/?page_size=100")
    print("\n".join(f"FAILED {f}" for f in failures) or "all plans as expected")
    return 1 if failures else 0


if __name__ == "__main__":
    raise SystemExit(main())
