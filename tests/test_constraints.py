"""Every database constraint is violated once here, and the database refuses.

The writes bypass model validation (``save()`` does not call ``full_clean()``; ``update()`` skips
models entirely), so what stops them is the database itself. ``test_every_constraint_is_covered``
fails when a new constraint has no row in the table.
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Callable

import pytest
from django.apps import apps
from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone

from initiatives.models import InitiativeDependency
from metrics.models import (
    KPI,
    Alert,
    DirtySubject,
    Measurement,
    NotificationPreferences,
    OutboxMessage,
    RecomputeChunk,
    RecomputeRun,
)
from strategy.models import Objective, Strategy, Team
from tests import factories as f

D = dt.date


def _kpi_update(**values) -> Callable[[], None]:
    def violate() -> None:
        kpi = f.KPIFactory()
        KPI.objects.filter(pk=kpi.pk).update(**values)

    return violate


def _duplicate(factory, fields: list[str], **kwargs) -> Callable[[], None]:
    def violate() -> None:
        first = factory(**kwargs)
        factory(**{name: getattr(first, name) for name in fields})

    return violate


VIOLATIONS: dict[str, Callable[[], None]] = {
    # strategy
    "team_company_is_root_others_have_parent": lambda: Team.objects.create(
        name="Orphan", slug="orphan", kind=Team.Kind.TEAM, parent=None
    ),
    "team_not_own_parent": lambda: Team.objects.filter(pk=f.TeamFactory().pk).update(
        parent_id=F("id")
    ),
    "membership_unique_user_team": _duplicate(f.MembershipFactory, ["user", "team"]),
    "period_end_after_start": lambda: f.PeriodFactory(
        name="Backwards", start_date=D(2026, 5, 1), end_date=D(2026, 4, 1)
    ),
    "strategy_horizon_ordered": lambda: f.StrategyFactory(
        horizon_start=D(2027, 1, 1), horizon_end=D(2026, 1, 1)
    ),
    "strategy_one_active": lambda: f.StrategyFactory.create_batch(2, status=Strategy.Status.ACTIVE),
    "theme_unique_name": _duplicate(f.ThemeFactory, ["strategy", "name"]),
    "theme_weight_positive": lambda: f.ThemeFactory(weight=0),
    "objective_due_after_start": lambda: f.ObjectiveFactory(
        start_date=D(2026, 6, 1), due_date=D(2026, 6, 1)
    ),
    "objective_not_own_parent": lambda: Objective.objects.filter(pk=f.ObjectiveFactory().pk).update(
        parent_id=F("id")
    ),
    "objective_weight_positive": lambda: f.ObjectiveFactory(weight=-1),
    # initiatives
    "initiative_due_after_start": lambda: f.InitiativeFactory(
        start_date=D(2026, 6, 2), due_date=D(2026, 6, 1)
    ),
    "initiative_progress_0_100": lambda: f.InitiativeFactory(progress=101),
    "initiative_budget_not_negative": lambda: f.InitiativeFactory(budget_planned=-1),
    "initiative_effort_not_negative": lambda: f.InitiativeFactory(effort_planned_fte=-0.5),
    "initiative_cadence_1_366": lambda: f.InitiativeFactory(checkin_cadence_days=400),
    "initiative_weight_positive": lambda: f.InitiativeFactory(weight=0),
    "dependency_unique_pair": lambda: _dependency(twice=True),
    "dependency_not_on_itself": lambda: _dependency(on_itself=True),
    "milestone_weight_positive": lambda: f.MilestoneFactory(weight=0),
    "checkin_confidence_0_100": lambda: f.CheckInFactory(confidence=120),
    "checkin_progress_0_100": lambda: f.CheckInFactory(progress=101),
    "checkin_summary_required": lambda: f.CheckInFactory(summary=""),
    "checkin_request_key_once": _duplicate(
        f.CheckInFactory, ["author", "request_key", "initiative"], request_key=uuid.uuid4()
    ),
    "spend_amount_not_zero": lambda: f.SpendEntryFactory(amount=0),
    # metrics
    "kpi_measures_one_subject": lambda: f.KPIFactory(initiative=f.InitiativeFactory()),
    "kpi_target_after_baseline": _kpi_update(target_date=D(2025, 12, 1)),
    "kpi_increase_target_above_baseline": _kpi_update(target_value=10.0),
    "kpi_decrease_target_below_baseline": _kpi_update(direction=KPI.Direction.DECREASE),
    "kpi_range_bounds_ordered": _kpi_update(
        direction=KPI.Direction.RANGE, range_low=5.0, range_high=1.0
    ),
    "kpi_values_finite": _kpi_update(target_value=float("inf")),
    "kpi_cadence_1_366": _kpi_update(cadence_days=0),
    "kpi_weight_positive": _kpi_update(weight=0),
    "trajectory_unique_date": _duplicate(f.TrajectoryPointFactory, ["kpi", "date"]),
    "trajectory_value_finite": lambda: f.TrajectoryPointFactory(value=float("-inf")),
    "target_revision_reason_required": lambda: f.TargetRevisionFactory(reason=""),
    "measurement_one_per_kpi_date": _duplicate(f.MeasurementFactory, ["kpi", "as_of"]),
    "measurement_value_finite": lambda: f.MeasurementFactory(value=2e15),
    "gapscore_one_latest_per_subject": _duplicate(
        f.GapScoreFactory, ["subject_type", "subject_id"]
    ),
    "gapscore_score_0_100": lambda: f.GapScoreFactory(score=101),
    "gapscore_progress_0_1": lambda: f.GapScoreFactory(progress=1.5),
    "alert_one_active_per_condition": _duplicate(f.AlertFactory, ["dedup_key"]),
    "alert_resolved_has_time": lambda: f.AlertFactory(status=Alert.Status.RESOLVED),
    "alert_acknowledged_has_time": lambda: f.AlertFactory(status=Alert.Status.ACKNOWLEDGED),
    "dirty_subject_unique": lambda: DirtySubject.objects.bulk_create(
        [DirtySubject(subject_type="kpi", subject_id=1)] * 2
    ),
    "outbox_one_digest_per_person_day": lambda: _two_digests(),
    "outbox_once_per_person_key": lambda: _two_digests(dedupe_key="reminder:kpi:1:2026-12-01"),
    "notification_prefs_day_hour": lambda: NotificationPreferences.objects.create(
        user=f.UserFactory(), digest_hour=24
    ),
    "recompute_chunk_unique": lambda: RecomputeChunk.objects.bulk_create(
        [
            RecomputeChunk(
                run=RecomputeRun.objects.create(today=D(2026, 1, 1), as_of=timezone.now()),
                stage="kpis",
                position=0,
            )
        ]
        * 2
    ),
}


def _two_digests(dedupe_key: str = "") -> None:
    person = f.UserFactory()
    for i in range(2):
        OutboxMessage.objects.create(
            kind=OutboxMessage.Kind.WEEKLY if dedupe_key else OutboxMessage.Kind.DIGEST,
            dedupe_key=dedupe_key,
            recipient=person,
            to_address=person.email,
            subject="Your daily digest",
            body="-",
            digest_date=D(2026, 11, 30 - i * bool(dedupe_key)),
        )


def _dependency(*, twice: bool = False, on_itself: bool = False) -> None:
    a = f.InitiativeFactory()
    if on_itself:
        InitiativeDependency.objects.create(initiative=a, depends_on=a)
        return
    b = f.InitiativeFactory(objective=a.objective)
    InitiativeDependency.objects.create(initiative=a, depends_on=b)
    if twice:
        InitiativeDependency.objects.create(initiative=a, depends_on=b)


def _project_constraints() -> set[str]:
    names = set()
    for label in ("strategy", "initiatives", "metrics"):
        for model in apps.get_app_config(label).get_models():
            names.update(c.name for c in model._meta.constraints)
    return names


def test_every_constraint_is_covered():
    assert _project_constraints() == set(VIOLATIONS)


@pytest.mark.django_db
@pytest.mark.parametrize("name", sorted(VIOLATIONS))
def test_database_refuses_violation(name, company):
    with pytest.raises(IntegrityError) as excinfo, transaction.atomic():
        VIOLATIONS[name]()
    # Unique violations name the columns rather than the constraint on SQLite; checks and
    # PostgreSQL name the constraint.
    message = str(excinfo.value)
    assert name in message or "UNIQUE constraint failed" in message or "NOT NULL" in message


@pytest.mark.django_db
def test_nan_measurement_is_refused(company):
    kpi = f.KPIFactory()
    with pytest.raises(IntegrityError), transaction.atomic():
        Measurement.objects.create(kpi=kpi, as_of=D(2026, 2, 1), value=float("nan"))
