"""The alert load a person carries: open and critical alerts per person, and the notifications
per person the rules would have sent over the demo's weeks of history.

Two modes:

``--replay`` (default database: a fresh temporary SQLite file; or ``DATABASE_URL`` pointing
at an *empty*, migrated database): seeds the demo (``seed_demo --seed S --today D
--history-weeks 0 --no-scores``), then replays the history as ``seed_demo`` computes it
(``full_recompute(history=True)`` one day a week, 02:30, oldest first) but, after each run,
hands the alerts that run opened to the notification path the nightly run uses
(``metrics.notifications.alerts_notify`` at that run's time, e-mails captured in memory),
followed by the daily digest of that day when the code has one
(``metrics.digest.digests_build``). History runs never notify, so this replay is the only way
to see what the renotify window, hysteresis, root-cause grouping, noise budget and snooze
(whatever the code under test implements) would have sent. Finally the full recompute of
``--today`` and the alert figures of its result.

``--count`` (on ``DATABASE_URL`` as it is, e.g. after ``seed_demo --scale 100
--history-weeks 0``; run ``recompute_gaps`` first to apply the code's current rules): the alert
figures only.

"Per person" is per alert owner (the person to act, after routing); alerts without an owner
are counted apart. "Inbox rows" are what that person's inbox lists with "Only mine" by default
(causes listed inside their root alert are not rows of their own), when the code groups alerts
(``Alert.root``); otherwise the same as open alerts.

Usage (from the repository root):

    DEBUG=true python bench/alert_load.py --replay --seed 7 --today 2026-11-30
    DEBUG=true DATABASE_URL=postgres://... python bench/alert_load.py --count

Run the same command on the code before and after a change and compare the printed tables.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
from collections import Counter
from datetime import date, datetime, timedelta
from datetime import time as time_of_day
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def setup_django(database_url: str | None) -> None:
    sys.path.insert(0, str(ROOT))
    os.environ.setdefault("DEBUG", "true")
    if database_url:
        os.environ["DATABASE_URL"] = database_url
    os.environ["EMAIL_URL"] = "smtp://localhost:25"  # replaced by locmem below
    os.environ.pop("CELERY_BROKER_URL", None)
    os.environ.pop("REDIS_URL", None)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "execsupport.settings")
    import django
    from django.conf import settings

    django.setup()
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    import logging

    logging.getLogger("celery").setLevel(logging.WARNING)


def spread(values: list[int]) -> str:
    """``mean / median / max`` of per-person counts ("-" when nobody)."""
    if not values:
        return "-"
    return f"{statistics.mean(values):6.1f} / {statistics.median(values):5.1f} / {max(values):5d}"


def alert_figures(label: str) -> None:
    """Open and critical alerts, per owner, as the database stands."""
    from metrics.models import Alert

    active = Alert.objects.filter(status__in=Alert.ACTIVE_STATUSES)
    has_root = any(f.name == "root" for f in Alert._meta.get_fields())
    rows = list(
        active.values_list(
            "owner_id",
            "severity",
            *(["root_id", "root__owner_id", "root__status"] if has_root else []),
        )
    )
    open_by, critical_by, inbox_by, crit_rows_by = Counter(), Counter(), Counter(), Counter()
    unowned = unowned_critical = 0
    for row in rows:
        owner, severity = row[0], row[1]
        if owner is None:
            unowned += 1
            unowned_critical += severity == Alert.Severity.CRITICAL
            continue
        open_by[owner] += 1
        critical_by[owner] += severity == Alert.Severity.CRITICAL
        # A cause whose root alert is this person's too is listed inside the root.
        grouped = has_root and row[2] is not None and row[3] == owner and row[4] != "resolved"
        inbox_by[owner] += not grouped
        crit_rows_by[owner] += not grouped and severity == Alert.Severity.CRITICAL
    people = sorted(open_by)
    total = len(rows)
    critical = sum(1 for r in rows if r[1] == Alert.Severity.CRITICAL)
    print(f"\n== {label}: open alerts ==")
    print(f"open alerts (all)            {total:7d}")
    print(f"  of which critical          {critical:7d}")
    print(f"  without an owner           {unowned:7d} ({unowned_critical} critical)")
    print(f"people with an open alert    {len(people):7d}")
    print("per person (mean / median / max):")
    print(f"  open alerts                {spread([open_by[p] for p in people])}")
    print(f"  critical alerts            {spread([critical_by[p] for p in people])}")
    print(f"  inbox rows (Only mine)     {spread([inbox_by[p] for p in people])}")
    print(f"  critical inbox rows        {spread([crit_rows_by[p] for p in people])}")
    inside = active.filter(root__status__in=Alert.ACTIVE_STATUSES).count() if has_root else 0
    critical_rows = critical - (
        active.filter(
            root__status__in=Alert.ACTIVE_STATUSES, severity=Alert.Severity.CRITICAL
        ).count()
        if has_root
        else 0
    )
    print(f"inbox rows, every alert (the strategy office's inbox) {total - inside:7d}")
    print(f"  of which critical          {critical_rows:7d}")
    if has_root:
        roots = active.filter(kind="objective_off_track").count()
        print(f"root-cause alerts {roots}, alerts listed inside them {inside}")


def _to_notify(now):
    """The alerts the nightly run hands to the notifier, as ``rollups_all_recompute`` selects
    them: from the alert log when the code has one (opened, reopened, worsened or woke at
    ``now``), else those opened at ``now`` and not yet claimed."""
    from metrics import models
    from metrics.models import Alert

    event = getattr(models, "AlertEvent", None)
    if event is None:
        return Alert.objects.filter(
            status=Alert.Status.OPEN, opened_at=now, notify_claimed_at__isnull=True
        )
    return Alert.objects.filter(
        status=Alert.Status.OPEN,
        id__in=event.objects.filter(at=now, by__isnull=True, kind__in=event.NOTIFY_KINDS).values(
            "alert_id"
        ),
    )


def replay(*, seed: int, today: date, weeks: int) -> None:
    from django.core import mail
    from django.core.management import call_command
    from django.utils import timezone

    from metrics.engine import full_recompute
    from metrics.models import OutboxMessage
    from metrics.notifications import alerts_notify

    try:
        from metrics.digest import digests_build
    except ImportError:  # the code before the noise budget has no digest
        digests_build = None

    call_command("migrate", verbosity=0)
    call_command(
        "seed_demo",
        seed=seed,
        today=today.isoformat(),
        history_weeks=0,
        no_scores=True,
        no_progress=True,
        stdout=open(os.devnull, "w"),  # noqa: SIM115
    )
    mail.outbox = []
    immediate_alerts: dict[int, int] = Counter()  # alerts told at once, per person
    emails: dict[int, int] = Counter()  # e-mails (immediate or digest), per person
    digest_alerts: dict[int, int] = Counter()
    per_run: list[tuple[date, int, int, int, int]] = []
    first_run_alerts: dict[int, int] = Counter()
    worst_run = 0
    for back in range(weeks, 0, -1):
        day = today - timedelta(weeks=back)
        now = timezone.make_aware(datetime.combine(day, time_of_day(2, 30)))
        full_recompute(today=day, now=now, history=True)
        opened = list(_to_notify(now).values_list("id", flat=True))
        before = OutboxMessage.objects.order_by("-id").values_list("id", flat=True).first() or 0
        if opened:
            alerts_notify(alert_ids=opened, now=now)
        if digests_build is not None:
            digests_build(now=now + timedelta(hours=14, minutes=30))  # 17:00, the beat
        sent_now = Counter()
        run_emails = run_alerts = run_digest = 0
        for row in OutboxMessage.objects.filter(id__gt=before):
            kind = getattr(row, "kind", "immediate")
            if kind == "held":
                continue  # its alerts are counted in the digest that carries them
            emails[row.recipient_id] += 1
            run_emails += 1
            if kind == "digest":
                digest_alerts[row.recipient_id] += len(row.alert_ids)
                run_digest += len(row.alert_ids)
            else:
                immediate_alerts[row.recipient_id] += len(row.alert_ids)
                sent_now[row.recipient_id] += len(row.alert_ids)
                run_alerts += len(row.alert_ids)
        if back == weeks:
            first_run_alerts = sent_now
        worst_run = max([worst_run, *sent_now.values()])
        per_run.append((day, len(opened), run_alerts, run_digest, run_emails))
    print(f"\n== notifications replayed over {weeks} weekly history runs (seed {seed}) ==")
    print("day         opened  told-at-once  in-digest  e-mails")
    for day, opened, told, held, sent in per_run:
        print(f"{day}  {opened:6d}  {told:12d}  {held:9d}  {sent:7d}")
    people = sorted(set(emails) | set(immediate_alerts))
    later = {p: immediate_alerts[p] - first_run_alerts.get(p, 0) for p in people}
    print(f"people notified              {len(people):7d}")
    print(f"alerts told at once, total   {sum(immediate_alerts.values()):7d}")
    print(f"alerts held for a digest     {sum(digest_alerts.values()):7d}")
    print(f"e-mails, total               {sum(emails.values()):7d}")
    print("per person notified (mean / median / max):")
    print(f"  alerts told at once        {spread([immediate_alerts[p] for p in people])}")
    print(f"    after the first run      {spread([later[p] for p in people])}")
    print(f"  alerts in digests          {spread([digest_alerts[p] for p in people])}")
    print(f"  e-mails                    {spread([emails[p] for p in people])}")
    print(f"most alerts told at once to one person in one run: {worst_run}")
    # Today's run, as seed_demo ends (this one notifies in real life too).
    full_recompute(today=today)
    alert_figures(f"demo seed {seed}, as of {today}")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    mode = parser.add_mutually_exclusive_group()
    mode.add_argument("--replay", action="store_true", help="seed the demo and replay (default)")
    mode.add_argument("--count", action="store_true", help="count alerts on DATABASE_URL")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--today", default="2026-11-30", help="YYYY-MM-DD")
    parser.add_argument("--weeks", type=int, default=12)
    args = parser.parse_args()
    if args.count:
        setup_django(None)
        alert_figures(f"database {os.environ.get('DATABASE_URL', 'sqlite (default)')}")
        return 0
    database_url = os.environ.get("DATABASE_URL")
    if not database_url:
        path = Path(tempfile.mkdtemp(prefix="alert_load_")) / "db.sqlite3"
        database_url = f"sqlite:///{path}"
    setup_django(database_url)
    from django.conf import settings

    print(
        f"database: {database_url}; NOTIFY_IMMEDIATE_PER_DAY="
        f"{getattr(settings, 'NOTIFY_IMMEDIATE_PER_DAY', 'none (no budget)')}; "
        f"GAP_ALERT_RENOTIFY_HOURS={settings.GAP_ALERT_RENOTIFY_HOURS}"
    )
    replay(seed=args.seed, today=date.fromisoformat(args.today), weeks=args.weeks)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
