"""Capability evidence and calibration against reading the same rows with plain SQL (issue #18).

Usage (PostgreSQL is what the figures are for; the database seeded at the scale wanted):

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/es_h8 python manage.py migrate
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/es_h8 python bench/seed_scale.py --scale 100
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/es_h8 python bench/bench_assessment.py --reps 5

* product: ``assessment.evidence.capability_evidence`` for the organisation (the strategy
  office: every team) plus ``assessment.calibration.calibration_report`` (check-ins' confidence
  overall, per owner and per team, and the KPI forecasts), both for the current strategy today.
* floor: the rows those figures rest on, read with plain SQL on a cursor (one statement per
  figure, fetched into Python), nothing computed from them. Target: product at most 5x floor.

The two alternate in one run (``--reps``, at least 3); min and median of each are printed with
their ratios, and the machine's pace before and after (``bench/cpu.py``).
"""

# ruff: noqa: S608 - the statements join table names from the models' _meta; values are params

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
TARGET_RATIO = 5.0


def floor_read(*, strategy_id: int, today) -> int:
    """The rows of every evidence figure and of calibration, read with plain SQL; returns how
    many were read."""
    from django.db import connection

    from activity.models import Comment
    from initiatives.models import CheckIn, Initiative
    from metrics.models import KPI, Alert, AlertEvent, GapScore, Measurement
    from strategy.models import Membership, Objective, Team

    t = {
        m.__name__: m._meta.db_table
        for m in (
            *(Objective, Initiative, CheckIn, KPI, Measurement, GapScore, Alert, AlertEvent),
            *(Team, Membership, Comment),
        )
    }
    t["History"] = Initiative.history.model._meta.db_table
    objectives = f"SELECT id FROM {t['Objective']} WHERE strategy_id = %(s)s"
    initiatives = f"SELECT id FROM {t['Initiative']} WHERE objective_id IN ({objectives})"
    kpis = (
        f"SELECT id FROM {t['KPI']} WHERE is_active AND (objective_id IN ({objectives}) "
        f"OR initiative_id IN ({initiatives}) OR (objective_id IS NULL AND initiative_id IS NULL))"
    )
    statements = [
        f"SELECT id, owner_id FROM {t['Objective']} WHERE strategy_id = %(s)s "
        "AND status NOT IN ('achieved', 'missed', 'cancelled')",
        f"SELECT id, owner_id, status, start_date, checkin_cadence_days, resumed_on, "
        f"last_checkin_at FROM {t['Initiative']} WHERE id IN ({initiatives})",
        f"SELECT id, owner_id FROM {t['KPI']} WHERE id IN ({kpis})",
        f"SELECT team_id, user_id FROM {t['Membership']} WHERE role = 'leader'",
        f"SELECT id, parent_id FROM {t['Team']}",
        f"SELECT id, initiative_id, created_at, rag, confidence, blocker_tags, blockers <> '' "
        f"FROM {t['CheckIn']} WHERE initiative_id IN ({initiatives})",
        f"SELECT subject_id, created_at, author_id FROM {t['Comment']} "
        f"WHERE subject_type = 'initiative' AND subject_id IN ({initiatives})",
        f"SELECT DISTINCT ON (kpi_id) kpi_id, source FROM {t['Measurement']} "
        f"WHERE kpi_id IN ({kpis}) AND as_of <= %(d)s ORDER BY kpi_id, as_of DESC, id DESC",
        f"SELECT subject_id, data_quality FROM {t['GapScore']} WHERE subject_type = 'kpi' "
        f"AND is_latest AND subject_id IN ({kpis})",
        f"SELECT alert_id, kind, at FROM {t['AlertEvent']} WHERE kind IN "
        "('opened', 'acknowledged', 'resolved')",
        f"SELECT id, history_date, due_date, budget_planned, effort_planned_fte, owner_id, "
        f"team_id FROM {t['History']} WHERE id IN ({initiatives})",
        f"SELECT subject_id, as_of, forecast FROM {t['GapScore']} WHERE subject_type = 'kpi' "
        f"AND forecast IS NOT NULL AND subject_id IN (SELECT id FROM {t['KPI']} "
        f"WHERE target_date <= %(d)s)",
    ]
    rows = 0
    with connection.cursor() as cursor:
        for sql in statements:
            cursor.execute(sql, {"s": strategy_id, "d": today})
            rows += len(cursor.fetchall())
    return rows


def product(*, access, strategy, today) -> int:
    """The evidence and the calibration report as the page and API compute them."""
    from assessment.calibration import calibration_report
    from assessment.evidence import capability_evidence

    figures = capability_evidence(access=access, strategy=strategy, as_of=today)
    report = calibration_report(access=access, strategy=strategy, as_of=today)
    return sum(len(f) for f in figures.values()) + report.confidence.points


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--reps", type=int, default=5)
    args = parser.parse_args()
    if args.reps < 3:
        parser.error("--reps must be at least 3")
    sys.path.insert(0, str(ROOT))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "execsupport.settings")
    os.environ.setdefault("DEBUG", "true")
    import django

    django.setup()
    from django.contrib.auth import get_user_model
    from django.db import connection
    from django.utils import timezone

    from bench.cpu import machine_pace, pace_line
    from strategy.access import access_for
    from strategy.selectors import strategy_current

    strategy = strategy_current()
    if strategy is None:
        print("no strategy: seed the database first (bench/seed_scale.py)")
        return 1
    office = get_user_model().objects.filter(is_superuser=True).first()
    if office is None:
        print("no superuser to read as (the strategy office)")
        return 1
    today = timezone.localdate()
    print(f"database: {connection.vendor} {connection.settings_dict.get('NAME')}")
    print(f"strategy: {strategy.name} (id {strategy.pk})")
    pace_before = machine_pace()
    floor_s: list[float] = []
    product_s: list[float] = []
    rows = figures = 0
    for _ in range(args.reps):
        start = time.perf_counter()
        rows = floor_read(strategy_id=strategy.pk, today=today)
        floor_s.append(time.perf_counter() - start)
        start = time.perf_counter()
        figures = product(access=access_for(office), strategy=strategy, today=today)
        product_s.append(time.perf_counter() - start)
    pace_after = machine_pace()
    ratio_min = min(product_s) / min(floor_s)
    ratio_median = statistics.median(product_s) / statistics.median(floor_s)
    print(f"floor (plain SQL, {rows} rows): min {min(floor_s) * 1000:.1f} ms, "
          f"median {statistics.median(floor_s) * 1000:.1f} ms")  # fmt: skip
    print(f"product ({figures} figures and scored check-ins): min {min(product_s) * 1000:.1f} ms,"
          f" median {statistics.median(product_s) * 1000:.1f} ms")  # fmt: skip
    print(f"ratio: {ratio_min:.2f}x min, {ratio_median:.2f}x median (target <= {TARGET_RATIO}x)")
    print(pace_line(pace_before, pace_after))
    return 0 if ratio_min <= TARGET_RATIO else 2


if __name__ == "__main__":
    sys.exit(main())
