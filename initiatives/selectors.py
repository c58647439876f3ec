"""Reads of execution data."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import TYPE_CHECKING, Any, TypedDict

from django.conf import settings
from django.db.models import (
    BooleanField,
    Count,
    DateField,
    ExpressionWrapper,
    F,
    Func,
    IntegerField,
    OuterRef,
    Q,
    Subquery,
    Value,
    Window,
)
from django.db.models.functions import Coalesce, Greatest, TruncDate
from django.utils import timezone

from initiatives.models import CheckIn, Initiative, InitiativeDependency, Milestone
from metrics.explain import page_explain
from metrics.models import Alert, SubjectType
from metrics.scoring.initiative import CheckinSilence, checkin_silence
from metrics.selectors import (
    attach_latest_scores,
    latest_scores_by_type,
    measurement_sparklines,
)
from strategy.access import Access
from strategy.quantities import count_text

if TYPE_CHECKING:
    from django.db.backends.base.base import BaseDatabaseWrapper
    from django.db.models.sql.compiler import SQLCompiler, _AsSqlType
    from django_stubs_ext import WithAnnotations

    class _WorkAnnotations(TypedDict):
        last_rag: str | None
        last_summary: str | None
        overdue_count: int

    # A row of initiatives_for_work: an initiative with its last check-in and overdue count.
    WorkRow = WithAnnotations[Initiative, _WorkAnnotations]

CHECKIN_HISTORY = 50


class _DaysBetween(Func):
    """Whole days from the date ``start`` to the date ``end`` (``end - start``)."""

    arity = 2
    output_field = IntegerField()

    def __init__(self, start, end):
        super().__init__(end, start)

    def as_sql(
        self,
        compiler: SQLCompiler,
        connection: BaseDatabaseWrapper,
        function: str | None = None,
        template: str | None = None,
        arg_joiner: str | None = None,
        **extra_context: Any,
    ) -> _AsSqlType:
        # PostgreSQL: date - date is the number of days.
        return super().as_sql(
            compiler,
            connection,
            function=function,
            template=template or "(%(expressions)s)",
            arg_joiner=arg_joiner or " - ",
            **extra_context,
        )

    def as_sqlite(
        self, compiler: SQLCompiler, connection: BaseDatabaseWrapper, **extra_context: Any
    ) -> _AsSqlType:
        return super().as_sql(
            compiler,
            connection,
            template="CAST(julianday(%(expressions)s) AS INTEGER)",
            arg_joiner=") - julianday(",
            **extra_context,
        )


def initiative_checkin_silence(*, initiative: Initiative, today: dt.date) -> CheckinSilence:
    """``metrics.scoring.initiative.checkin_silence`` of an initiative row."""
    last = initiative.last_checkin_at
    return checkin_silence(
        last_checkin_on=timezone.localtime(last).date() if last else None,
        start_date=initiative.start_date,
        cadence_days=initiative.checkin_cadence_days,
        today=today,
        grace=settings.GAP_STALE_GRACE,
        resumed_on=initiative.resumed_on,
        paused=initiative.status == Initiative.Status.ON_HOLD,
    )


def checkin_silence_annotations(*, today: dt.date, last_checkin=None) -> dict:
    """``checkin_silence`` as annotations of an ``Initiative`` queryset, for filtering and
    ordering in the database: ``checkin_days`` (silent for), ``checkin_days_late`` and
    ``checkin_stale``. The same rule, on the same local dates (tests check they agree).

    ``last_checkin``: an expression of the last check-in's time to judge by instead of
    ``last_checkin_at`` (a pack frozen as of a past day: the last one up to then)."""
    last = Coalesce(
        TruncDate(last_checkin if last_checkin is not None else F("last_checkin_at")),
        F("start_date"),
        output_field=DateField(),
    )
    since = Greatest(
        last, Coalesce(F("resumed_on"), last, output_field=DateField()), output_field=DateField()
    )
    silent = _DaysBetween(since, Value(today, output_field=DateField()))
    stale = (
        Q(start_date__lte=today)
        & ~Q(status=Initiative.Status.ON_HOLD)
        & Q(checkin_days__gt=F("checkin_cadence_days") * Value(settings.GAP_STALE_GRACE))
    )
    return {
        "checkin_days": silent,
        "checkin_days_late": ExpressionWrapper(
            F("checkin_days") - F("checkin_cadence_days"), output_field=IntegerField()
        ),
        "checkin_stale": ExpressionWrapper(stale, output_field=BooleanField()),
    }


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
