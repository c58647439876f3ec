"""Writes of the support app: reports (create, notes, freeze) and support measures."""

from __future__ import annotations

import datetime as dt

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from initiatives.models import Initiative
from initiatives.services import initiative_save
from strategy.models import Period, Strategy, Team
from support.models import AssessmentReport, Barrier, SupportMeasure
from support.report import report_data_build

FROZEN = "A frozen report does not change."


@transaction.atomic
def report_create(*, strategy: Strategy, period: Period, title: str, by) -> AssessmentReport:
    """A draft report of ``strategy`` for ``period``. Raises ``ValidationError`` (``period``)
    when the strategy already has one for it."""
    report = AssessmentReport(strategy=strategy, period=period, title=title, created_by=by)
    report.full_clean()
    report.save()
    return report


@transaction.atomic
def report_notes_save(*, report: AssessmentReport, customer_input: str, market_trends: str):
    """The leaders' notes of a draft. Raises ``ValidationError`` on a frozen report."""
    report = AssessmentReport.objects.select_for_update().get(pk=report.pk)
    if report.is_frozen:
        raise ValidationError(FROZEN)
    report.customer_input, report.market_trends = customer_input, market_trends
    report.full_clean()
    report.save()
    return report


@transaction.atomic
def report_freeze(
    *, report: AssessmentReport, by, today: dt.date | None = None
) -> AssessmentReport:
    """Store what the report shows today and its ranked barriers (``support.report``), once.
    Raises ``ValidationError`` when it is frozen already (a second request changes nothing)."""
    report = AssessmentReport.objects.select_for_update().get(pk=report.pk)
    if report.is_frozen:
        raise ValidationError(FROZEN)
    today = today or timezone.localdate()
    data = report_data_build(strategy=report.strategy, as_of=today)
    report.data = data
    report.status = AssessmentReport.Status.FROZEN
    report.as_of, report.frozen_at, report.frozen_by = today, timezone.now(), by
    report.save()
    Barrier.objects.bulk_create(
        Barrier(
            report=report,
            rank=b["rank"],
            capability=b["capability"],
            score=b["score"],
            components=b["components"],
            team_ids=b["team_ids"],
            capability_score=b["capability_score"],
            survey_mean=b["survey_mean"],
        )
        for b in data["barriers"]
    )
    return report


@transaction.atomic
def support_measure_create(
    *,
    barrier: Barrier,
    initiative: Initiative,
    category: str,
    capability: str,
    test_teams: list[Team],
    test_start: dt.date,
    test_end: dt.date,
    adoption: str,
    survey_item: str = "",
    kpi=None,
    by=None,
) -> SupportMeasure:
    """Save ``initiative`` (unsaved, its fields set) as an initiative of the **support** kind
    (``initiatives.services.initiative_save``: key, history, status bookkeeping) and link it to
    ``barrier`` with its category, test and adoption measure. Raises ``ValidationError`` with
    field errors (of either) and writes nothing then."""
    if not test_teams:
        raise ValidationError({"test_teams": "Choose at least one team for the first test."})
    initiative.kind = Initiative.Kind.SUPPORT
    measure = SupportMeasure(
        barrier=barrier,
        category=category,
        capability=capability,
        test_start=test_start,
        test_end=test_end,
        adoption=adoption,
        survey_item=survey_item,
        kpi=kpi,
    )
    measure.clean()
    initiative_save(initiative=initiative, by=by)
    measure.initiative = initiative
    measure.full_clean()
    measure.save()
    measure.test_teams.set(test_teams)
    return measure
