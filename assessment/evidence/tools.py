"""The tools figures: initiatives checking in on time, KPIs fed by the API, KPIs with a
data-quality flag."""

from __future__ import annotations

from django.db.models import Count, OuterRef, QuerySet, Subquery
from django.urls import reverse
from django.utils import timezone

from assessment.evidence.scope import (
    FLAGGED_QUALITY,
    EvidenceRow,
    EvidenceScope,
    _initiatives,
    _kpis,
    _share,
)
from initiatives.models import CheckIn, Initiative
from metrics.engine.common import engine_thresholds
from metrics.models import GapScore, Measurement, SubjectType
from metrics.scoring.initiative import checkin_silence


# Check-in timeliness ------------------------------------------------------------------------
def _timeliness(scope: EvidenceScope) -> list[tuple[dict, bool]]:
    if "timeliness" in scope._cache:
        return scope._cache["timeliness"]
    grace = engine_thresholds().stale_grace
    rows = []
    for item in (
        _initiatives(scope)
        .filter(status=Initiative.Status.ACTIVE, start_date__lte=scope.as_of)
        .annotate(
            last_at=Subquery(
                CheckIn.objects.filter(initiative_id=OuterRef("pk"), created_at__lt=scope.end)
                .order_by("-created_at", "-pk")
                .values("created_at")[:1]
            )
        )
        .order_by("pk")
        .values("pk", "title", "start_date", "checkin_cadence_days", "resumed_on", "last_at")
    ):
        silence = checkin_silence(
            last_checkin_on=timezone.localdate(item["last_at"]) if item["last_at"] else None,
            start_date=item["start_date"],
            cadence_days=item["checkin_cadence_days"],
            today=scope.as_of,
            grace=grace,
            resumed_on=item["resumed_on"],
        )
        rows.append((item, not silence.stale))
    scope._cache["timeliness"] = rows
    return rows


def _timeliness_compute(scope):
    rows = _timeliness(scope)
    hit = sum(1 for _, ok in rows if ok)
    return (
        _share(hit, len(rows)),
        True,
        f"{hit} of {len(rows)} active initiatives checked in within their cadence.",
    )


def _timeliness_rows(scope):
    return [
        EvidenceRow(
            "initiative",
            item["pk"],
            item["title"],
            reverse("initiatives:initiative-detail", args=[item["pk"]]),
            ok,
            "on time" if ok else "check-in overdue",
        )
        for item, ok in _timeliness(scope)
    ]


# KPI feeds and data quality -------------------------------------------------------------------
def _fed(scope: EvidenceScope) -> QuerySet:
    latest = Measurement.objects.filter(kpi_id=OuterRef("pk"), as_of__lte=scope.as_of).order_by(
        "-as_of", "-pk"
    )
    return (
        _kpis(scope)
        .annotate(latest_source=Subquery(latest.values("source")[:1]))
        .filter(latest_source__isnull=False)
    )


def _fed_compute(scope):
    counts = {
        row["latest_source"]: row["n"]
        for row in _fed(scope).order_by().values("latest_source").annotate(n=Count("pk"))
    }
    total = sum(counts.values())
    api = counts.get(Measurement.Source.API, 0)
    manual = counts.get(Measurement.Source.MANUAL, 0)
    imported = counts.get(Measurement.Source.IMPORT, 0)
    return (
        _share(api, total),
        True,
        f"Of {total} measured KPIs, {api} are fed by the API, {manual} by hand, "
        f"{imported} by import.",
    )


def _fed_rows(scope):
    labels = dict(Measurement.Source.choices)
    return [
        EvidenceRow(
            "KPI",
            pk,
            name,
            reverse("metrics:kpi-detail", args=[key]),
            source == Measurement.Source.API,
            labels.get(source, source),
        )
        for pk, name, key, source in _fed(scope)
        .order_by("pk")
        .values_list("pk", "name", "key", "latest_source")
    ]


def _quality(scope: EvidenceScope) -> list[tuple[int, tuple[str, str], str]]:
    """``(kpi id, (name, key), data-quality confidence)`` of the active KPIs with a current
    score."""
    if "quality" in scope._cache:
        return scope._cache["quality"]
    names = {pk: (name, key) for pk, name, key in _kpis(scope).values_list("pk", "name", "key")}
    rows = []
    if names:
        for subject_id, quality in (
            GapScore.objects.filter(
                subject_type=SubjectType.KPI, is_latest=True, subject_id__in=list(names)
            )
            .order_by("subject_id")
            .values_list("subject_id", "data_quality")
        ):
            rows.append((subject_id, names[subject_id], (quality or {}).get("confidence", "")))
    scope._cache["quality"] = rows
    return rows


def _quality_compute(scope):
    rows = _quality(scope)
    flagged = sum(1 for *_, confidence in rows if confidence in FLAGGED_QUALITY)
    return (
        _share(flagged, len(rows)),
        True,
        f"{flagged} of {len(rows)} scored KPIs have their data quality flagged (lower is better).",
    )


def _quality_rows(scope):
    return [
        EvidenceRow(
            "KPI",
            pk,
            name,
            reverse("metrics:kpi-detail", args=[key]),
            confidence in FLAGGED_QUALITY,
            f"data quality: {confidence or 'unknown'}",
        )
        for pk, (name, key), confidence in _quality(scope)
    ]
