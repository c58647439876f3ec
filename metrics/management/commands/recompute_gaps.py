"""``python manage.py recompute_gaps``: recompute every gap score and alert now.

Runs in this process, chunk after chunk, with a progress bar; needs no broker. ``--enqueue``
instead hands the job to the Celery workers (the nightly task, chunks in parallel).
"""

from __future__ import annotations

from django.core.management.base import BaseCommand, CommandError
from tqdm import tqdm

from metrics.engine import full_recompute, full_recompute_plan


class Command(BaseCommand):
    help = "Recompute every gap score, forecast and alert (full recompute)."

    def add_arguments(self, parser) -> None:
        parser.add_argument(
            "--chunk-size", type=int, default=None, help="Subjects per chunk (GAP_CHUNK_SIZE)."
        )
        parser.add_argument(
            "--enqueue",
            action="store_true",
            help="Send the recompute to the Celery workers instead of running it here.",
        )
        parser.add_argument("--no-progress", action="store_true", help="No progress bar.")

    def handle(self, *args, chunk_size=None, enqueue=False, no_progress=False, **options) -> None:
        if chunk_size is not None and chunk_size < 1:
            raise CommandError("--chunk-size must be a positive number.")
        if enqueue:
            from metrics.tasks import enqueue_safely, gaps_recompute_all

            if not enqueue_safely(gaps_recompute_all):
                raise CommandError("Could not reach the Celery broker; run without --enqueue.")
            self.stdout.write("Full recompute enqueued.")
            return
        kpi_chunks, initiative_chunks = full_recompute_plan(chunk_size=chunk_size)
        total = sum(map(len, kpi_chunks)) + sum(map(len, initiative_chunks)) + 1
        with tqdm(
            total=total,
            unit="subject",
            desc="Recomputing gap scores",
            disable=no_progress,
            file=self.stderr._out,
        ) as bar:

            def progress(stage: str, done: int) -> None:
                bar.set_postfix_str(stage)
                bar.update(done)

            stats = full_recompute(chunk_size=chunk_size, progress=progress)
        summary = stats.as_dict()
        self.stdout.write(
            self.style.SUCCESS(
                f"Computed {summary['computed']} scores ({summary['written']} changed, "
                f"{summary['unavailable']} unavailable), {summary['alerts_opened']} alerts "
                f"opened, in {summary['seconds']:.1f} s."
            )
        )
