"""How long an initiative has gone without a check-in: for one initiative
(``initiative_checkin_silence``, the rule of ``metrics.scoring.initiative.checkin_silence``) and
as annotations of an ``Initiative`` queryset (``checkin_silence_annotations``), the same rule in
the database for filtering and ordering. Used by the my-work page, the overview, the weekly
digest and a review's frozen pack.
"""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING, Any

from django.conf import settings
from django.db.models import (
    BooleanField,
    DateField,
    ExpressionWrapper,
    F,
    Func,
    IntegerField,
    Q,
    Value,
)
from django.db.models.functions import Coalesce, Greatest, TruncDate
from django.utils import timezone

from initiatives.models import Initiative
from metrics.scoring.initiative import CheckinSilence, checkin_silence

if TYPE_CHECKING:
    from django.db.backends.base.base import BaseDatabaseWrapper
    from django.db.models.sql.compiler import SQLCompiler, _AsSqlType


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
