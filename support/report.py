"""The assessment report: built from the plan (``report_data_build``), frozen with its ranked
barriers (``support.services.report_freeze``), and read for one reader (``report_read``).

What is stored (``AssessmentReport.data``, and live for a draft) is references and figures, never
finished sentences: ``report_read`` renders names for the reader (``strategy.derived``), so a
team or objective the reader may not see is counted, never named.

Sections, in the order of the page:

1. **Performance gap** (stored): the strategy's health index with its reason, the five teams and
   the five objectives furthest behind with their causes (the gap engine's latest scores).
2. **Employee feedback** (read live for the reader, as of the report's day): the survey items'
   newest round, whole organisation, through ``surveys.results.item_results`` (its anonymity
   rules applied for that reader).
3. **Calibration** (live for the reader, as of the report's day): ``assessment.calibration``.
4. **Capability map** (scores stored; evidence live for the reader): the organisation's scores
   and ``assessment.evidence.capability_evidence`` beside them, each figure linked to its rows.
5. **Customer input and market trends**: the leaders' notes.
6. **Barriers** (stored when frozen): ``support.ranking.barriers_rank`` over the per-team
   figures (``support.figures``), each linked to its evidence.

A barrier's survey part (and so its score, which contains it) rests on survey figures of every
team; it is shown only to readers who see every team (the office, people with no hidden team),
others get the other components: survey figures are never combined for a reader in a way the
surveys' anonymity rules (complementary suppression) did not check for that reader.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

from django.urls import reverse

from assessment.calibration import calibration_report
from assessment.evidence import capability_evidence
from metrics.models import GapScore, SubjectType
from strategy.access import Access
from strategy.derived import DerivedNames
from strategy.models import Objective, Strategy
from support import figures as F
from support.ranking import CAPABILITY_LABELS, SURVEY_ITEMS_OF, TeamFigures, barriers_rank
from surveys.catalogue import STANDARD_ITEMS
from surveys.results import item_results

DATA_VERSION = 1
GAP_LIMIT = 5


def _gap_rows(queryset) -> list[dict]:
    return [
        {"id": pk, "score": score, "status": status, "reason": parts or reason}
        for pk, score, status, parts, reason in queryset.values_list(
            "subject_id", "score", "status", "reason_parts", "reason"
        )
    ]


def performance_build(*, strategy: Strategy) -> dict:
    """The performance-gap section: the health index and the largest gaps (three queries)."""
    latest = GapScore.objects.filter(is_latest=True)
    health = _gap_rows(latest.filter(subject_type=SubjectType.STRATEGY, subject_id=strategy.pk))
    teams = _gap_rows(
        latest.filter(subject_type=SubjectType.TEAM, score__isnull=False).order_by(
            "score", "subject_id"
        )[:GAP_LIMIT]
    )
    objectives = _gap_rows(
        latest.filter(
            subject_type=SubjectType.OBJECTIVE,
            score__isnull=False,
            subject_id__in=Objective.objects.filter(strategy=strategy).values("pk"),
        ).order_by("score", "subject_id")[:GAP_LIMIT]
    )
    return {"health": health[0] if health else None, "teams": teams, "objectives": objectives}


def report_data_build(*, strategy: Strategy, as_of: dt.date) -> dict:
    """Everything a report stores, computed now over the whole organisation (see the module
    docstring). A constant number of queries whatever the organisation's size."""
    health = F.team_health()
    timeliness = F.team_checkin_timeliness(strategy=strategy, today=as_of)
    org_capability, team_capability = F.team_capability_scores(strategy=strategy, as_of=as_of)
    codes = tuple(dict.fromkeys(c for items in SURVEY_ITEMS_OF.values() for c in items))
    survey_overall, team_survey = F.survey_means(strategy=strategy, as_of=as_of, items=codes)
    team_ids = set(health) | set(timeliness) | set(team_capability) | set(team_survey)
    teams = {
        t: TeamFigures(
            health=health.get(t),
            capability=team_capability.get(t, {}),
            survey=team_survey.get(t, {}),
        )
        for t in team_ids
    }
    barriers = barriers_rank(
        teams=teams,
        capability_scores=org_capability,
        survey_means={code: row["mean"] for code, row in survey_overall.items()},
    )
    return {
        "version": DATA_VERSION,
        "as_of": as_of.isoformat(),
        "performance": performance_build(strategy=strategy),
        "capabilities": org_capability,
        "survey_means": {code: row["mean"] for code, row in survey_overall.items()},
        "teams": {
            str(t): {
                "health": health.get(t),
                "timeliness": timeliness.get(t),
                "capability": team_capability.get(t, {}),
                "survey": team_survey.get(t, {}),
            }
            for t in sorted(team_ids)
        },
        "barriers": [
            {
                "rank": rank,
                "capability": b.capability,
                "score": b.score,
                "components": b.components,
                "team_ids": list(b.team_ids),
                "capability_score": b.capability_score,
                "survey_mean": b.survey_mean,
            }
            for rank, b in enumerate(barriers, start=1)
        ],
    }


# --- reading -------------------------------------------------------------------------------------
@dataclass
class GapLine:
    """One line of a report's gap sections (health, teams, objectives): a label, score (0-100),
    status and reason, as HTML for the page and as text for the API."""

    label: str  # HTML: the subject's label and link, for this reader
    score: float | None
    status: str
    reason: str  # HTML
    label_text: str = ""  # the same as plain text (the API)
    reason_text: str = ""


@dataclass
class BarrierView:
    """A barrier for one reader: affected teams named when visible, counted otherwise."""

    pk: int | None
    rank: int
    capability: str
    label: str
    score: float | None  # None: rests on survey figures this reader may not combine
    components: dict[str, float | None]
    capability_score: float | None
    survey_mean: float | None
    teams: list[tuple[str, str | None]]  # (name, url) of visible affected teams
    hidden_teams: int
    evidence: list[dict] = field(default_factory=list)  # links: label, display, url
    survey_items: list[tuple[str, str]] = field(default_factory=list)  # (code, statement)
    measures: list = field(default_factory=list)
    team_names: list[str] = field(default_factory=list)


@dataclass
class ReportView:
    """What the report page and the API show to one reader."""

    as_of: dt.date
    health: GapLine | None
    teams: list[GapLine]
    teams_hidden: int
    objectives: list[GapLine]
    objectives_hidden: int
    feedback: list[dict]
    calibration: Any
    capabilities: list[dict]
    barriers: list[BarrierView]
    sees_all: bool


def _gap_lines(rows: list[dict], subject_type: str, names: DerivedNames) -> tuple[list, int]:
    shown, hidden = [], 0
    for row in rows:
        key = (subject_type, row["id"])
        if not names.sees(key):
            hidden += 1
            continue
        shown.append(
            GapLine(
                label=names.html({"ref": list(key)}),
                score=row["score"],
                status=row["status"],
                reason=names.html(row["reason"]),
                label_text=names.text({"ref": list(key)}),
                reason_text=names.text(row["reason"]),
            )
        )
    return shown, hidden


def sees_all(access: Access) -> bool:
    """Does the reader see every team (no survey figure of a hidden team is combined for them)?"""
    return access.visible_team_ids is None or not access.hidden_team_ids


def feedback_read(*, access: Access, strategy: Strategy, as_of: dt.date) -> list[dict]:
    """Per standard survey item, the newest round closed by ``as_of`` for the whole of what the
    reader may see, and the round before it (``surveys.results.item_results``, its anonymity
    rules applied for this reader)."""
    rows = []
    for code, statement in STANDARD_ITEMS.items():
        combined = [
            r
            for r in item_results(access=access, strategy=strategy, item_code=code)
            if r.team_id is None and r.closes_on <= as_of
        ]
        if not combined:
            continue
        now, before = combined[0], (combined[1] if len(combined) > 1 else None)
        rows.append(
            {
                "code": code,
                "statement": statement,
                "result": now,
                "previous": before,
                "change": (
                    round(now.mean - before.mean, 2)
                    if before and now.mean is not None and before.mean is not None
                    else None
                ),
            }
        )
    return rows


def report_read(
    *,
    data: dict,
    access: Access,
    strategy: Strategy,
    barriers: list | None = None,
    live_sections: bool = True,
) -> ReportView:
    """The report for this reader. ``data``: the stored (or live) data; ``barriers``: the stored
    ``Barrier`` rows of a frozen report (with their measures prefetched), else the data's."""
    as_of = dt.date.fromisoformat(data["as_of"])
    performance = data["performance"]
    names = DerivedNames(access)
    rows = (
        ([("strategy", performance["health"])] if performance["health"] else [])
        + [("team", r) for r in performance["teams"]]
        + [("objective", r) for r in performance["objectives"]]
    )
    for subject_type, row in rows:
        names.want({"ref": [subject_type, row["id"]]}, row["reason"])
    barrier_rows = barriers if barriers is not None else data["barriers"]
    names.resolve()
    health = None
    if performance["health"]:
        h = performance["health"]
        health = GapLine(
            label="Execution-health index",
            score=h["score"],
            status=h["status"],
            reason=names.html(h["reason"]),
            label_text="Execution-health index",
            reason_text=names.text(h["reason"]),
        )
    teams, teams_hidden = _gap_lines(performance["teams"], "team", names)
    objectives, objectives_hidden = _gap_lines(performance["objectives"], "objective", names)
    everything = sees_all(access)
    evidence: dict[str, list] = {}
    if live_sections:
        evidence = capability_evidence(access=access, strategy=strategy, as_of=as_of)
    capabilities = [
        {
            "code": code,
            "label": label,
            "score": data["capabilities"].get(code),
            "evidence": evidence.get(code, []),
        }
        for code, label in CAPABILITY_LABELS.items()
    ]
    views = barrier_views(barriers=barrier_rows, access=access, evidence=evidence)
    return ReportView(
        as_of=as_of,
        health=health,
        teams=teams,
        teams_hidden=teams_hidden,
        objectives=objectives,
        objectives_hidden=objectives_hidden,
        feedback=(
            feedback_read(access=access, strategy=strategy, as_of=as_of) if live_sections else []
        ),
        calibration=(
            calibration_report(access=access, strategy=strategy, as_of=as_of)
            if live_sections
            else None
        ),
        capabilities=capabilities,
        barriers=views,
        sees_all=everything,
    )


def barrier_views(
    *, barriers: list, access: Access, evidence: dict | None = None
) -> list[BarrierView]:
    """Barriers (``Barrier`` rows, their visible measures prefetched, or the dicts of a draft's
    data) for this reader: affected teams named when visible (``Access.visible_teams``, read
    with the roles), counted otherwise. ``evidence``: ``capability_evidence`` for the reader,
    to link (none in the API)."""
    evidence = evidence or {}
    everything = sees_all(access)
    team_names = {pk: name for pk, name, _parent in access.visible_teams()}
    views = []
    for b in barriers:
        ids = _get(b, "team_ids")
        shown: list[tuple[str, str | None]] = [
            (team_names[t], f"/?team={t}") for t in ids if t in team_names
        ]
        components = dict(_get(b, "components"))
        if not everything:
            components["survey_shortfall"] = None
        capability = _get(b, "capability")
        views.append(
            BarrierView(
                pk=getattr(b, "pk", None),
                rank=_get(b, "rank"),
                capability=capability,
                label=CAPABILITY_LABELS[capability],
                score=_get(b, "score") if everything else None,
                components=components,
                capability_score=_get(b, "capability_score"),
                survey_mean=_get(b, "survey_mean") if everything else None,
                teams=shown,
                hidden_teams=len(ids) - len(shown),
                evidence=[
                    {"label": f.label, "display": f.display, "url": f.rows_url}
                    for f in evidence.get(capability, [])
                ],
                survey_items=[(c, STANDARD_ITEMS.get(c, c)) for c in SURVEY_ITEMS_OF[capability]],
                measures=list(b.measures.all()) if hasattr(b, "measures") else [],
                team_names=[name for name, _url in shown],
            )
        )
    return views


def _get(barrier, name: str):
    return barrier[name] if isinstance(barrier, dict) else getattr(barrier, name)


def capability_url() -> str:
    """The capability assessments' list page."""
    return reverse("assessment:assessment-list")
