"""Reads of the metrics app."""

from __future__ import annotations

from collections.abc import Iterable

from metrics.models import GapScore


def latest_scores(*, subject_type: str, subject_ids: Iterable[int]) -> dict[int, GapScore]:
    """The latest score of each subject, in one indexed query (missing ids: not yet scored)."""
    ids = list(subject_ids)
    if not ids:
        return {}
    return {
        score.subject_id: score
        for score in GapScore.objects.filter(
            subject_type=subject_type, subject_id__in=ids, is_latest=True
        )
    }


def attach_latest_scores(objects: Iterable, *, subject_type: str, attr: str = "latest_score"):
    """Set ``obj.<attr>`` to each object's latest ``GapScore`` (or ``None``) with one query."""
    objects = list(objects)
    scores = latest_scores(subject_type=subject_type, subject_ids=[o.pk for o in objects])
    for obj in objects:
        setattr(obj, attr, scores.get(obj.pk))
    return objects
