"""``manage.py seed_demo``: load the Brightwell Systems demo organisation.

The whole run (reset included) is one transaction: an error leaves the database as it was.

With ``DEBUG=false`` (production) it refuses unless ``--allow-production`` is given; then the
demo logins get random passwords, printed once, and every other demo person an unusable one:
the published demo password never reaches a production database. The runtime image leaves the
``demo.builder`` package out; there the command says so instead of failing on the import.
"""

from __future__ import annotations

import datetime as dt
import sys
import time

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import transaction
from django.utils import timezone
from typing_extensions import override

try:
    from demo.builder import (
        DEMO_PASSWORD,
        DemoSummary,
        demo_existing_data,
        demo_foreign_logins,
        demo_logins,
        demo_random_passwords,
        demo_reset,
        demo_seed,
        describe_counts,
    )
except ModuleNotFoundError as exc:  # the runtime image (Dockerfile) leaves the demo out
    if exc.name != "demo.builder":
        raise
    DEMO_MISSING = True
else:
    DEMO_MISSING = False


def _date(value: str) -> dt.date:
    try:
        return dt.date.fromisoformat(value)
    except ValueError:
        raise CommandError(f"--today must be a date as YYYY-MM-DD, not {value!r}.") from None


class Command(BaseCommand):
    """``seed_demo``: build the demo organisation (``demo.builder``), optionally after a reset,
    then its score history and today's scores; see the module's docstring for production."""

    help = (
        "Create a realistic demo organisation (teams, people, strategy, objectives, initiatives, "
        "KPIs with 12-18 months of measurements). Deterministic for a given --seed and --today."
    )

    @override
    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--seed", type=int, default=42, help="Random seed (default 42).")
        parser.add_argument(
            "--today",
            help="The day the demo is 'as of', YYYY-MM-DD (default: today). Every date in the "
            "demo is relative to it.",
        )
        parser.add_argument(
            "--scale",
            type=int,
            default=1,
            help="Copies of the organisation, for benchmarks: 100 gives ~1,600 objectives, "
            "~3,100 initiatives, ~4,500 KPIs and over a million measurements.",
        )
        mode = parser.add_mutually_exclusive_group()
        mode.add_argument(
            "--reset",
            action="store_true",
            help="Delete all existing organisation data and demo people first.",
        )
        mode.add_argument(
            "--if-empty",
            action="store_true",
            help="Do nothing (and succeed) when the database already has organisation data.",
        )
        parser.add_argument("--no-progress", action="store_true", help="No progress bar.")
        parser.add_argument(
            "--allow-production",
            action="store_true",
            help="Seed although DEBUG=false: the demo logins get random passwords, printed "
            "once; every other demo person cannot sign in.",
        )
        parser.add_argument(
            "--history-weeks",
            type=int,
            default=12,
            help="Weeks of score history computed before today's scores, one day a week, from "
            "the demo's dated measurements, check-ins, spend and milestones (default 12; 0 for "
            "none).",
        )
        parser.add_argument(
            "--no-scores",
            action="store_true",
            help="Do not compute gap scores and alerts afterwards (benchmarks time them apart).",
        )

    @override
    def handle(self, *args, **options) -> None:
        if DEMO_MISSING:
            raise CommandError(
                "The demo organisation is not part of this installation (the runtime image "
                "leaves demo/builder out). Seed a demo from a source checkout."
            )
        production = not settings.DEBUG
        if production and not options["allow_production"]:
            raise CommandError(
                "DEBUG is false: this looks like production, and the demo creates people with "
                "a published password, one of them a superuser. Run with --allow-production "
                "to seed anyway with random passwords (printed once)."
            )
        today = _date(options["today"]) if options["today"] else timezone.localdate()
        scale = options["scale"]
        if scale < 1:
            raise CommandError(f"--scale must be 1 or more, not {scale}.")
        from metrics.engine import history_weeks_check

        try:
            history_weeks_check(options["history_weeks"])
        except ValueError as exc:
            raise CommandError(str(exc)) from exc
        progress = not options["no_progress"] and sys.stderr.isatty()
        started = time.perf_counter()
        with transaction.atomic():
            existing = demo_existing_data()
            if existing and options["if_empty"]:
                self.stdout.write(
                    "The database already has organisation data "
                    f"({describe_counts(existing)}): nothing to do."
                )
                self.report_logins(passwords=None, production=production)
                return
            if existing and not options["reset"]:
                raise CommandError(
                    f"The database already has organisation data ({describe_counts(existing)}). "
                    "Run again with --reset to delete it and seed afresh, or with --if-empty "
                    "to leave it as it is."
                )
            clashes = demo_foreign_logins()
            if clashes:
                raise CommandError(
                    "These demo login names belong to people who are not demo people: "
                    f"{', '.join(clashes)}. Rename them first; --reset never deletes them."
                )
            if existing:
                demo_reset()
                self.stdout.write(
                    f"Deleted the existing organisation data ({describe_counts(existing)})."
                )
            passwords = demo_random_passwords() if production else None
            summary = demo_seed(
                seed=options["seed"],
                today=today,
                scale=scale,
                progress=progress,
                passwords=passwords,
            )
        # Measured after the commit: PostgreSQL checks the deferred foreign keys then.
        self.report(summary, seconds=time.perf_counter() - started)
        if not options["no_scores"]:
            self.compute_scores(today=today, weeks=options["history_weeks"])
        self.support_plan(today=today)
        self.report_logins(passwords=passwords, production=production)

    def support_plan(self, *, today: dt.date) -> None:
        """The execution-support loop (after the scores: its first assessment freezes them)."""
        from demo.builder.support_plan import support_demo_seed

        made = support_demo_seed(today=today)
        if made:
            self.stdout.write(
                "Execution support: "
                + ", ".join(f"{count} {name}" for name, count in made.items())
                + "."
            )

    def compute_scores(self, *, today: dt.date, weeks: int) -> None:
        """The weeks of history, then the same full recompute as ``recompute_gaps``, as of the
        demo's ``--today``."""
        from demo.builder.reviews import (
            demo_reviews_create,
            demo_reviews_day,
            demo_reviews_finish,
        )
        from metrics.engine import full_recompute, history_recompute

        started = time.perf_counter()
        meetings = demo_reviews_create(today=today, weeks=weeks)
        if weeks:
            history = history_recompute(
                today=today,
                weeks=weeks,
                after_day=lambda day, now: demo_reviews_day(
                    day=day, today=today, meetings=meetings
                ),
            )
            self.stdout.write(
                f"Computed {weeks} weeks of score history ({history.written} scores) in "
                f"{time.perf_counter() - started:.1f} s."
            )
            started = time.perf_counter()
        stats = full_recompute(today=today).as_dict()
        packs = demo_reviews_finish(today=today, meetings=meetings)
        self.stdout.write(
            self.style.SUCCESS(
                f"Computed {stats['computed']} gap scores and opened {stats['alerts_opened']} "
                f"alerts in {time.perf_counter() - started:.1f} s."
            )
        )
        from reviews.models import Pack

        self.stdout.write(
            f"Review history: {Pack.objects.count()} packs frozen ({packs} today), with their "
            "decisions and action items."
        )

    def report(self, summary: DemoSummary, *, seconds: float) -> None:
        """Print what was seeded: seed, day, scale and time (seconds), then the rows per model."""
        out = self.stdout
        out.write(
            self.style.SUCCESS(
                f"Seeded the Brightwell Systems demo in {seconds:.1f} s "
                f"(seed {summary.seed}, today {summary.today:%Y-%m-%d}, scale {summary.scale})."
            )
        )
        width = max(len(name) for name in summary.counts)
        for name, count in summary.counts.items():
            out.write(f"  {name:<{width}}  {count:>10,}")

    def report_logins(self, *, passwords: dict[str, str] | None, production: bool) -> None:
        """The demo logins; in production their random passwords, only right after seeding
        (they are stored as hashes only: a later run cannot show them again)."""
        out = self.stdout
        logins = demo_logins()
        width = max(len(username) for username, _, _ in logins)
        out.write("")
        if production and passwords is None:
            out.write(
                f"Demo logins ({', '.join(u for u, _, _ in logins)}): their random passwords "
                "were shown once, when the demo was seeded. Set new ones with "
                "manage.py changepassword <username>."
            )
            return
        if production:
            assert passwords is not None  # returned above without them
            out.write(
                f"Sign in at {settings.SITE_URL}/ with these passwords. They are shown only "
                "this once; store them now:"
            )
            for username, full_name, what in logins:
                out.write(f"  {username:<{width}}  {passwords[username]}  {full_name} — {what}")
            out.write("Every other demo person has no usable password (set one in /admin/).")
            return
        out.write(f"Sign in at {settings.SITE_URL}/ with the password “{DEMO_PASSWORD}”:")
        for username, full_name, what in logins:
            out.write(f"  {username:<{width}}  {full_name} — {what}")
        out.write(
            "Every other demo person (e.g. catherine.shaw, the CEO) signs in with the same "
            "password; see /admin/auth/user/."
        )
