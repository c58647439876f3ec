"""Reads of the metrics app."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import TYPE_CHECKING

from django.db.models import F, Max, Q, Window
from django.db.models.functions import RowNumber
from django.urls import reverse

from initiatives.models import Milestone
from metrics.models import KPI, Alert, AlertEvent, GapScore, Measurement, SubjectType
from strategy.derived import subject_url

if TYPE_CHECKING:
    from django.db.models import QuerySet

    from strategy.access import Access


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


def scores_version(subject_type: str) -> int | None:
    """Changes whenever a latest score of this subject type changes: the newest one's id.

    A new latest score always has a new, higher id (it replaces the old row, never updates it);
    a latest score disappears only with its subject, which the subject rows' own version shows.
    One step into the partial index ``gapscore_newest_latest``.
    """
    return GapScore.objects.filter(subject_type=subject_type, is_latest=True).aggregate(
        last=Max("id")
    )["last"]


def attach_latest_scores(objects: Iterable, *, subject_type: str, attr: str = "latest_score"):
    """Set ``obj.<attr>`` to each object's latest ``GapScore`` (or ``None``) with one query."""
    objects = list(objects)
    scores = latest_scores(subject_type=subject_type, subject_ids=[o.pk for o in objects])
    for obj in objects:
        setattr(obj, attr, scores.get(obj.pk))
    return objects


def latest_scores_by_type(**ids_by_type: Iterable[int]) -> dict[str, dict[int, GapScore]]:
    """Latest scores of several subject types in one query: ``{type: {id: GapScore}}``.

    ``latest_scores_by_type(kpi=[1, 2], initiative=[7])``; a type with no ids costs nothing.
    """
    result: dict[str, dict[int, GapScore]] = {kind: {} for kind in ids_by_type}
    condition = Q()
    for kind, ids in ids_by_type.items():
        ids = list(ids)
        if ids:
            condition |= Q(subject_type=kind, subject_id__in=ids)
    if not condition:
        return result
    for score in GapScore.objects.filter(condition, is_latest=True):
        result[score.subject_type][score.subject_id] = score
    return result


def measurement_sparklines(*, kpis: list, points: int = 12) -> None:
    """Set ``kpi.spark`` (last ``points`` ``(as_of, value)`` pairs, oldest first) and
    ``kpi.last_value`` on each KPI, in one query (a window function ranks rows per KPI)."""
    spark: dict[int, list] = {}
    if kpis:
        rows = (
            Measurement.objects.filter(kpi__in=[k.pk for k in kpis])
            .annotate(
                rank=Window(RowNumber(), partition_by=[F("kpi_id")], order_by=F("as_of").desc())
            )
            .filter(rank__lte=points)
            .order_by("kpi_id", "as_of")
            .values_list("kpi_id", "as_of", "value")
        )
        for kpi_id, as_of, value in rows:
            spark.setdefault(kpi_id, []).append((as_of, value))
    for kpi in kpis:
        kpi.spark = spark.get(kpi.pk, [])
        kpi.last_value = kpi.spark[-1][1] if kpi.spark else None
        kpi.last_as_of = kpi.spark[-1][0] if kpi.spark else None


def alert_events_visible(
    *,
    access: Access,
    alert_ids: Iterable[int] | None = None,
    since: datetime | None = None,
    until: datetime | None = None,
    kinds: Iterable[str] | None = None,
) -> QuerySet[AlertEvent]:
    """The alert log as ``access`` may read it: events of the alerts that person may see
    (``Access.alert_filter``), oldest first, with who did each step (``by``) joined.
    ``alert_ids``: only these alerts; ``since`` (inclusive) / ``until`` (exclusive): a window
    of time, e.g. a review cycle's; ``kinds``: e.g. ``["reopened"]``. One query."""
    qs = AlertEvent.objects.filter(
        alert__in=Alert.objects.filter(access.alert_filter()).values("id")
    ).select_related("by")
    if alert_ids is not None:
        qs = qs.filter(alert_id__in=list(alert_ids))
    if since is not None:
        qs = qs.filter(at__gte=since)
    if until is not None:
        qs = qs.filter(at__lt=until)
    if kinds is not None:
        qs = qs.filter(kind__in=list(kinds))
    return qs.order_by("at", "id")


def alert_subject_paths(*, alerts: list[Alert], kpi_by_key: bool = True) -> dict[int, str | None]:
    """Alert id -> the app's page of what the alert is about (a path, no host): the KPI,
    initiative (also for a milestone), objective, or the overview filtered to the team or theme;
    None when that page is unknown (a milestone, or with keys a KPI, deleted since); other
    subjects are not looked up (a deleted one's page answers 404). ``kpi_by_key=False`` links
    KPIs through their id redirect (messages sent outside the app: a URL that names no KPI key,
    and one query less). Two queries at most, whatever the number of alerts. The pages
    themselves check access."""
    kpi_ids = [a.subject_id for a in alerts if a.subject_type == SubjectType.KPI]
    milestone_ids = [a.subject_id for a in alerts if a.subject_type == SubjectType.MILESTONE]
    keys = (
        dict(KPI.objects.filter(pk__in=kpi_ids).values_list("pk", "key"))
        if kpi_ids and kpi_by_key
        else {}
    )
    milestone_initiative = (
        dict(Milestone.objects.filter(pk__in=milestone_ids).values_list("pk", "initiative_id"))
        if milestone_ids
        else {}
    )
    paths: dict[int, str | None] = {}
    for alert in alerts:
        kind, sid = alert.subject_type, alert.subject_id
        if kind == SubjectType.KPI and kpi_by_key:
            path = reverse("metrics:kpi-detail", args=[keys[sid]]) if sid in keys else None
        elif kind == SubjectType.MILESTONE:
            initiative_id = milestone_initiative.get(sid)
            path = subject_url(SubjectType.INITIATIVE, initiative_id) if initiative_id else None
        elif kind == SubjectType.STRATEGY:
            path = reverse("strategy:overview")
        else:
            path = subject_url(kind, sid)
        paths[alert.id] = path
    return paths


def alert_subject_links(alerts: list[Alert]) -> None:
    """Set ``alert.subject_url`` for each alert (``alert_subject_paths``: two queries at most)."""
    paths = alert_subject_paths(alerts=alerts)
    for alert in alerts:
        alert.subject_url = paths[alert.id]


def kpi_key_propose(*, name: str, exclude_id: int | None = None) -> str:
    """A key for a KPI called ``name``: its slug (ASCII, at most 80 characters; "kpi" when
    nothing is left), made unique with -2, -3... against every existing key (one query). The
    person may still edit it; the key's unique constraint decides at save."""
    from django.utils.text import slugify

    base = slugify(name or "")[:72].strip("-") or "kpi"
    taken_keys = KPI.objects.filter(key__startswith=base)
    if exclude_id is not None:
        taken_keys = taken_keys.exclude(pk=exclude_id)
    taken = set(taken_keys.values_list("key", flat=True))
    if base not in taken:
        return base
    n = 2
    while f"{base}-{n}" in taken:
        n += 1
    return f"{base}-{n}"
