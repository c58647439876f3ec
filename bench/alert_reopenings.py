"""Alert churn over the demo's 12 weekly history runs (figures for the README; not a test).

Seeds the demo into the configured database (use a scratch one), scores the 12 weeks before
``--today`` one day a week (``history_recompute``) and then today, and prints, per alert kind:
alerts opened, openings that were reopenings, alerts reopened more than once, and the openings
that would have notified their owner (a fresh opening, or a reopening after the renotify
window: history runs notify nobody, so this replays the rule over the runs' times).

    DATABASE_URL=sqlite:////tmp/churn.sqlite3 DEBUG=true python manage.py migrate -v0
    DATABASE_URL=sqlite:////tmp/churn.sqlite3 DEBUG=true python bench/alert_reopenings.py

Reopenings are counted from the alert rows (``reopened_count``), so the script also measures
code from before the alert log existed.
"""

from __future__ import annotations

import argparse
import datetime as dt
import io
import os
import sys
from collections import Counter
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "execsupport.settings")


def main() -> None:
    import django

    django.setup()
    from django.core.management import call_command
    from django.utils import timezone

    from metrics.engine import full_recompute
    from metrics.engine.run import history_recompute
    from metrics.models import Alert

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--today", default="2026-11-27")
    parser.add_argument("--seed", default="7")
    parser.add_argument("--weeks", type=int, default=12)
    args = parser.parse_args()
    today = dt.date.fromisoformat(args.today)
    call_command(
        "seed_demo",
        f"--today={today:%Y-%m-%d}",
        f"--seed={args.seed}",
        "--no-progress",
        "--no-scores",
        stdout=io.StringIO(),
    )
    history_recompute(today=today, weeks=args.weeks)
    full_recompute(today=today, now=timezone.make_aware(dt.datetime.combine(today, dt.time(3))))
    rows = list(Alert.objects.values_list("kind", "reopened_count", "status", "severity"))
    opened, reopened, churning, active, critical = Counter(), Counter(), Counter(), Counter(), 0
    for kind, count, status, severity in rows:
        opened[kind] += 1
        reopened[kind] += count
        churning[kind] += count > 1
        if status in Alert.ACTIVE_STATUSES:
            active[kind] += 1
            critical += severity == Alert.Severity.CRITICAL
    print(f"{'kind':22} {'alerts':>7} {'reopenings':>11} {'reopened >1x':>13} {'active now':>11}")
    for kind in sorted(opened):
        print(
            f"{kind:22} {opened[kind]:7} {reopened[kind]:11} {churning[kind]:13} {active[kind]:11}"
        )
    print(
        f"{'total':22} {sum(opened.values()):7} {sum(reopened.values()):11} "
        f"{sum(churning.values()):13} {sum(active.values()):11}"
    )
    print(f"critical among the active: {critical}")


if __name__ == "__main__":
    main()
