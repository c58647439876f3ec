"""Freezing a review pack against reading the same rows with plain SQL (issue #17), its peak
memory, and the time of the pack's PDF.

Usage (PostgreSQL is what the figures are for; the database seeded at the scale wanted):

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/es_h5 python manage.py migrate
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/es_h5 python bench/seed_scale.py --scale 100
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/es_h5 python bench/bench_reviews.py --reps 5

* freeze: ``reviews.services.pack_freeze`` of a review of the whole current strategy (what
  the beat job does: the scope's objectives, initiatives, milestones, KPIs with their latest
  value, trend and target revision, the latest scores, open alerts, recent check-ins, action
  items, written as one pack).
* floor: the same rows read with plain SQL on a cursor (one statement per kind of row,
  fetched into Python), nothing built from them. Target: freeze at most 5x the floor.

The two alternate in one run (``--reps``, at least 3), each rep of the freeze in a savepoint
rolled back; min and median of each side are printed with their ratios. Then the freeze's peak
resident memory (target under 500 MB: the process's high-water mark after one freeze, taken
before the floor's reads), the process's peak with the floor's reads, and the time to lay the frozen pack out
as a PDF for the strategy office (``reviews.pdf.pack_pdf``, WeasyPrint), with its page count
(``--no-pdf`` skips it). Nothing is left in the database.
"""

# ruff: noqa: S608 - the statements join table names from the models' _meta; values are params

from __future__ import annotations

import argparse
import os
import resource
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
TARGET_RATIO = 5.0
MEMORY_MB = 500


class _Rollback(Exception):
    pass


def floor_read(*, strategy_id: int, review_id: int, since, today) -> int:
    """The rows a strategy pack holds, read with plain SQL; returns how many were read."""
    from django.db import connection

    from initiatives.models import CheckIn, Initiative, Milestone
    from metrics.models import KPI, Alert, GapScore, Measurement, TargetRevision
    from reviews.freeze import ALERT_LIMIT, CHECKIN_LIMIT, TREND_POINTS
    from reviews.models import ActionItem, Meeting
    from strategy.models import Objective, Theme

    t = {
        m.__name__: m._meta.db_table
        for m in (
            *(Objective, Theme, Initiative, Milestone, KPI, Measurement, TargetRevision),
            *(GapScore, Alert, CheckIn, ActionItem, Meeting),
        )
    }
    objectives = f"SELECT id FROM {t['Objective']} WHERE strategy_id = %(s)s"
    initiatives = f"SELECT id FROM {t['Initiative']} WHERE objective_id IN ({objectives})"
    kpis = (
        f"SELECT id FROM {t['KPI']} WHERE is_active AND (objective_id IN ({objectives}) "
        f"OR initiative_id IN ({initiatives}))"
    )
    milestones = f"SELECT id FROM {t['Milestone']} WHERE initiative_id IN ({initiatives})"
    themes = f"SELECT id FROM {t['Theme']} WHERE strategy_id = %(s)s"
    subjects = (
        f"(subject_type = 'strategy' AND subject_id = %(s)s) "
        f"OR (subject_type = 'theme' AND subject_id IN ({themes})) "
        f"OR (subject_type = 'objective' AND subject_id IN ({objectives})) "
        f"OR (subject_type = 'initiative' AND subject_id IN ({initiatives})) "
        f"OR (subject_type = 'kpi' AND subject_id IN ({kpis}))"
    )
    statements = [
        f"SELECT id, name, "
        f"(SELECT count(*) FROM {t['Objective']} WHERE strategy_id = %(s)s) "
        f"FROM {t['Theme']} WHERE strategy_id = %(s)s",
        f"SELECT id, title, team_id, status, theme_id, parent_id, due_date "
        f"FROM {t['Objective']} WHERE strategy_id = %(s)s",
        f"SELECT id, title, team_id, status, objective_id, progress, due_date, budget_planned, "
        f"spent, last_checkin_at, checkin_cadence_days FROM {t['Initiative']} "
        f"WHERE objective_id IN ({objectives})",
        f"SELECT m.id, m.title, m.initiative_id, i.team_id, m.due_date, m.completed_on "
        f"FROM {t['Milestone']} m JOIN {t['Initiative']} i ON i.id = m.initiative_id "
        f"WHERE m.initiative_id IN ({initiatives})",
        f"SELECT k.id, k.name, k.team_id, k.unit, k.direction, k.baseline_value, "
        f"k.target_value, k.target_date, k.objective_id, k.initiative_id, k.owner_id, "
        f"(SELECT value FROM {t['Measurement']} WHERE kpi_id = k.id "
        f"ORDER BY as_of DESC, id DESC LIMIT 1), "
        f"(SELECT reason FROM {t['TargetRevision']} WHERE kpi_id = k.id "
        f"ORDER BY changed_at DESC, id DESC LIMIT 1) "
        f"FROM {t['KPI']} k WHERE k.id IN ({kpis})",
        f"SELECT kpi_id, as_of, value FROM (SELECT kpi_id, as_of, value, row_number() OVER "
        f"(PARTITION BY kpi_id ORDER BY as_of DESC) AS n FROM {t['Measurement']} "
        f"WHERE kpi_id IN ({kpis}) AND as_of <= %(today)s) AS r WHERE n <= {TREND_POINTS}",
        f"SELECT subject_type, subject_id, status, score, reason, reason_parts, components, "
        f"forecast FROM {t['GapScore']} WHERE is_latest AND ({subjects})",
        f"SELECT id, kind, severity, subject_type, subject_id, team_id, title, title_parts, "
        f"message, message_parts, opened_at, status FROM {t['Alert']} "
        f"WHERE status IN ('open', 'acknowledged') AND ({subjects} "
        f"OR (subject_type = 'milestone' AND subject_id IN ({milestones}))) "
        f"ORDER BY severity DESC, opened_at DESC LIMIT {ALERT_LIMIT}",
        f"SELECT c.id, c.created_at, c.rag, c.confidence, c.summary, c.initiative_id, "
        f"c.author_id FROM {t['CheckIn']} c WHERE c.initiative_id IN ({initiatives}) "
        f"AND c.created_at >= %(since)s ORDER BY c.created_at DESC LIMIT {CHECKIN_LIMIT}",
        f"SELECT a.id, a.title, a.team_id, a.status, a.due_date, a.owner_id "
        f"FROM {t['ActionItem']} a JOIN {t['Meeting']} m ON m.id = a.meeting_id "
        f"WHERE m.review_id = %(r)s",
    ]
    rows = 0
    params = {"s": strategy_id, "r": review_id, "since": since, "today": today}
    with connection.cursor() as cursor:
        for sql in statements:
            cursor.execute(sql, params)
            rows += len(cursor.fetchall())
    return rows


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--reps", type=int, default=5)
    parser.add_argument("--no-pdf", action="store_true", help="skip the PDF's time")
    args = parser.parse_args()
    if args.reps < 3:
        parser.error("--reps must be at least 3")
    sys.path.insert(0, str(ROOT))
    os.environ.setdefault("DEBUG", "true")
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "execsupport.settings")
    import django

    django.setup()
    import datetime as dt

    from django.contrib.auth import get_user_model
    from django.db import connection, transaction
    from django.utils import timezone

    from reviews.models import Meeting, Review
    from reviews.services import pack_freeze
    from strategy.access import access_for
    from strategy.models import STRATEGY_OFFICE_GROUP
    from strategy.selectors import strategy_current

    strategy = strategy_current()
    if strategy is None:
        print("no strategy: seed the database first (bench/seed_scale.py)")
        return 2
    print(f"database: {connection.vendor} {connection.settings_dict.get('NAME')}")
    print(f"strategy: {strategy.name} (id {strategy.pk})")
    now = timezone.now()
    since = now - dt.timedelta(days=30)
    freeze_s: list[float] = []
    floor_s: list[float] = []
    items = rows = 0
    peak_mb = 0.0
    try:
        with transaction.atomic():
            review = Review.objects.create(
                name="Bench monthly review", strategy=strategy, scope=Review.Scope.STRATEGY
            )
            # The freeze's own peak memory: one freeze first, before the floor's reads (which
            # hold their 80,000 rows at scale 100) can raise the process's high-water mark.
            try:
                with transaction.atomic():
                    meeting = Meeting.objects.create(review=review, starts_at=now)
                    pack_freeze(meeting=meeting, now=now)
                    raise _Rollback
            except _Rollback:
                pass
            freeze_peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
            for _ in range(args.reps):
                started = time.perf_counter()
                rows = floor_read(
                    strategy_id=strategy.pk, review_id=review.pk, since=since, today=now.date()
                )
                floor_s.append(time.perf_counter() - started)
                try:
                    with transaction.atomic():
                        meeting = Meeting.objects.create(review=review, starts_at=now)
                        started = time.perf_counter()
                        pack, _ = pack_freeze(meeting=meeting, now=now)
                        freeze_s.append(time.perf_counter() - started)
                        items = len(pack.data["items"])
                        raise _Rollback
                except _Rollback:
                    pass
            peak_mb = _report(
                floor_s=floor_s, freeze_s=freeze_s, items=items, rows=rows, peak_mb=freeze_peak_mb
            )
            if not args.no_pdf:
                meeting = Meeting.objects.create(review=review, starts_at=now)
                pack, _ = pack_freeze(meeting=meeting, now=now)
                office = (
                    get_user_model()
                    .objects.filter(groups__name=STRATEGY_OFFICE_GROUP, is_active=True)
                    .first()
                )
                print(_pdf_time(pack=pack, user=office, access=access_for(office)), flush=True)
            raise _Rollback
    except _Rollback:
        pass
    if args.no_pdf:
        print("PDF: skipped (--no-pdf)")
    ratio_min = min(freeze_s) / min(floor_s)
    return 0 if ratio_min <= TARGET_RATIO and peak_mb < MEMORY_MB else 1


def _report(
    *, floor_s: list[float], freeze_s: list[float], items: int, rows: int, peak_mb: float
) -> float:
    """Print the freeze against the floor, the freeze's peak memory ``peak_mb`` (the process's
    high-water mark after Django's start and one freeze, before the floor's reads and the PDF,
    whose layout is not part of the memory target) and the process's peak so far; returns
    ``peak_mb``."""
    process_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"pack items: {items}; rows read by the floor: {rows}; reps: {len(freeze_s)}")
    print("side     min (s)   median (s)")
    for name, times in (("floor", floor_s), ("freeze", freeze_s)):
        print(f"{name:8} {min(times):8.3f}  {statistics.median(times):10.3f}")
    ratio_min = min(freeze_s) / min(floor_s)
    ratio_median = statistics.median(freeze_s) / statistics.median(floor_s)
    verdict = "ok" if ratio_min <= TARGET_RATIO else "ABOVE TARGET"
    print(
        f"freeze / floor: {ratio_min:.2f}x (min), {ratio_median:.2f}x (median); "
        f"target <= {TARGET_RATIO:.0f}x: {verdict}"
    )
    print(f"peak memory (freezing): {peak_mb:.0f} MB (target < {MEMORY_MB} MB)")
    print(f"peak memory of the process with the floor's reads: {process_mb:.0f} MB", flush=True)
    return peak_mb


def _pdf_time(*, pack, user, access) -> str:
    import io

    from django.conf import settings

    from execsupport.pdf import PdfUnavailable
    from reviews.pdf import pack_pdf

    started = time.perf_counter()
    try:
        content = pack_pdf(pack=pack, user=user, access=access, base_url=settings.SITE_URL)
    except PdfUnavailable as exc:
        return f"PDF: not measured ({exc})"
    seconds = time.perf_counter() - started
    try:
        from pypdf import PdfReader

        pages = f"{len(PdfReader(io.BytesIO(content)).pages)} pages"
    except ImportError:
        pages = "pages not counted (pypdf missing)"
    return f"PDF of the strategy pack: {seconds:.2f} s, {len(content) / 1024:.0f} KiB, {pages}"


if __name__ == "__main__":
    raise SystemExit(main())
