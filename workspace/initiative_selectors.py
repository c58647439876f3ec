"""Reads of execution data."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import TYPE_CHECKING, TypedDict

from django.db.models import (
    Count,
    OuterRef,
    Q,
    Subquery,
    Window,
)
from django.db.models.functions import Coalesce

from initiatives.models import CheckIn, Initiative, InitiativeDependency, Milestone
from metrics.checkins import initiative_checkin_silence
from metrics.explain import page_explain
from metrics.models import Alert, SubjectType
from metrics.selectors import (
    attach_latest_scores,
    latest_scores_by_type,
    measurement_sparklines,
)
from strategy.access import Access
from strategy.quantities import count_text

if TYPE_CHECKING:
    from django_stubs_ext import WithAnnotations

    class _WorkAnnotations(TypedDict):
        last_rag: str | None
        last_summary: str | None
        overdue_count: int

    # A row of initiatives_for_work: an initiative with its last check-in and overdue count.
    WorkRow = WithAnnotations[Initiative, _WorkAnnotations]

CHECKIN_HISTORY = 50


def initiatives_for_work(
    *,
    access: Access,
    user,
    today: dt.date,
    initiative_ids: list[int] | None = None,
    mine: bool = True,
) -> list[Initiative]:
    """The open initiatives a person owns or contributes to, most in need of attention first.

    Three queries whatever their number: the initiatives (with the last check-in's status and
    summary and the overdue milestone count), their open milestones, their latest scores. Each gets ``flags``: the
    reasons it needs attention, as (css, text) pairs, and ``attention`` to sort by.
    ``mine=False`` drops the owner-or-contributor filter: the card of any open initiative of
    ``initiative_ids`` the person may see (a leader checking in on a team member's work).
    """
    qs = access.scope(Initiative.objects.exclude(status__in=Initiative.CLOSED_STATUSES))
    if mine:
        qs = qs.filter(
            Q(owner=user)
            | Q(
                pk__in=Initiative.contributors.through.objects.filter(user=user).values(
                    "initiative_id"
                )
            )
        )
    if initiative_ids is not None:
        qs = qs.filter(pk__in=initiative_ids)
    latest = CheckIn.objects.filter(initiative=OuterRef("pk")).order_by("-created_at", "-id")
    rows = list(
        qs.select_related("objective", "team", "owner").annotate(
            last_rag=Subquery(latest.values("rag")[:1]),
            last_summary=Subquery(latest.values("summary")[:1]),
            # Correlated subqueries, not a GROUP BY over a join: the owner-or-contributor filter
            # stays an index lookup.
            overdue_count=Coalesce(
                Subquery(
                    Milestone.objects.filter(
                        initiative=OuterRef("pk"), completed_on__isnull=True, due_date__lt=today
                    )
                    .order_by()
                    .values("initiative")
                    .annotate(n=Count("id"))
                    .values("n")[:1]
                ),
                0,
            ),
        )
    )
    milestones: dict[int, list[Milestone]] = {}
    for milestone in Milestone.objects.filter(
        initiative__in=[r.pk for r in rows], completed_on__isnull=True
    ).order_by("due_date", "id"):
        milestones.setdefault(milestone.initiative_id, []).append(milestone)
    attach_latest_scores(rows, subject_type=SubjectType.INITIATIVE)
    for row in rows:
        row.open_milestones = milestones.get(row.pk, [])
        for milestone in row.open_milestones:
            milestone.overdue = milestone.due_date < today
        row.silence = initiative_checkin_silence(initiative=row, today=today)
        row.flags, row.attention = initiative_flags(row)
    rows.sort(key=lambda r: (-r.attention, r.due_date, r.title))
    return rows


def initiative_flags(row: WorkRow) -> tuple[list[tuple[str, str]], int]:
    """Why an initiative needs attention, and a weight to sort by (higher first)."""
    flags: list[tuple[str, str]] = []
    attention = 0
    score = getattr(row, "latest_score", None)  # a row without scores attached: none
    status = score.status if score else None
    if status == "off_track":
        flags.append(("bad", "Off track"))
        attention += 30
    elif status == "at_risk":
        flags.append(("warn", "At risk"))
        attention += 15
    if row.overdue_count:
        flags.append(
            ("bad", f"{row.overdue_count} milestone{'s' if row.overdue_count > 1 else ''} overdue")
        )
        attention += 10 * row.overdue_count
    if row.silence.stale:
        if row.last_checkin_at is None:
            flags.append(("warn", "No check-in yet"))
        else:
            flags.append(("warn", f"Last check-in {count_text(row.silence.days, 'day')} ago"))
        attention += 20
    if row.last_rag == "red":
        attention += 5
    return flags, attention


def initiative_page(*, initiative: Initiative, access: Access) -> dict:
    """Everything the initiative page shows, in a fixed number of queries."""
    checkins = list(
        initiative.checkins.select_related("author").annotate(total=Window(Count("id")))[
            :CHECKIN_HISTORY
        ]
    )
    milestones = list(initiative.milestones.all())
    spend = list(initiative.spend_entries.order_by("date", "id").values_list("date", "amount"))
    links = list(
        InitiativeDependency.objects.filter(
            Q(initiative=initiative) | Q(depends_on=initiative)
        ).select_related("initiative", "depends_on", "initiative__team", "depends_on__team")
    )
    depends_on = [link.depends_on for link in links if link.initiative_id == initiative.pk]
    dependents = [link.initiative for link in links if link.depends_on_id == initiative.pk]
    # A dependency in a private team the person cannot see is shown without its name.
    for other in depends_on + dependents:
        other.visible = access.can_view_team(other.team_id)
    kpis = list(access.scope(initiative.kpis.filter(is_active=True).select_related("owner")))
    alerts = list(
        Alert.objects.filter(
            Q(subject_type=SubjectType.INITIATIVE, subject_id=initiative.pk)
            | Q(subject_type=SubjectType.MILESTONE, subject_id__in=[m.pk for m in milestones]),
            status__in=Alert.ACTIVE_STATUSES,
        ).select_related("owner")
    )
    scores = latest_scores_by_type(
        initiative=[initiative.pk] + [o.pk for o in depends_on + dependents],
        kpi=[k.pk for k in kpis],
    )
    initiative.latest_score = scores[SubjectType.INITIATIVE].get(initiative.pk)
    for other in depends_on + dependents:
        other.latest_score = scores[SubjectType.INITIATIVE].get(other.pk)
    for kpi in kpis:
        kpi.latest_score = scores[SubjectType.KPI].get(kpi.pk)
    measurement_sparklines(kpis=kpis)
    spent = sum((amount for _, amount in spend), Decimal(0))
    return {
        "checkins": checkins,
        "checkins_total": checkins[0].total if checkins else 0,
        "milestones": milestones,
        "spend": spend,
        "spent": spent,
        "depends_on": depends_on,
        "dependents": dependents,
        "kpis": kpis,
        "alerts": alerts,
        "score": initiative.latest_score,
        "explained": page_explain(access=access, score=initiative.latest_score, alerts=alerts),
    }
