"""``python manage.py recompute_gaps``: recompute every gap score and alert now.

Runs in this process, chunk after chunk, with a progress bar; needs no broker. ``--enqueue``
instead hands the job to the Celery workers (the nightly task, chunks in parallel).
``--history-weeks N`` first fills the score history of the N weeks before today (after an
import of past records). A subject whose inputs did not change since its score of the day is
skipped (``metrics.engine.unchanged``); ``--all-again`` scores every one.
"""

from __future__ import annotations

from typing import TextIO, cast

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone
from tqdm import tqdm
from typing_extensions import override

from metrics.engine import (
    HistoryExists,
    full_recompute,
    full_recompute_plan,
    history_recompute,
    history_weeks_check,
)


class Command(BaseCommand):
    """``recompute_gaps``: a full recompute here or by the workers (``--enqueue``), optionally
    after filling past weeks' history."""

    help = "Recompute every gap score, forecast and alert (full recompute)."

    @override
    def add_arguments(self, parser) -> None:
        parser.add_argument(
            "--chunk-size", type=int, default=None, help="Subjects per chunk (GAP_CHUNK_SIZE)."
        )
        parser.add_argument(
            "--enqueue",
            action="store_true",
            help="Send the recompute to the Celery workers instead of running it here.",
        )
        parser.add_argument(
            "--history-weeks",
            type=int,
            default=0,
            help="First fill the score history of the N weeks before today, one day a week, "
            "from the records dated up to each day (after importing past measurements and "
            "check-ins; only days that have no scores yet).",
        )
        parser.add_argument(
            "--all-again",
            action="store_true",
            help="Score every subject, even one whose inputs did not change since its score "
            "of the day (which is otherwise skipped).",
        )
        parser.add_argument("--no-progress", action="store_true", help="No progress bar.")

    @override
    def handle(
        self,
        *args,
        chunk_size=None,
        enqueue=False,
        no_progress=False,
        history_weeks=0,
        all_again=False,
        **options,
    ) -> None:
        if chunk_size is not None and chunk_size < 1:
            raise CommandError("--chunk-size must be a positive number.")
        try:
            history_weeks_check(history_weeks)
        except ValueError as exc:
            raise CommandError(str(exc)) from exc
        if all_again and enqueue:
            raise CommandError("--all-again runs here: leave out --enqueue.")
        if history_weeks and enqueue:
            raise CommandError("--history-weeks runs here: leave out --enqueue.")
        if history_weeks:
            try:
                history = history_recompute(today=timezone.localdate(), weeks=history_weeks)
            except HistoryExists as exc:
                raise CommandError(str(exc)) from exc
            self.stdout.write(
                f"Computed {history_weeks} weeks of score history ({history.written} scores, "
                f"{history.seconds:.1f} s)."
            )
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
            file=cast(TextIO, self.stderr._out),  # the stream OutputWrapper wraps
        ) as bar:

            def progress(stage: str, done: int) -> None:
                bar.set_postfix_str(stage)
                bar.update(done)

            stats = full_recompute(
                chunk_size=chunk_size, progress=progress, skip_unchanged=not all_again
            )
        summary = stats.as_dict()
        self.stdout.write(
            self.style.SUCCESS(
                f"Computed {summary['computed']} scores ({summary['written']} changed, "
                f"{summary['unavailable']} unavailable), {summary['alerts_opened']} alerts "
                f"opened, {summary['skipped']} subjects unchanged since their score of the "
                f"day, in {summary['seconds']:.1f} s."
            )
        )
