"""Fixtures of the support app's tests: frozen reports with hand-set per-team figures."""

from __future__ import annotations

import datetime as dt

from django.utils import timezone

from support.models import AssessmentReport, Barrier


def frozen_report(*, strategy, period, as_of: dt.date, teams: dict, barriers=(), title="A"):
    """A frozen report whose stored data is exactly ``teams`` (per-team figures) and
    ``barriers`` (dicts of support.report's data), with its Barrier rows."""
    data = {
        "version": 1,
        "as_of": as_of.isoformat(),
        "performance": {"health": None, "teams": [], "objectives": []},
        "capabilities": {},
        "survey_means": {},
        "teams": {str(k): v for k, v in teams.items()},
        "barriers": list(barriers),
    }
    report = AssessmentReport.objects.create(
        strategy=strategy,
        period=period,
        title=title,
        status=AssessmentReport.Status.FROZEN,
        as_of=as_of,
        frozen_at=timezone.now(),
        data=data,
    )
    for b in barriers:
        Barrier.objects.create(
            report=report,
            **{k: b[k] for k in ("rank", "capability", "score", "components", "team_ids")},
            capability_score=b.get("capability_score"),
            survey_mean=b.get("survey_mean"),
        )
    return report


def barrier_dict(capability: str, rank: int = 1, score: float = 0.5, team_ids=()) -> dict:
    return {
        "rank": rank,
        "capability": capability,
        "score": score,
        "components": {
            "gap": 0.5,
            "capability_shortfall": 0.5,
            "survey_shortfall": 0.0,
            "breadth": 0.5,
        },
        "team_ids": list(team_ids),
        "capability_score": 3.0,
        "survey_mean": None,
    }
