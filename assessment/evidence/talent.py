"""The talent figure from check-ins: open initiatives whose latest check-in is blocked for skills."""

from __future__ import annotations

from django.db.models import Count, OuterRef, Q, QuerySet, Subquery
from django.urls import reverse

from assessment.evidence.scope import EvidenceRow, EvidenceScope, _open_initiatives, _share
from initiatives.models import BlockerTag, CheckIn


def _latest_tags(scope: EvidenceScope) -> QuerySet:
    latest = CheckIn.objects.filter(
        initiative_id=OuterRef("pk"), created_at__lt=scope.end
    ).order_by("-created_at", "-pk")
    return _open_initiatives(scope).annotate(tags=Subquery(latest.values("blocker_tags")[:1]))


def _tags_used(scope: EvidenceScope) -> bool:
    return (
        CheckIn.objects.filter(
            scope.teams("initiative__team_id"),
            initiative__objective__strategy=scope.strategy,
            created_at__lt=scope.end,
        )
        .exclude(blocker_tags="")
        .exists()
    )


SKILLS = Q(tags__contains=BlockerTag.SKILLS)


def _skills_compute(scope):
    if not _tags_used(scope):
        return None, False, "Not tracked yet: no check-in has tagged a blocker."
    totals = _latest_tags(scope).aggregate(total=Count("pk"), hit=Count("pk", filter=SKILLS))
    total, hit = totals["total"], totals["hit"]
    return (
        _share(hit, total),
        True,
        f"{hit} of {total} open initiatives are blocked for skills (latest check-in).",
    )


def _skills_rows(scope):
    return [
        EvidenceRow(
            "initiative",
            pk,
            title,
            reverse("initiatives:initiative-detail", args=[pk]),
            BlockerTag.SKILLS in (tags or "").split(","),
            f"tags: {tags}" if tags else "no tagged blocker",
        )
        for pk, title, tags in _latest_tags(scope).order_by("pk").values_list("pk", "title", "tags")
    ]
