"""Helpers for page tests: grow a plan so query counts can be compared at two sizes."""

from __future__ import annotations

import datetime as dt

from django.utils import timezone

from initiatives.models import CheckIn
from metrics.models import Alert, GapScore, SubjectType
from tests.factories import (
    AlertFactory,
    CheckInFactory,
    InitiativeFactory,
    KPIFactory,
    MeasurementFactory,
    MilestoneFactory,
    ObjectiveFactory,
    SpendEntryFactory,
)


def plan_grow(plan, *, n: int, member) -> None:
    """Add ``n`` more of everything under the first objective, initiative and KPI."""
    objective, initiative, kpi = plan.objectives[0], plan.initiatives[0], plan.kpis[0]
    today = timezone.localdate()
    for i in range(n):
        child = ObjectiveFactory(
            strategy=objective.strategy,
            theme=objective.theme,
            period=objective.period,
            team=objective.team,
            parent=objective,
            title=f"Extra child {i}",
        )
        GapScore.objects.create(
            subject_type=SubjectType.OBJECTIVE,
            subject_id=child.pk,
            as_of=today,
            status="at_risk",
            score=70.0,
        )
        extra = InitiativeFactory(
            objective=objective, team=objective.team, owner=member, title=f"Extra initiative {i}"
        )
        MilestoneFactory(initiative=extra, due_date=today - dt.timedelta(days=3))
        CheckInFactory(
            initiative=extra,
            author=member,
            rag=CheckIn.Rag.RED,
            created_at=timezone.now() - dt.timedelta(days=40),
        )
        SpendEntryFactory(initiative=extra, date=today - dt.timedelta(days=i + 1))
        extra_kpi = KPIFactory(
            objective=objective,
            team=objective.team,
            owner=member,
            key=f"extra-kpi-{i}",
            name=f"Extra KPI {i}",
        )
        MeasurementFactory(kpi=extra_kpi, as_of=today - dt.timedelta(days=i + 1))
        MilestoneFactory(initiative=initiative, due_date=today + dt.timedelta(days=i + 1))
        CheckInFactory(
            initiative=initiative,
            author=member,
            created_at=timezone.now() - dt.timedelta(hours=i + 1),
        )
        SpendEntryFactory(initiative=initiative, date=today - dt.timedelta(days=i + 2))
        MeasurementFactory(kpi=kpi, as_of=today - dt.timedelta(days=2 * i + 1), value=30.0 + i)
        AlertFactory(
            subject_type=SubjectType.INITIATIVE,
            subject_id=extra.pk,
            team=objective.team,
            owner=member,
            kind=Alert.Kind.INITIATIVE_STALE,
        )
        AlertFactory(
            subject_type=SubjectType.KPI, subject_id=extra_kpi.pk, team=objective.team, owner=member
        )


def page_paths(plan) -> list[str]:
    """The path of every page of the URL conf that answers a GET (``PAGES`` of the page fuzz
    test, which fails when a page URL is missing from it), with the plan's objects in its path
    arguments. Pages added later join every test that walks this list."""
    from django.urls import reverse

    from tests.test_page_fuzz import PAGES

    paths = []
    for name, page in PAGES.items():
        path = reverse(name, kwargs=page.kwargs(plan) if page.kwargs else None)
        if path not in paths:
            paths.append(path)
    return paths
