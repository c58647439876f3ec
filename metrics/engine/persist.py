"""Writes of the engine: score snapshots (flipping ``is_latest``), alerts, dirty marks.

Every write is idempotent and safe against a concurrent run of the same subjects:

* a snapshot is appended only when the result differs from the latest one or the day changed,
  so a rerun writes nothing; two concurrent writers collide on the one-latest-per-subject
  index and the loser retries against the winner's rows;
* alerts change state only through guarded updates (``status`` in the WHERE clause) and the
  one-active-alert-per-condition index, so a condition never has two active alerts
  (``metrics.engine.alert_writes``, run here in the scores' transaction).
"""

from __future__ import annotations

import hashlib
from datetime import date, datetime

from django.db import IntegrityError, transaction

from metrics.engine.alert_writes import alerts_root_link, alerts_sync
from metrics.engine.common import Key, LatestCache, Outcome, clean, logger, subjects_q
from metrics.engine.recordset import recordset_insert, recordset_supported
from metrics.engine.unchanged import canonical
from metrics.models import DirtySubject, GapScore

SCORE_FIELDS = (
    "status",
    "reason",
    "reason_parts",
    "score",
    "progress",
    "achievement",
    "expected_progress",
    "attainment",
    "gap",
    "forecast",
    "data_quality",
    "components",
    "contributors",
)
JSON_FIELDS = {"forecast", "data_quality", "components", "contributors", "reason_parts"}


def score_fields(outcome: Outcome) -> dict:
    """The score columns of an outcome, JSON-native; ``components`` gets a ``fingerprint`` of them,
    so the next run sees an unchanged score without reading its JSON."""
    r = outcome.result
    fields = {name: clean(getattr(r, name)) for name in SCORE_FIELDS}
    fields["data_quality"] = fields["data_quality"] or {}
    fields["components"] = fields["components"] or {}
    fields["contributors"] = fields["contributors"] or []
    # ``clean`` made every value JSON-native. The fingerprint lets the next run see that
    # nothing changed without reading the JSON back.
    digest = hashlib.sha1(canonical(fields), usedforsecurity=False)
    fields["components"] = {**fields["components"], "fingerprint": digest.hexdigest()[:20]}
    return fields


def _same(row: GapScore, fields: dict) -> bool:
    return getattr(row, "fingerprint", None) == fields["components"]["fingerprint"]


def scores_write(
    *, outcomes: list[Outcome], latest: LatestCache, today: date, now: datetime
) -> int:
    """Append a snapshot for each outcome that changed; returns how many were written. An
    outcome whose result is unchanged but whose inputs are not has its latest row's ``inputs``
    updated in place (``metrics.engine.unchanged``).

    The old latest rows are flipped by one update; the new rows go in by one statement per
    chunk on PostgreSQL (``metrics.engine.recordset``), by ``bulk_create`` elsewhere: the same
    rows either way."""
    if not outcomes:
        return 0
    latest.load(keys=[o.key for o in outcomes])
    rows: list[dict] = []
    restamped: list[GapScore] = []
    for outcome in outcomes:
        fields = score_fields(outcome)
        old = latest.get(outcome.key)
        if old is not None and old.as_of == today and _same(old, fields):
            if old.inputs != outcome.inputs:
                # Same result from other inputs (say, an owner changed: the alerts moved, the
                # score did not): the row keeps the inputs it now stands for, or undoing the
                # change later would match the old digest and skip the subject.
                old.inputs = outcome.inputs
                restamped.append(old)
            continue
        rows.append(
            {
                "subject_type": outcome.subject.subject_type,
                "subject_id": outcome.subject.subject_id,
                **fields,
                "inputs": outcome.inputs,
            }
        )
    if restamped:
        GapScore.objects.bulk_update(restamped, ["inputs"], batch_size=1000)
    if not rows:
        return 0
    keys = [(r["subject_type"], r["subject_id"]) for r in rows]
    # Called inside ``write_outcomes``' transaction: flip the old latest rows, insert the new.
    GapScore.objects.filter(subjects_q(keys), is_latest=True).update(is_latest=False)
    _scores_insert(rows, constants={"computed_at": now, "as_of": today, "is_latest": True})
    latest.forget(keys)
    return len(rows)


def _scores_insert(rows: list[dict], *, constants: dict) -> None:
    """Insert score snapshots (``rows``: attname -> JSON-native value, ``constants`` shared by
    all): one statement on PostgreSQL (``metrics.engine.recordset``), ``bulk_create``
    elsewhere."""
    if recordset_supported():
        recordset_insert(model=GapScore, rows=rows, constants=constants)
    else:
        GapScore.objects.bulk_create([GapScore(**r, **constants) for r in rows], batch_size=1000)


def write_outcomes(
    *, outcomes: list[Outcome], latest: LatestCache, today: date, now: datetime
) -> tuple[int, list[int]]:
    """Snapshots and alerts of these outcomes in one transaction (a reader sees a score and
    its alerts change together). Returns (snapshots written, alert ids opened).

    A concurrent run of the same subjects can insert a latest row between our flip and our
    insert: the one-latest-per-subject index refuses ours, and we run again, now superseding
    the other run's rows.
    """
    for attempt in range(3):
        try:
            with transaction.atomic():
                written = scores_write(outcomes=outcomes, latest=latest, today=today, now=now)
                opened = alerts_sync(outcomes=outcomes, now=now)
                alerts_root_link(outcomes=outcomes)
            return written, opened
        except IntegrityError:
            if attempt == 2:
                raise
            logger.info("Concurrent write of the same subjects; writing again")
            latest.forget([o.key for o in outcomes])
    raise AssertionError("unreachable")


def dirty_clear(*, subjects: list[Key], marked_at: datetime | None) -> int:
    """Delete the dirty marks of recomputed subjects, unless re-marked since (``marked_at``)."""
    if not subjects:
        return 0
    qs = DirtySubject.objects.filter(subjects_q(subjects))
    if marked_at is not None:
        qs = qs.filter(marked_at__lte=marked_at)
    return qs.delete()[0]
