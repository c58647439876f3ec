"""A realistic plan with scores and alerts, for page tests, query-count tests and screenshots.

``plan_build(size=n)`` makes n objectives per theme (each with initiatives, milestones,
check-ins, spend and KPIs with measurements) plus GapScore and Alert rows written by hand in
the shapes of ``metrics/contracts.py``, so the pages can be built before the gap engine runs.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from decimal import Decimal

from django.utils import timezone

from initiatives.models import CheckIn, Initiative, InitiativeDependency
from metrics.models import KPI, Alert, GapScore, Measurement, SubjectType
from strategy.derived import part, ref
from strategy.models import Objective, Period, Strategy, Team, Theme
from tests.factories import (
    AlertFactory,
    CheckInFactory,
    InitiativeFactory,
    KPIFactory,
    MilestoneFactory,
    ObjectiveFactory,
    SpendEntryFactory,
    UserFactory,
)

THEMES = [
    ("Customers love us", "#2f9e44", ["Lift customer satisfaction", "Cut churn in SMB"]),
    ("Grow new markets", "#3451b2", ["Launch in the Nordics", "Double partner revenue"]),
    ("Operate with less waste", "#e8590c", ["Automate order handling", "Halve cloud cost"]),
]
STATUSES = ["on_track", "at_risk", "off_track", "on_track", "at_risk"]
SCORE_OF = {"on_track": 88.0, "at_risk": 71.0, "off_track": 48.0}
REASONS = {
    "on_track": "At 96 % of the expected progress.",
    "at_risk": "At 82 % of the expected progress: behind plan but recoverable.",
    "off_track": "At 61 % of the expected progress; KPI churn is 40 % below trajectory.",
}


@dataclass
class Plan:
    strategy: Strategy
    themes: list[Theme]
    objectives: list[Objective] = field(default_factory=list)
    initiatives: list[Initiative] = field(default_factory=list)
    kpis: list[KPI] = field(default_factory=list)
    alerts: list[Alert] = field(default_factory=list)


def _score(subject_type: str, subject_id: int, status: str, today: dt.date, **extra) -> GapScore:
    return GapScore(
        subject_type=subject_type,
        subject_id=subject_id,
        as_of=today,
        status=status,
        reason=REASONS.get(status, "No measurement yet."),
        score=SCORE_OF.get(status),
        progress=0.45,
        achievement=0.45,
        expected_progress=0.5,
        attainment=0.9,
        gap=0.05,
        **extra,
    )


def plan_build(
    *, size: int, team: Team, other_team: Team, member, leader, scored: bool = True
) -> Plan:
    today = timezone.localdate()
    year = Period.objects.get_or_create(
        name=f"FY{today.year}",
        defaults={
            "kind": Period.Kind.YEAR,
            "start_date": dt.date(today.year, 1, 1),
            "end_date": dt.date(today.year, 12, 31),
        },
    )[0]
    start = today - dt.timedelta(days=120)
    due = today + dt.timedelta(days=240)
    strategy = Strategy.objects.create(
        name="Strategy 2026-2028",
        status=Strategy.Status.ACTIVE,
        owner=leader,
        horizon_start=start,
        horizon_end=due + dt.timedelta(days=700),
        vision="Be the partner our customers recommend first.",
    )
    themes = [
        Theme.objects.create(strategy=strategy, name=name, colour=colour, order=i)
        for i, (name, colour, _) in enumerate(THEMES)
    ]
    plan = Plan(strategy=strategy, themes=themes)
    colleague = UserFactory(first_name="Priya", last_name="Shah")
    scores: list[GapScore] = []
    n = 0
    for theme, (_, _, titles) in zip(themes, THEMES, strict=True):
        for k in range(size):
            n += 1
            status = STATUSES[n % len(STATUSES)]
            owning_team = team if n % 3 else other_team
            objective = ObjectiveFactory(
                strategy=strategy,
                theme=theme,
                period=year,
                team=owning_team,
                owner=leader,
                title=titles[k % len(titles)]
                + (f" ({k // len(titles) + 1})" if k >= len(titles) else ""),
                priority=1 + n % 4,
                start_date=start,
                due_date=due,
            )
            plan.objectives.append(objective)
            child = ObjectiveFactory(
                strategy=strategy,
                theme=theme,
                period=year,
                team=owning_team,
                parent=objective,
                owner=colleague,
                title=f"{objective.title}: first step",
                start_date=start,
                due_date=due,
            )
            plan.objectives.append(child)
            scores.append(
                _score(
                    SubjectType.OBJECTIVE,
                    objective.pk,
                    status,
                    today,
                    components=[
                        {
                            "key": "kpis",
                            "label": "Its KPIs",
                            "score": SCORE_OF[status],
                            "weight": 0.5,
                            "status": status,
                            "detail": "2 KPIs, weighted by importance",
                        },
                        {
                            "key": "initiatives",
                            "label": "Its initiatives",
                            "score": 80.0,
                            "weight": 0.5,
                            "status": "on_track",
                            "detail": "2 initiatives on schedule",
                        },
                    ],
                    contributors=[
                        {
                            "label": "KPI churn",
                            "gap_points": 12.5,
                            "explanation": "KPI churn is 40 % below trajectory",
                        },
                        {  # about another subject, as the engine stores it (a reference)
                            "label": "an objective",
                            "gap_points": 5.0,
                            "explanation": "a part",
                            "explanation_parts": part(
                                "{0}: {d}",
                                about=("objective", child.pk),
                                **{"0": ref("objective", child.pk), "d": "at 90 % of plan"},
                            ),
                            "subject_type": "objective",
                            "subject_id": child.pk,
                        },
                    ],
                    reason_parts=part(
                        "{r} Behind mainly because of {0} (-5 points).",
                        r=REASONS[status],
                        **{"0": ref("objective", child.pk)},
                    ),
                )
            )
            scores.append(_score(SubjectType.OBJECTIVE, child.pk, "on_track", today))
            for j in range(2):
                initiative = InitiativeFactory(
                    objective=child if j else objective,
                    team=owning_team,
                    owner=member if (j == 0 and owning_team == team) else colleague,
                    title=f"{['Pilot', 'Roll out'][j]} {objective.title.lower()}",
                    start_date=start,
                    due_date=due,
                    progress=30 + 10 * j,
                    budget_planned=Decimal(120000 + 20000 * n),
                    effort_planned_fte=Decimal("2.5"),
                    priority=1 + (n + j) % 4,
                    checkin_cadence_days=14,
                )
                plan.initiatives.append(initiative)
                if j == 1:
                    initiative.contributors.add(member)
                MilestoneFactory(
                    initiative=initiative,
                    title="Design signed off",
                    due_date=start + dt.timedelta(days=40),
                    completed_on=start + dt.timedelta(days=38),
                )
                MilestoneFactory(
                    initiative=initiative,
                    title="Pilot live",
                    due_date=today - dt.timedelta(days=5 + j),
                )
                MilestoneFactory(
                    initiative=initiative,
                    title="General availability",
                    due_date=today + dt.timedelta(days=60),
                )
                for d in (100, 60, 25 + 10 * j):
                    CheckInFactory(
                        initiative=initiative,
                        author=initiative.owner or colleague,
                        created_at=timezone.now() - dt.timedelta(days=d),
                        rag=CheckIn.Rag.AMBER if d == 25 else CheckIn.Rag.GREEN,
                        confidence=70,
                        progress=30,
                        summary="Customer interviews done; first build in test with two accounts.",
                        blockers="Waiting for the data-protection review." if d == 25 else "",
                        next_steps="Start the pilot with the first ten customers.",
                    )
                for d in (90, 60, 30):
                    SpendEntryFactory(
                        initiative=initiative,
                        date=today - dt.timedelta(days=d),
                        amount=Decimal(15000 + 1000 * n),
                    )
                scores.append(
                    _score(
                        SubjectType.INITIATIVE,
                        initiative.pk,
                        STATUSES[(n + j) % 5],
                        today,
                        components=[
                            {
                                "key": "schedule",
                                "label": "Schedule",
                                "score": 70.0,
                                "weight": 0.6,
                                "status": "at_risk",
                                "detail": "Milestones 1 of 3 done, 50 % of the time elapsed",
                            },
                            {
                                "key": "checkin_freshness",
                                "label": "Check-in freshness",
                                "score": 40.0,
                                "weight": 0.4,
                                "status": "off_track",
                                "detail": "Last check-in 25 days ago, expected every 14",
                            },
                        ],
                    )
                )
            if len(plan.initiatives) >= 2:
                InitiativeDependency.objects.get_or_create(
                    initiative=plan.initiatives[-1], depends_on=plan.initiatives[-2]
                )
            kpi = KPIFactory(
                key=f"nps-{n}",
                name=f"Net promoter score {n}" if n > 1 else "Net promoter score",
                objective=objective,
                team=owning_team,
                owner=member if owning_team == team else colleague,
                unit="pts",
                baseline_value=20.0,
                baseline_date=start,
                target_value=45.0,
                target_date=due,
                kind=KPI.Kind.LEADING if n % 2 else KPI.Kind.LAGGING,
            )
            plan.kpis.append(kpi)
            Measurement.objects.bulk_create(
                [
                    Measurement(
                        kpi=kpi,
                        as_of=start + dt.timedelta(days=14 * w),
                        value=20.0 + w * 0.9 + (w % 3) * 0.6,
                    )
                    for w in range(1, 120 // 14 + 1)
                ]
            )
            forecast = {
                "method": "theil-sen",
                "points_used": 8,
                "window_start": (start + dt.timedelta(days=14)).isoformat(),
                "slope_per_day": 0.06,
                "value_at_target": 39.5,
                "interval_low": 35.0,
                "interval_high": 44.0,
                "interval_level": 0.8,
                "progress_at_target": 0.78,
                "probability_on_target": 0.18,
                "projected_target_date": None,
                "misses_target": True,
                "line": [[today.isoformat(), 27.0], [due.isoformat(), 39.5]],
            }
            scores.append(
                _score(
                    SubjectType.KPI,
                    kpi.pk,
                    status,
                    today,
                    forecast=forecast,
                    data_quality={
                        "confidence": "good",
                        "stale": False,
                        "days_since_last": 8,
                        "frozen": False,
                        "outliers": [],
                        "issues": [],
                    },
                )
            )
            alert = AlertFactory(
                kind=Alert.Kind.KPI_FORECAST_MISS,
                severity=Alert.Severity.CRITICAL if n % 2 else Alert.Severity.WARNING,
                subject_type=SubjectType.KPI,
                subject_id=kpi.pk,
                team=owning_team,
                owner=kpi.owner,
                title=f"{kpi.name} is forecast to miss its target",
                title_parts=part("{0} is forecast to miss its target", **{"0": ref("kpi", kpi.pk)}),
                message=f"The trend reaches 39.5 pts by {due:%d %b %Y} against a target of 45 (18 % chance).",
            )
            plan.alerts.append(alert)
    if scored:
        history = []
        for d in range(12, 0, -1):
            history.append(
                GapScore(
                    subject_type=SubjectType.STRATEGY,
                    subject_id=strategy.pk,
                    as_of=today - dt.timedelta(days=7 * d),
                    is_latest=False,
                    computed_at=timezone.now() - dt.timedelta(days=7 * d),
                    status="at_risk",
                    score=70.0 + (d % 4) * 2 - d * 0.5,
                    reason="weekly",
                )
            )
        history.append(_score(SubjectType.STRATEGY, strategy.pk, "at_risk", today))
        for t, status in zip(themes, ["on_track", "at_risk", "off_track"], strict=True):
            history.append(_score(SubjectType.THEME, t.pk, status, today))
        history.append(_score(SubjectType.TEAM, team.pk, "at_risk", today))
        history.append(_score(SubjectType.TEAM, other_team.pk, "on_track", today))
        GapScore.objects.bulk_create(history + scores)
    return plan
