"""The rules of the work: an initiative's (no recent check-in, schedule slipping, budget burn,
over budget), a milestone overdue, an action item overdue."""

from __future__ import annotations

from datetime import date

from metrics.alerts.specs import AlertSpec, Subject, _holding, _spec, unowned_alert
from metrics.alerts.tables import _margin, alert_severity
from metrics.scoring.common import Result, Thresholds
from strategy.derived import part, ref
from strategy.quantities import quantity


def initiative_alerts(
    *,
    subject: Subject,
    result: Result,
    thresholds: Thresholds,
    is_open: bool,
    paused: bool = False,
) -> list[AlertSpec]:
    """``is_open``: active or on hold (not proposed, done or cancelled). ``paused``: on hold,
    which raises no schedule, check-in or budget-burn alert (only "no owner" and "over
    budget", which pausing does not change)."""
    specs = unowned_alert(subject) if is_open else []
    if not is_open:
        return specs
    facts = result.components.get("facts", {})
    days = facts.get("days_since_checkin")
    cadence = facts.get("checkin_cadence_days") or 14
    started = facts.get("started_days_ago") or 0
    if facts.get("checkin_stale") and not paused:  # scoring.initiative.checkin_silence
        specs.append(
            _spec(
                subject,
                "initiative_stale",
                alert_severity("initiative_stale"),
                part(
                    "{s} has had no check-in for {days}; one is expected {cadence}. Post a "
                    "check-in with status, confidence and blockers."
                    if days is not None
                    else "{s} has never checked in in the {started} since it started; one is "
                    "expected {cadence}. Post a check-in with status, confidence and blockers.",
                    s=subject.ref("This"),
                    days=quantity(days, "days"),
                    started=quantity(started, "days"),
                    cadence=quantity(cadence, "every_days"),
                ),
                days_since_checkin=days,
            )
        )
    schedule = _component(result, "schedule")
    schedule_score = None if paused or not schedule else schedule["score"]
    if schedule and schedule_score is not None and schedule_score < thresholds.schedule_slip * 100:
        specs.append(
            _spec(
                subject,
                "schedule_slip",
                alert_severity("schedule_slip"),
                part(
                    "{s} is behind schedule: {detail}. Re-plan the remaining work or add "
                    "capacity, and say so in the next check-in.",
                    s=subject.ref("This"),
                    detail=schedule.get("detail_parts", schedule["detail"]),
                ),
                schedule_score=schedule["score"],
            )
        )
    elif schedule_score is not None and schedule_score < 100 * (
        thresholds.schedule_slip + _margin("schedule_slip")
    ):
        specs.append(_holding(subject, "schedule_slip"))
    burn = facts.get("burn")
    delivered = facts.get("delivered") or 0.0
    if burn is not None and burn > 1:
        specs.append(
            _spec(
                subject,
                "over_budget",
                alert_severity(
                    "over_budget", burn=burn, budget_tolerance=thresholds.budget_tolerance
                ),
                part(
                    "{s} has spent {burn} of its planned budget ({spent:,.0f} of "
                    "{planned:,.0f}) with {delivered} delivered. Ask for a budget revision or "
                    "cut scope.",
                    s=subject.ref("This"),
                    burn=quantity(burn, "percent"),
                    spent=facts["spent"],
                    planned=facts["budget_planned"],
                    delivered=quantity(delivered, "percent"),
                ),
                burn=burn,
            )
        )
    elif not paused and burn is not None and burn > delivered + thresholds.budget_tolerance:
        specs.append(
            _spec(
                subject,
                "budget_burn",
                alert_severity("budget_burn"),
                part(
                    "{s} has spent {burn} of its budget but delivered only {delivered}. At this "
                    "rate it runs out of money before it finishes: review the spend plan.",
                    s=subject.ref("This"),
                    burn=quantity(burn, "percent"),
                    delivered=quantity(delivered, "percent"),
                ),
                burn=burn,
                delivered=delivered,
            )
        )
    elif (
        not paused
        and burn is not None
        and burn > delivered + thresholds.budget_tolerance - (_margin("budget_burn"))
    ):
        specs.append(_holding(subject, "budget_burn"))
    if not paused and burn is not None and burn > 1:  # over budget says it: burn holds
        specs.append(_holding(subject, "budget_burn"))
    if burn is not None and 1 - _margin("over_budget") < burn <= 1:
        specs.append(_holding(subject, "over_budget"))
    return specs


def milestone_alerts(
    *, initiative: Subject, result: Result, milestone_team_id: int | None, is_open: bool
) -> list[AlertSpec]:
    """The overdue-milestone rule of an open initiative: one alert per overdue milestone in
    ``result``'s facts, routed like the initiative; none once it is closed."""
    if not is_open:
        return []
    specs = []
    for m in result.components.get("facts", {}).get("overdue_milestones", []):
        subject = Subject(
            subject_type="milestone",
            subject_id=m["id"],
            label="milestone",
            owner_id=initiative.owner_id,
            actor_id=initiative.actor_id,
            team_id=milestone_team_id,
            routed=initiative.routed,
            parts=part(
                "{m} of {i}",
                m=ref("milestone", m["id"], neutral="a milestone"),
                i=initiative.ref(),
            ),
        )
        specs.append(
            _spec(
                subject,
                "milestone_overdue",
                alert_severity("milestone_overdue"),
                part(
                    "The {s} was due on {due} and is not completed. Complete it, or move its "
                    "date and say why in a check-in.",
                    s=subject.ref(),
                    due=m["due_date"],
                ),
                due_date=m["due_date"],
            )
        )
    return specs


def action_item_alerts(
    *, subject: Subject, status: str, due_date: date, today: date
) -> list[AlertSpec]:
    """The overdue rule of an action item (``reviews.ActionItem``): one alert while it is open
    past its due date (``due_date`` before ``today``), to its owner or, when the owner is no
    longer an active user who may see it, to whom ``subject`` was routed
    (``metrics.engine.common.Actors``). Done, dropped or due again: nothing fires, so the
    engine resolves an active alert at once (margin 0 in ``HYSTERESIS``: a person's act)."""
    if status != "open" or due_date >= today:
        return []
    days = (today - due_date).days
    return [
        _spec(
            subject,
            "action_overdue",
            alert_severity("action_overdue"),
            part(
                "{s} was due on {due} ({days} days ago) and is still open. Do it and mark it "
                "done, drop it, or agree a new date at the next review.",
                s=subject.ref("This"),
                due=due_date.isoformat(),
                days=days,
            ),
            due_date=due_date.isoformat(),
            days_overdue=days,
        )
    ]


def _component(result: Result, key: str) -> dict | None:
    for item in result.components.get("items", []):
        if item["key"] == key:
            return item
    return None
