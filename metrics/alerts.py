"""Alert rules of the gap engine: which conditions open an alert, for whom, how severe, and
what the message says. Pure functions over a computed ``Result`` and the subject's facts; the
engine (``metrics.engine.persist``) turns the specs into rows with de-duplication.

Titles and messages are ``strategy.derived`` parts: the subject and any other object they
mention are references, named for each reader (pages, API, e-mail, webhook); the plain
``title`` and ``message`` columns hold their neutral form, which names no object.

One active alert per rule and subject: the ``dedup_key`` is ``<kind>:<subject_type>:<id>``.
Each rule is evaluated for every subject of its type the engine scores; an active alert whose
rule no longer fires for an evaluated subject is resolved automatically.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from metrics.scoring.common import AT_RISK, OFF_TRACK, ON_TRACK, Result, Thresholds, pct
from metrics.scoring.forecast import forecast_sentence, kpi_forecast_misses
from strategy.derived import NOUNS, derived_neutral, items, part, ref

INFO, WARNING, CRITICAL = 1, 2, 3

KPI_KINDS = frozenset({"kpi_off_track", "kpi_at_risk", "kpi_forecast_miss", "kpi_stale", "unowned"})
INITIATIVE_KINDS = frozenset(
    {"initiative_stale", "schedule_slip", "budget_burn", "over_budget", "unowned"}
)
MILESTONE_KINDS = frozenset({"milestone_overdue"})
OBJECTIVE_KINDS = frozenset({"unowned", "early_warning"})
ROLLUP_KINDS: frozenset[str] = frozenset()
UNAVAILABLE_KIND = "score_unavailable"

TITLES = {
    "kpi_off_track": "KPI off track",
    "kpi_at_risk": "KPI at risk",
    "kpi_forecast_miss": "KPI forecast to miss its target",
    "kpi_stale": "KPI not measured",
    "initiative_stale": "No recent check-in",
    "milestone_overdue": "Milestone overdue",
    "schedule_slip": "Schedule slipping",
    "budget_burn": "Budget burn ahead of progress",
    "over_budget": "Over budget",
    "unowned": "No owner",
    "early_warning": "Leading indicator warns",
    "score_unavailable": "Score unavailable",
}


@dataclass(frozen=True)
class AlertSpec:
    kind: str
    severity: int
    subject_type: str
    subject_id: int
    title_parts: Any
    message_parts: Any
    owner_id: int | None
    team_id: int | None
    details: dict = field(default_factory=dict)

    @property
    def title(self) -> str:
        """Neutral: the kind of alert (the subject is named in ``title_parts`` only)."""
        return TITLES[self.kind]

    @property
    def message(self) -> str:
        return derived_neutral(self.message_parts)

    @property
    def dedup_key(self) -> str:
        return alert_dedup_key(
            kind=self.kind, subject_type=self.subject_type, subject_id=self.subject_id
        )


def alert_dedup_key(*, kind: str, subject_type: str, subject_id: int) -> str:
    return f"{kind}:{subject_type}:{subject_id}"


@dataclass(frozen=True)
class Subject:
    """Who and what an alert is about."""

    subject_type: str
    subject_id: int
    label: str  # what it is, naming nothing: "KPI" (its name is rendered from ``ref``)
    owner_id: int | None  # the subject's own owner (None: unowned)
    actor_id: int | None  # who must act: the owner, else the parent's owner, else a leader
    team_id: int | None
    # the subject as parts, when not simply a reference to it (a milestone of its initiative)
    parts: Any = None
    # how ``actor_id`` was found (``metrics.engine.common.Route.via``)
    routed: str = ""

    def ref(self, neutral: str = "this") -> Any:
        """The subject as parts; ``neutral``: "this" or "This" (the stored form's words)."""
        if self.parts is not None:
            return self.parts
        noun = NOUNS.get(self.subject_type, self.subject_type)
        return ref(self.subject_type, self.subject_id, neutral=f"{neutral} {noun}")


ROUTED_TO_OFFICE = (
    "It is sent to the strategy office: nobody accountable for it (its owner, the owner above "
    "it, its team's leaders) is an active user."
)


def _spec(subject: Subject, kind: str, severity: int, message: Any, **details) -> AlertSpec:
    if subject.routed == "strategy_office":
        message = part("{m} {routed}", m=message, routed=ROUTED_TO_OFFICE)
        details["routed_to"] = "strategy_office"
    return AlertSpec(
        kind=kind,
        severity=severity,
        subject_type=subject.subject_type,
        subject_id=subject.subject_id,
        title_parts=part("{k}: {s}", k=TITLES[kind], s=subject.ref()),
        message_parts=message,
        owner_id=subject.actor_id,
        team_id=subject.team_id,
        details=details,
    )


def unowned_alert(subject: Subject) -> list[AlertSpec]:
    if subject.owner_id is not None:
        return []
    return [
        _spec(
            subject,
            "unowned",
            WARNING,
            part(
                "{s} has no owner, so nobody is accountable for it and nobody is notified when "
                "it slips. Assign its owner.",
                s=subject.ref("This"),
            ),
        )
    ]


def kpi_alerts(
    *, subject: Subject, result: Result, cadence_days: int, thresholds: Thresholds | None = None
) -> list[AlertSpec]:
    specs = unowned_alert(subject)
    dq = result.data_quality or {}
    if dq.get("stale"):
        since = dq.get("days_since_last")
        when = f"for {since} days" if since is not None else "yet"
        specs.append(
            _spec(
                subject,
                "kpi_stale",
                WARNING,
                part(
                    "{s} has not been measured {when}; a value is expected every {cadence} "
                    "days. Until it is, its status cannot be trusted. Record the current value "
                    "(or fix the data feed).",
                    s=subject.ref("This"),
                    when=when,
                    cadence=cadence_days,
                ),
                days_since_last=since,
            )
        )
    if result.status == OFF_TRACK:
        specs.append(
            _spec(
                subject,
                "kpi_off_track",
                CRITICAL,
                part(
                    "{r} Agree corrective actions with the team, or revise the plan with a "
                    "reason if it no longer holds.",
                    r=result.explained,
                ),
                attainment=result.attainment,
                gap=result.gap,
            )
        )
    elif result.status == AT_RISK:
        specs.append(
            _spec(
                subject,
                "kpi_at_risk",
                WARNING,
                part(
                    "{r} Look at what is holding it back before it goes off track.",
                    r=result.explained,
                ),
                attainment=result.attainment,
                gap=result.gap,
            )
        )
    forecast = result.forecast
    # The forecast warns while the current status still looks acceptable; once the KPI is
    # off track, that alert says it already. Whether it "misses" is decided in one place
    # (scoring.forecast.kpi_forecast_misses), on P and the GAP_FORECAST_MISS_BELOW threshold.
    if (
        kpi_forecast_misses(forecast=forecast, thresholds=thresholds)
        and not dq.get("stale")
        and result.status in (ON_TRACK, AT_RISK)
    ):
        specs.append(
            _spec(
                subject,
                "kpi_forecast_miss",
                WARNING,
                part(
                    "{s}: {forecast} Change course now, while there is time.",
                    s=subject.ref(),
                    forecast=forecast_sentence(forecast=forecast),
                ),
                probability_on_target=forecast["probability_on_target"],
            )
        )
    return specs


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
                WARNING,
                part(
                    "{s} has had no check-in for {days} days; one is expected every {cadence} "
                    "days. Post a check-in with status, confidence and blockers."
                    if days is not None
                    else "{s} has never checked in in the {started} days since it started; one "
                    "is expected every {cadence} days. Post a check-in with status, confidence "
                    "and blockers.",
                    s=subject.ref("This"),
                    days=days,
                    started=started,
                    cadence=cadence,
                ),
                days_since_checkin=days,
            )
        )
    schedule = _component(result, "schedule")
    if (
        not paused
        and schedule
        and schedule["score"] is not None
        and schedule["score"] < thresholds.schedule_slip * 100
    ):
        severity = CRITICAL if schedule["score"] < thresholds.schedule_slip * 100 * 0.7 else WARNING
        specs.append(
            _spec(
                subject,
                "schedule_slip",
                severity,
                part(
                    "{s} is behind schedule: {detail}. Re-plan the remaining work or add "
                    "capacity, and say so in the next check-in.",
                    s=subject.ref("This"),
                    detail=schedule.get("detail_parts", schedule["detail"]),
                ),
                schedule_score=schedule["score"],
            )
        )
    burn = facts.get("burn")
    delivered = facts.get("delivered") or 0.0
    if burn is not None and burn > 1:
        specs.append(
            _spec(
                subject,
                "over_budget",
                CRITICAL,
                part(
                    "{s} has spent {burn} of its planned budget ({spent:,.0f} of "
                    "{planned:,.0f}) with {delivered} delivered. Ask for a budget revision or "
                    "cut scope.",
                    s=subject.ref("This"),
                    burn=pct(burn),
                    spent=facts["spent"],
                    planned=facts["budget_planned"],
                    delivered=pct(delivered),
                ),
                burn=burn,
            )
        )
    elif not paused and burn is not None and burn > delivered + thresholds.budget_tolerance:
        specs.append(
            _spec(
                subject,
                "budget_burn",
                WARNING,
                part(
                    "{s} has spent {burn} of its budget but delivered only {delivered}. At this "
                    "rate it runs out of money before it finishes: review the spend plan.",
                    s=subject.ref("This"),
                    burn=pct(burn),
                    delivered=pct(delivered),
                ),
                burn=burn,
                delivered=delivered,
            )
        )
    return specs


def milestone_alerts(
    *, initiative: Subject, result: Result, milestone_team_id: int | None, is_open: bool
) -> list[AlertSpec]:
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
                WARNING,
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


def objective_alerts(
    *,
    subject: Subject,
    kpi_statuses: list[tuple[str, str, str]],
    is_open: bool,
) -> list[AlertSpec]:
    """``kpi_statuses``: (kind, KPI id, status) of the objective's active KPIs."""
    if not is_open:
        return []
    specs = unowned_alert(subject)
    leading_bad = [i for k, i, s in kpi_statuses if k == "leading" and s == OFF_TRACK]
    lagging_fine = [i for k, i, s in kpi_statuses if k == "lagging" and s == ON_TRACK]
    if leading_bad and lagging_fine:
        specs.append(
            _spec(
                subject,
                "early_warning",
                WARNING,
                part(
                    "A leading KPI is off track ({leading}) while a lagging KPI still looks "
                    "fine ({lagging}): the outcome is likely to follow the leading indicator "
                    "down. Act now, before it shows in the results.",
                    leading=items([ref("kpi", i) for i in leading_bad]),
                    lagging=items([ref("kpi", i) for i in lagging_fine]),
                ),
                leading_kpi_ids=leading_bad,
                lagging_kpi_ids=lagging_fine,
            )
        )
    return specs


def unavailable_alert(*, subject: Subject, reason: str) -> AlertSpec:
    return _spec(
        subject,
        UNAVAILABLE_KIND,
        WARNING,
        part(
            "The score of {s} could not be computed: {reason}. Check the subject's plan and "
            "data; an administrator can see the error in the logs.",
            s=subject.ref(),
            reason=reason,
        ),
    )


def _component(result: Result, key: str) -> dict | None:
    for item in result.components.get("items", []):
        if item["key"] == key:
            return item
    return None
