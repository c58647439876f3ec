"""Health of an initiative from named components (each 0-100, None when it has no data).

* schedule: delivered share vs time elapsed from start to due date. Delivered is the mean of
  the reported progress and the weighted milestone completion when it has milestones, else the
  reported progress. Score = 100 * min(1, delivered / elapsed).
* milestones: 100 * (1 - weight of overdue milestones / weight of all milestones).
* checkin_freshness: 100 while the last check-in is within the cadence, falling linearly to 0
  at three cadences; 0 if it never checked in after one cadence from its start.
* reported: the last check-in's RAG (green 100, amber 60, red 20) averaged with its stated
  confidence.
* budget: 100 * min(1, (delivered + tolerance) / burn), burn = spent / planned budget;
  at most 40 once over budget. None without a planned budget.
* kpis: the weighted mean of its own KPIs' scores.

A closed initiative shows its final result: done on time is 100, done late loses the lateness
as a share of its planned duration; cancelled is not scored.

``checkin_silence`` is the one rule of a stale check-in, used by the alerts, the sweep and the
pages (``metrics.checkins.checkin_silence_annotations`` is its SQL form).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

from metrics.scoring.common import NO_DATA, ON_TRACK, Result, Thresholds, clamp, pct
from metrics.scoring.rollup import Child, rollup_score
from strategy.quantities import count_text, every_days_text

WEIGHTS = {
    "schedule": 0.30,
    "milestones": 0.15,
    "checkin_freshness": 0.15,
    "reported": 0.15,
    "budget": 0.10,
    "kpis": 0.15,
}
RAG_SCORE = {"green": 100.0, "amber": 60.0, "red": 20.0}


@dataclass(frozen=True)
class Milestone:
    """A milestone as the initiative score reads it (weight: its share of the milestones)."""

    id: int
    title: str
    due_date: date
    completed_on: date | None
    weight: float = 1.0


@dataclass(frozen=True)
class InitiativeFacts:
    """What the initiative score reads of an initiative: status and dates, reported progress (0-1),
    milestones, last check-in, budget and spend, its KPIs' scores and its pauses."""

    title: str
    status: str  # Initiative.Status value
    start_date: date
    due_date: date
    reported_progress: float  # 0-1
    checkin_cadence_days: int = 14
    completed_on: date | None = None
    milestones: tuple[Milestone, ...] = ()
    last_checkin_on: date | None = None
    last_rag: str | None = None
    last_confidence: float | None = None  # 0-100
    budget_planned: float = 0.0
    spent: float = 0.0
    kpis: tuple[Child, ...] = field(default_factory=tuple)
    paused_days: int = 0  # days on hold in finished pauses
    paused_since: date | None = None  # on hold since (while on hold)
    resumed_on: date | None = None  # the day it last came back from hold


@dataclass(frozen=True)
class CheckinSilence:
    """How long an initiative has gone without a check-in, from ``checkin_silence``."""

    days: int  # since the last check-in's day, or since the start when it never checked in
    days_late: int  # days past its cadence (zero or less: not due yet)
    stale: bool


def checkin_silence(
    *,
    last_checkin_on: date | None,
    start_date: date,
    cadence_days: int,
    today: date,
    grace: float,
    resumed_on: date | None = None,
    paused: bool = False,
) -> CheckinSilence:
    """Whether an initiative's check-ins are stale: started, not paused (on hold), and silent
    for more than its cadence times ``grace`` (``GAP_STALE_GRACE``) days, counted in whole days
    from the last check-in's local date, or from the start when it never checked in, or from
    the day it came back from hold (``resumed_on``) when that is later."""
    since = last_checkin_on or start_date
    if resumed_on is not None and resumed_on > since:
        since = resumed_on
    days = (today - since).days
    stale = start_date <= today and not paused and days > cadence_days * grace
    return CheckinSilence(days=days, days_late=days - cadence_days, stale=stale)


def initiative_paused_days(*, facts: InitiativeFacts, today: date) -> int:
    """Days spent on hold up to ``today``: finished pauses plus the current one."""
    days = facts.paused_days
    if facts.paused_since is not None and facts.paused_since <= today:
        days += (today - facts.paused_since).days
    return days


def initiative_elapsed(*, facts: InitiativeFacts, today: date) -> float:
    """Share of the planned duration elapsed, the days on hold left out: a paused initiative's
    clock stops, and when it resumes its schedule is judged on the time it was worked on."""
    total = (facts.due_date - facts.start_date).days
    worked = (today - facts.start_date).days - initiative_paused_days(facts=facts, today=today)
    return clamp(worked / total)


def initiative_delivered(*, facts: InitiativeFacts, today: date) -> tuple[float, float | None]:
    """(delivered share, weighted milestone completion or None)."""
    weight = sum(m.weight for m in facts.milestones)
    done = None
    if weight > 0:
        done = sum(m.weight for m in facts.milestones if m.completed_on and m.completed_on <= today)
        done /= weight
        return (facts.reported_progress + done) / 2, done
    return facts.reported_progress, None


def initiative_score(
    *, facts: InitiativeFacts, today: date, thresholds: Thresholds | None = None
) -> Result:
    """The initiative's score from its components (see the module docstring) on ``today``; a
    cancelled one gets no score (``NO_DATA``)."""
    t = thresholds or Thresholds()
    if facts.status == "cancelled":
        return Result(status=NO_DATA, reason="Cancelled: not scored and left out of rollups.")
    elapsed = initiative_elapsed(facts=facts, today=today)
    delivered, milestone_share = initiative_delivered(facts=facts, today=today)
    overdue = [m for m in facts.milestones if m.completed_on is None and m.due_date < today]
    burn = facts.spent / facts.budget_planned if facts.budget_planned > 0 else None
    days_since_checkin = (today - facts.last_checkin_on).days if facts.last_checkin_on else None
    silence = checkin_silence(
        last_checkin_on=facts.last_checkin_on,
        start_date=facts.start_date,
        cadence_days=facts.checkin_cadence_days,
        today=today,
        grace=t.stale_grace,
        resumed_on=facts.resumed_on,
        paused=facts.status == "on_hold",
    )
    if facts.resumed_on is not None and days_since_checkin is not None:
        # Check-ins are expected from the resumption on, not across the pause.
        days_since_checkin = min(days_since_checkin, (today - facts.resumed_on).days)
    base_facts = {
        "elapsed": elapsed,
        "delivered": delivered,
        "milestones_done": milestone_share,
        "overdue_milestones": [
            {"id": m.id, "title": m.title, "due_date": m.due_date.isoformat()} for m in overdue
        ],
        "days_since_checkin": days_since_checkin,
        "checkin_cadence_days": facts.checkin_cadence_days,
        "checkin_stale": silence.stale,
        "started_days_ago": (today - facts.start_date).days,
        "budget_planned": facts.budget_planned,
        "spent": facts.spent,
        "burn": burn,
        "paused": facts.status == "on_hold",
        "paused_days": initiative_paused_days(facts=facts, today=today),
    }

    if facts.status == "done":
        finished = facts.completed_on or today
        late = max(0, (finished - facts.due_date).days)
        duration = (facts.due_date - facts.start_date).days
        score = 100.0 * clamp(1 - late / duration)
        reason = f"Final result: delivered on {finished.isoformat()}" + (
            f", {count_text(late, 'day')} late." if late else ", on time."
        )
        result = rollup_score(
            children=[Child("delivery", "Delivery", score, 1.0, ON_TRACK, reason)],
            thresholds=t,
        )
        result.reason, result.reason_parts = reason, None
        result.progress, result.expected_progress = 1.0, 1.0
        result.components["facts"] = base_facts
        return result

    children: list[Child] = []
    if elapsed <= 0:
        schedule = None
        schedule_detail = f"Starts on {facts.start_date.isoformat()}: nothing due yet."
    else:
        schedule = 100.0 * clamp(delivered / elapsed)
        ms = f"; milestones {pct(milestone_share)} done" if milestone_share is not None else ""
        schedule_detail = (
            f"{pct(delivered)} delivered (reported {pct(facts.reported_progress)}{ms}) "
            f"with {pct(elapsed)} of the time elapsed"
        )
    children.append(
        Child(
            "schedule", "Schedule", schedule, WEIGHTS["schedule"], _st(schedule, t), schedule_detail
        )
    )
    if facts.milestones:
        total = sum(m.weight for m in facts.milestones)
        late_weight = sum(m.weight for m in overdue)
        ms_score = 100.0 * (1 - late_weight / total)
        detail = (
            f"{count_text(len(overdue), 'overdue milestone')}: "
            + ", ".join(f"{m.title} (due {m.due_date.isoformat()})" for m in overdue[:3])
            if overdue
            else "No milestone overdue"
        )
        children.append(
            Child(
                "milestones",
                "Milestones",
                ms_score,
                WEIGHTS["milestones"],
                _st(ms_score, t),
                detail,
            )
        )
    cadence = facts.checkin_cadence_days
    if facts.status == "on_hold":
        fresh, detail = None, "Paused: no check-in expected"
    elif days_since_checkin is not None:
        fresh = 100.0 * clamp(1 - max(0, days_since_checkin - cadence) / (2 * cadence))
        detail = (
            f"Last check-in {count_text(days_since_checkin, 'day')} ago "
            f"(expected {every_days_text(cadence)})"
        )
    elif (today - max(facts.start_date, facts.resumed_on or facts.start_date)).days > cadence:
        fresh = 0.0
        detail = (
            f"No check-in since the start on {facts.start_date.isoformat()} "
            f"(expected {every_days_text(cadence)})"
        )
    else:
        fresh, detail = None, "No check-in due yet"
    children.append(
        Child(
            "checkin_freshness",
            "Check-ins",
            fresh,
            WEIGHTS["checkin_freshness"],
            _st(fresh, t),
            detail,
        )
    )
    if facts.last_rag:
        confidence = facts.last_confidence if facts.last_confidence is not None else 50.0
        reported = (RAG_SCORE.get(facts.last_rag, 50.0) + confidence) / 2
        detail = f"Last reported {facts.last_rag.upper()} with {confidence:.0f} % confidence"
        children.append(
            Child(
                "reported",
                "Reported status",
                reported,
                WEIGHTS["reported"],
                _st(reported, t),
                detail,
            )
        )
    if burn is not None:
        budget = 100.0 * clamp((delivered + t.budget_tolerance) / burn) if burn > 0 else 100.0
        if burn > 1:
            budget = min(budget, 40.0)
            detail = f"Over budget: {pct(burn)} of the budget spent for {pct(delivered)} delivered"
        else:
            detail = f"{pct(burn)} of the budget spent for {pct(delivered)} delivered"
        children.append(
            Child("budget", "Budget", budget, WEIGHTS["budget"], _st(budget, t), detail)
        )
    if facts.kpis:
        kpi_part = rollup_score(children=list(facts.kpis), thresholds=t)
        scored = kpi_part.score is not None
        children.append(
            Child(
                "kpis",
                "Own KPIs",
                kpi_part.score,
                WEIGHTS["kpis"],
                _st(kpi_part.score, t),
                kpi_part.reason if scored else "No KPI with current data",
                detail_parts=kpi_part.reason_parts if scored else None,
            )
        )
    result = rollup_score(
        children=children,
        thresholds=t,
        empty_reason=f"Nothing to score yet: starts on {facts.start_date.isoformat()}.",
    )
    result.progress = clamp(delivered)
    result.achievement = delivered
    result.expected_progress = elapsed
    result.attainment = delivered / elapsed if elapsed > 0 else None
    result.gap = elapsed - clamp(delivered)
    if facts.status == "on_hold":
        since = f" since {facts.paused_since.isoformat()}" if facts.paused_since else ""
        result.reason_prefix(
            f"Paused (on hold){since}: its schedule clock is stopped, and no schedule, "
            "check-in or budget-burn alert is raised until it resumes. "
        )
    result.components["facts"] = base_facts
    return result


def _st(score: float | None, t: Thresholds) -> str:
    from metrics.scoring.common import status_for_score

    return status_for_score(score, t)
