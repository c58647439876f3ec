"""Marking scores stale: the dirty-subject rows written in the caller's transaction, batched
marks, and the recompute task sent after commit."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar

from django.db import transaction
from django.utils import timezone

from metrics.models import DirtySubject

# The subjects collected by an open ``subjects_dirty_batch()`` (None: no batch open).
_DIRTY_BATCH: ContextVar[list | None] = ContextVar("subjects_dirty_batch", default=None)


def subjects_mark_dirty(*, subjects: Iterable[tuple[str, int]], enqueue: bool = True) -> None:
    """Record in the database, inside the caller's transaction, that these scores are stale.

    A mark survives a lost Celery message or a Redis outage: the periodic sweep of the gap
    engine picks up whatever is still marked.

    After the commit, one recompute task is enqueued for the whole list (a batch of
    measurements recomputes each KPI and each ancestor once). Enqueueing never raises into
    the caller: with the broker down it fails fast, is logged, and the mark stays for the sweep.
    The task clears each mark only if it was not marked again meanwhile (``marked_at``).
    ``enqueue=False`` (bulk loaders that run ``recompute_gaps`` themselves) only marks: the
    sweep recomputes the marked subjects later.

    Inside ``subjects_dirty_batch()`` the subjects are only collected, and marked once when
    the batch ends (an import that calls many services marks each subject once).
    """
    batch = _DIRTY_BATCH.get()
    if batch is not None:
        batch.extend(subjects)
        return
    now = timezone.now()
    keys = list(dict.fromkeys((str(t), int(i)) for t, i in subjects))
    rows = [
        DirtySubject(subject_type=subject_type, subject_id=subject_id, marked_at=now)
        for subject_type, subject_id in keys
    ]
    if rows:
        DirtySubject.objects.bulk_create(
            rows,
            update_conflicts=True,
            unique_fields=["subject_type", "subject_id"],
            update_fields=["marked_at"],
        )
        if enqueue:
            transaction.on_commit(
                lambda: _recompute_enqueue(subjects=keys, marked_at=now), robust=True
            )


@contextmanager
def subjects_dirty_batch() -> Iterator[None]:
    """Collect the ``subjects_mark_dirty`` calls made inside, and mark them all at once (one
    upsert, one recompute task after commit) when the block ends without an exception. Use it
    inside the caller's transaction."""
    collected: list = []  # subjects_mark_dirty extends it meanwhile
    token = _DIRTY_BATCH.set(collected)
    try:
        yield
    finally:
        _DIRTY_BATCH.reset(token)
    subjects_mark_dirty(subjects=collected)


def _recompute_enqueue(*, subjects: list[tuple[str, int]], marked_at) -> None:
    from metrics.tasks import enqueue_safely, gaps_recompute_subjects

    enqueue_safely(
        gaps_recompute_subjects,
        subjects=[list(s) for s in subjects],
        marked_at=marked_at.isoformat(),
    )
