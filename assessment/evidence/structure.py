"""The structure figures: open objectives, open initiatives and active KPIs with an active owner;
teams with a leader."""

from __future__ import annotations

from collections.abc import Callable

from django.db.models import Count, Exists, OuterRef, Q, QuerySet

from assessment.evidence.scope import OWNED, EvidenceRow, EvidenceScope, _share, _teams
from strategy.models import Membership


def _owned_share(base: Callable[[EvidenceScope], QuerySet], noun: str):
    def compute(scope):
        totals = base(scope).aggregate(total=Count("pk"), hit=Count("pk", filter=OWNED))
        total, hit = totals["total"], totals["hit"]
        return _share(hit, total), True, f"{hit} of {total} {noun} have an active owner."

    def rows(scope):
        queryset = base(scope).select_related("owner").order_by("pk")
        return [
            EvidenceRow(
                kind=noun,
                pk=obj.pk,
                name=str(obj),
                url=obj.get_absolute_url(),
                counted=obj.owner is not None and obj.owner.is_active,
                value="owner: " + (obj.owner.get_username() if obj.owner else "none"),
            )
            for obj in queryset
        ]

    return compute, rows


def _leader_exists() -> Exists:
    return Exists(
        Membership.objects.filter(
            team_id=OuterRef("pk"), role=Membership.Role.LEADER, user__is_active=True
        )
    )


def _teams_led_compute(scope):
    totals = (
        _teams(scope)
        .annotate(led=_leader_exists())
        .aggregate(total=Count("pk"), hit=Count("pk", filter=Q(led=True)))
    )
    total, hit = totals["total"], totals["hit"]
    return _share(hit, total), True, f"{hit} of {total} teams have an active leader."


def _teams_led_rows(scope):
    return [
        EvidenceRow("team", pk, name, None, led, "a leader" if led else "no leader")
        for pk, name, led in _teams(scope)
        .annotate(led=_leader_exists())
        .order_by("name", "pk")
        .values_list("pk", "name", "led")
    ]
