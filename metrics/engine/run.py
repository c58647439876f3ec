"""The engine's entry points: incremental recompute, chunks of the full recompute, history.
The sweep is ``metrics.engine.sweeper``; the recorded run on workers, ``metrics.engine.runs``."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from datetime import time as time_of_day

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from initiatives.models import Initiative, Milestone
from metrics.alerts import (
    INITIATIVE_KINDS,
    KPI_KINDS,
    MILESTONE_KINDS,
    OBJECTIVE_KINDS,
    ROLLUP_KINDS,
)
from metrics.engine.alert_writes import LAST_SEEN_RESOLUTION
from metrics.engine.common import Actors, LatestCache, Outcome, engine_thresholds
from metrics.engine.initiatives import initiatives_compute
from metrics.engine.kpis import kpis_compute
from metrics.engine.persist import dirty_clear, write_outcomes
from metrics.engine.rollups import rollups_compute
from metrics.engine.unchanged import Unchanged
from metrics.models import (
    KPI,
    Alert,
    AlertEvent,
    DirtySubject,
    GapScore,
    SubjectType,
)
from metrics.queue import ALERTS_NOTIFY, enqueue


@dataclass
class RunStats:
    """Counts of a run or a chunk: subjects computed, scores written, subjects unavailable, the ids
    of alerts opened, subjects skipped (inputs unchanged since their score of the day,
    ``metrics.engine.unchanged``), and the seconds taken."""

    computed: int = 0
    written: int = 0
    unavailable: int = 0
    alerts_opened: list[int] = field(default_factory=list)
    seconds: float = 0.0
    skipped: int = 0

    def add(self, other: RunStats) -> None:
        """Add another chunk's counts to these."""
        self.computed += other.computed
        self.written += other.written
        self.unavailable += other.unavailable
        self.alerts_opened += other.alerts_opened
        self.seconds += other.seconds
        self.skipped += other.skipped

    def as_dict(self) -> dict:
        """The counts as JSON for a task's result (``alerts_opened`` as a count, seconds rounded to
        ms)."""
        return {
            "computed": self.computed,
            "written": self.written,
            "unavailable": self.unavailable,
            "alerts_opened": len(self.alerts_opened),
            "skipped": self.skipped,
            "seconds": round(self.seconds, 3),
        }


def chunks(ids: list[int], size: int) -> Iterable[list[int]]:
    """The ids in consecutive lists of at most ``size``, in order."""
    for start in range(0, len(ids), size):
        yield ids[start : start + size]


def _finish(
    *, outcomes: list[Outcome], latest: LatestCache, today: date, now: datetime, notify: bool
) -> RunStats:
    stats = RunStats(computed=len(outcomes))
    stats.unavailable = sum(1 for o in outcomes if o.result.status == "unavailable")
    stats.written, stats.alerts_opened = write_outcomes(
        outcomes=outcomes, latest=latest, today=today, now=now
    )
    if notify and stats.alerts_opened:
        ids = stats.alerts_opened
        transaction.on_commit(lambda: enqueue(ALERTS_NOTIFY, alert_ids=ids))
    return stats


def subjects_recompute(
    *,
    subjects: Iterable[tuple[str, int]],
    marked_at: datetime | None = None,
    today: date | None = None,
    now: datetime | None = None,
    notify: bool = True,
) -> RunStats:
    """Recompute these subjects and their ancestors only (initiative -> objective -> parent
    objectives -> teams, themes, strategy), each once, then clear their dirty marks."""
    started = time.perf_counter()
    today = today or timezone.localdate()
    now = now or timezone.now()
    subjects = list(dict.fromkeys((str(t), int(i)) for t, i in subjects))
    thresholds = engine_thresholds()
    actors, latest, run = Actors(), LatestCache(), {}
    ids: dict[str, set[int]] = {}
    for subject_type, subject_id in subjects:
        ids.setdefault(subject_type, set()).add(subject_id)
    if ids.get(SubjectType.MILESTONE):
        ids.setdefault(SubjectType.INITIATIVE, set()).update(
            Milestone.objects.filter(id__in=ids[SubjectType.MILESTONE]).values_list(
                "initiative_id", flat=True
            )
        )
    outcomes: list[Outcome] = []
    for chunk in chunks(sorted(ids.get(SubjectType.KPI, ())), settings.GAP_CHUNK_SIZE):
        outcomes += kpis_compute(kpi_ids=chunk, today=today, thresholds=thresholds, actors=actors)
    run.update({o.key: o for o in outcomes})
    initiative_ids = set(ids.get(SubjectType.INITIATIVE, ()))
    objective_ids = set(ids.get(SubjectType.OBJECTIVE, ()))
    for o in outcomes:
        if o.parent and o.parent[0] == SubjectType.INITIATIVE:
            initiative_ids.add(o.parent[1])
        elif o.parent:
            objective_ids.add(o.parent[1])
    for chunk in chunks(sorted(initiative_ids), settings.GAP_CHUNK_SIZE):
        done = initiatives_compute(
            initiative_ids=chunk, today=today, thresholds=thresholds, overrides=run, actors=actors
        )
        run.update({o.key: o for o in done})
        outcomes += done
        objective_ids |= {o.parent[1] for o in done if o.parent}
    rollup_types = {SubjectType.TEAM, SubjectType.THEME, SubjectType.STRATEGY}
    if objective_ids or rollup_types & ids.keys():
        outcomes += rollups_compute(
            # Teams, themes or strategies marked on their own: their whole plan is rolled up.
            objective_ids=None if rollup_types & ids.keys() else objective_ids,
            today=today,
            thresholds=thresholds,
            run=run,
            latest=latest,
            actors=actors,
        )
    stats = _finish(outcomes=outcomes, latest=latest, today=today, now=now, notify=notify)
    dirty_clear(subjects=subjects, marked_at=marked_at or now)
    stats.seconds = time.perf_counter() - started
    return stats


def kpis_chunk_recompute(
    *,
    kpi_ids: list[int],
    today: date,
    now: datetime,
    notify: bool = True,
    history: bool = False,
    skip_unchanged: bool = True,
) -> RunStats:
    """One chunk of the full recompute: KPI scores and alerts only (no rollup).

    ``skip_unchanged``: a KPI whose inputs match those of its score of ``today`` is not
    scored again (``metrics.engine.unchanged``); never in a ``history`` run."""
    started = time.perf_counter()
    latest = LatestCache()
    unchanged = Unchanged(latest=latest, today=today) if skip_unchanged and not history else None
    outcomes = kpis_compute(
        kpi_ids=kpi_ids,
        today=today,
        thresholds=engine_thresholds(),
        history=history,
        unchanged=unchanged,
    )
    stats = _finish(outcomes=outcomes, latest=latest, today=today, now=now, notify=notify)
    _skipped_seen(stats, unchanged, kinds=KPI_KINDS, now=now)
    stats.seconds = time.perf_counter() - started
    return stats


def initiatives_chunk_recompute(
    *,
    initiative_ids: list[int],
    today: date,
    now: datetime,
    notify: bool = True,
    history: bool = False,
    skip_unchanged: bool = True,
) -> RunStats:
    """One chunk of the full recompute: initiative scores from the stored KPI scores.
    ``skip_unchanged``: as in ``kpis_chunk_recompute``."""
    started = time.perf_counter()
    latest = LatestCache()
    unchanged = Unchanged(latest=latest, today=today) if skip_unchanged and not history else None
    outcomes = initiatives_compute(
        initiative_ids=initiative_ids,
        today=today,
        thresholds=engine_thresholds(),
        history=history,
        unchanged=unchanged,
    )
    stats = _finish(outcomes=outcomes, latest=latest, today=today, now=now, notify=notify)
    _skipped_seen(stats, unchanged, kinds=INITIATIVE_KINDS | MILESTONE_KINDS, now=now)
    stats.seconds = time.perf_counter() - started
    return stats


def _skipped_seen(
    stats: RunStats, unchanged: Unchanged | None, *, kinds: frozenset[str], now: datetime
) -> None:
    """Count a chunk's skipped subjects and refresh their firing alerts' ``last_seen_at``."""
    if unchanged is not None and unchanged.skipped:
        stats.skipped = len(unchanged.skipped)
        unchanged.alerts_seen(kinds=kinds, now=now, cutoff=now - LAST_SEEN_RESOLUTION)


def rollups_all_recompute(
    *, today: date, now: datetime, notify: bool = True, skip_unchanged: bool = True
) -> RunStats:
    """Last step of the full recompute: every objective bottom-up, teams, themes, strategies.

    With ``notify``, it also sends one notification batch for every alert the whole run opened
    (the chunks of a full run do not notify: no storm of one message per chunk).
    ``skip_unchanged``: as in ``kpis_chunk_recompute``."""
    started = time.perf_counter()
    latest = LatestCache()
    unchanged = Unchanged(latest=latest, today=today) if skip_unchanged else None
    outcomes = rollups_compute(
        objective_ids=None,
        today=today,
        thresholds=engine_thresholds(),
        run={},
        latest=latest,
        unchanged=unchanged,
    )
    stats = RunStats(computed=len(outcomes))
    for chunk in chunks(list(range(len(outcomes))), settings.GAP_CHUNK_SIZE * 4):
        part = [outcomes[i] for i in chunk]
        written, opened = write_outcomes(outcomes=part, latest=latest, today=today, now=now)
        stats.written += written
        stats.alerts_opened += opened
    _skipped_seen(stats, unchanged, kinds=OBJECTIVE_KINDS | ROLLUP_KINDS, now=now)
    stats.unavailable = sum(1 for o in outcomes if o.result.status == "unavailable")
    if notify:
        # What the whole run (its chunks, in other workers) opened, reopened or worsened, from
        # the alert log; acknowledged ones (a reopening that kept its acknowledgement) and
        # snoozed ones are left out (the claim drops the snoozed).
        opened = list(
            Alert.objects.filter(
                status=Alert.Status.OPEN,
                id__in=AlertEvent.objects.filter(
                    at=now, by__isnull=True, kind__in=AlertEvent.NOTIFY_KINDS
                ).values("alert_id"),
            ).values_list("id", flat=True)
        )
        if opened:
            transaction.on_commit(lambda: enqueue(ALERTS_NOTIFY, alert_ids=opened))
    # Everything is fresh as of ``now``: marks older than the run are done.
    DirtySubject.objects.filter(marked_at__lte=now).delete()
    stats.seconds = time.perf_counter() - started
    return stats


def full_recompute_plan(
    *, chunk_size: int | None = None
) -> tuple[list[list[int]], list[list[int]]]:
    """The chunks of a full recompute: (KPI id chunks, initiative id chunks)."""
    size = chunk_size or settings.GAP_CHUNK_SIZE
    kpi_ids = list(KPI.objects.order_by("id").values_list("id", flat=True))
    initiative_ids = list(Initiative.objects.order_by("id").values_list("id", flat=True))
    return list(chunks(kpi_ids, size)), list(chunks(initiative_ids, size))


def full_recompute(
    *,
    chunk_size: int | None = None,
    today: date | None = None,
    now: datetime | None = None,
    progress: Callable[[str, int], None] | None = None,
    history: bool = False,
    skip_unchanged: bool = True,
) -> RunStats:
    """The whole plan, in-process, chunk after chunk (``recompute_gaps``, eager mode).

    ``history``: the scores of a past day ``today``, computed ``now`` (a time of that day), as
    the dated records stood at its end: measurements, check-ins and spend up to it, milestones
    and deliveries completed after it not done yet; the plan itself is today's. Run day after
    day, oldest first, then once for today, it fills a young installation's score history
    (trends, "what changed"); alerts follow the days too, and nobody is notified.
    ``skip_unchanged``: see ``kpis_chunk_recompute``."""
    today = today or timezone.localdate()
    now = now or timezone.now()
    kpi_chunks, initiative_chunks = full_recompute_plan(chunk_size=chunk_size)
    stats = RunStats()
    for chunk in kpi_chunks:
        stats.add(
            kpis_chunk_recompute(
                kpi_ids=chunk,
                today=today,
                now=now,
                notify=False,
                history=history,
                skip_unchanged=skip_unchanged,
            )
        )
        if progress:
            progress("kpis", len(chunk))
    for chunk in initiative_chunks:
        stats.add(
            initiatives_chunk_recompute(
                initiative_ids=chunk,
                today=today,
                now=now,
                notify=False,
                history=history,
                skip_unchanged=skip_unchanged,
            )
        )
        if progress:
            progress("initiatives", len(chunk))
    stats.add(
        rollups_all_recompute(
            today=today,
            now=now,
            notify=not history,
            skip_unchanged=skip_unchanged and not history,
        )
    )
    if progress:
        progress("rollups", 1)
    return stats


class HistoryExists(Exception):
    """Scores already exist for days a history run would fill."""


HISTORY_MAX_WEEKS = 104


def history_weeks_check(weeks: int) -> None:
    """``ValueError`` with the reason when ``weeks`` is not a history length we fill."""
    if not 0 <= weeks <= HISTORY_MAX_WEEKS:
        raise ValueError(f"--history-weeks must be between 0 and {HISTORY_MAX_WEEKS}, not {weeks}.")


def history_recompute(
    *,
    today: date,
    weeks: int,
    after_day: Callable[[date, datetime], object] | None = None,
) -> RunStats:
    """``full_recompute(history=True)`` for one day a week over the ``weeks`` weeks before
    ``today``, oldest first, each computed at 02:30 of its day (the nightly run's time). A
    full recompute for ``today`` is meant to follow: it supersedes the last of these.

    Only days that have no scores yet are filled (after importing past records, before the
    nightly runs made their own history): ``HistoryExists`` otherwise, with nothing written.
    ``after_day(day, now)`` runs after each day's scores, in the same transaction: what must
    see the plan as it stood that day (the demo freezes its past review packs there)."""
    history_weeks_check(weeks)
    first = today - timedelta(weeks=weeks)
    scored = (
        GapScore.objects.filter(as_of__gte=first, as_of__lt=today)
        .order_by("as_of")
        .values_list("as_of", flat=True)
        .first()
    )
    if scored is not None:
        raise HistoryExists(
            f"Scores already exist for {scored.isoformat()}: history fills only the days from "
            f"{first.isoformat()} to {today.isoformat()} (excluded) when none of them has any."
        )
    stats = RunStats()
    with transaction.atomic():  # all the weeks or none: a retry is not refused
        for back in range(weeks, 0, -1):
            day = today - timedelta(weeks=back)
            now = timezone.make_aware(datetime.combine(day, time_of_day(2, 30)))
            stats.add(full_recompute(today=day, now=now, history=True))
            if after_day is not None:
                after_day(day, now)
    return stats
