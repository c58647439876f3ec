"""Alert rules of the gap engine: which conditions open an alert, for whom, how severe, and
what the message says. Pure functions over a computed ``Result`` and the subject's facts; the
engine (``metrics.engine.persist``) turns the specs into rows with de-duplication.

One active alert per rule and subject: the ``dedup_key`` is ``<kind>:<subject_type>:<id>``.
Each rule is evaluated for every subject of its type the engine scores; an active alert whose
rule no longer fires for an evaluated subject is resolved automatically.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from metrics.scoring.common import AT_RISK, OFF_TRACK, ON_TRACK, Result, Thresholds, pct

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
    title: str
    message: str
    owner_id: int | None
    team_id: int | None
    details: dict = field(default_factory=dict)

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
    label: str  # "KPI “Net promoter score”"
    owner_id: int | None  # the subject's own owner (None: unowned)
    actor_id: int | None  # who must act: the owner, else the parent's owner, else a leader
    team_id: int | None


def _spec(subject: Subject, kind: str, severity: int, message: str, **details) -> AlertSpec:
    return AlertSpec(
        kind=kind,
        severity=severity,
        subject_type=subject.subject_type,
        subject_id=subject.subject_id,
        title=f"{TITLES[kind]}: {subject.label}"[:200],
        message=message,
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
            f"{subject.label} has no owner, so nobody is accountable for it and nobody is "
            "notified when it slips. Assign its owner.",
        )
    ]


def kpi_alerts(*, subject: Subject, result: Result, cadence_days: int) -> list[AlertSpec]:
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
                f"{subject.label} has not been measured {when}; a value is expected every "
                f"{cadence_days} days. Until it is, its status cannot be trusted. "
                "Record the current value (or fix the data feed).",
                days_since_last=since,
            )
        )
    if result.status == OFF_TRACK:
        specs.append(
            _spec(
                subject,
                "kpi_off_track",
                CRITICAL,
                f"{result.reason} Agree corrective actions with the team, or revise the plan "
                "with a reason if it no longer holds.",
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
                f"{result.reason} Look at what is holding it back before it goes off track.",
                attainment=result.attainment,
                gap=result.gap,
            )
        )
    forecast = result.forecast
    # The forecast warns while the current status still looks acceptable; once the KPI is
    # off track, that alert says it already.
    if (
        forecast
        and forecast.get("misses_target")
        and not dq.get("stale")
        and result.status in (ON_TRACK, AT_RISK)
    ):
        when = forecast.get("projected_target_date")
        reach = f"reaching it only on {when}" if when else "never reaching it on this trend"
        specs.append(
            _spec(
                subject,
                "kpi_forecast_miss",
                WARNING,
                f"On its recent trend {subject.label} ends at "
                f"{forecast['value_at_target']:.4g} on its target date "
                f"({pct(forecast['progress_at_target'])} of plan, "
                f"{pct(forecast['probability_on_target'])} chance of making it), {reach}. "
                "Change course now, while there is time.",
                probability_on_target=forecast["probability_on_target"],
            )
        )
    return specs


def initiative_alerts(
    *, subject: Subject, result: Result, thresholds: Thresholds, is_open: bool
) -> list[AlertSpec]:
    """``is_open``: active or on hold (not proposed, done or cancelled)."""
    specs = unowned_alert(subject) if is_open else []
    if not is_open:
        return specs
    facts = result.components.get("facts", {})
    days = facts.get("days_since_checkin")
    cadence = facts.get("checkin_cadence_days") or 14
    started = facts.get("started_days_ago") or 0
    if facts.get("checkin_stale"):  # scoring.initiative.checkin_silence decided it
        specs.append(
            _spec(
                subject,
                "initiative_stale",
                WARNING,
                (
                    f"{subject.label} has had no check-in for {days} days; one is expected "
                    f"every {cadence} days."
                    if days is not None
                    else f"{subject.label} has never checked in in the {started} days since it "
                    f"started; one is expected every {cadence} days."
                )
                + " Post a check-in with status, confidence and blockers.",
                days_since_checkin=days,
            )
        )
    schedule = _component(result, "schedule")
    if (
        schedule
        and schedule["score"] is not None
        and schedule["score"] < thresholds.schedule_slip * 100
    ):
        severity = CRITICAL if schedule["score"] < thresholds.schedule_slip * 100 * 0.7 else WARNING
        specs.append(
            _spec(
                subject,
                "schedule_slip",
                severity,
                f"{subject.label} is behind schedule: {schedule['detail']}. "
                "Re-plan the remaining work or add capacity, and say so in the next check-in.",
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
                f"{subject.label} has spent {pct(burn)} of its planned budget "
                f"({facts['spent']:,.0f} of {facts['budget_planned']:,.0f}) with "
                f"{pct(delivered)} delivered. Ask for a budget revision or cut scope.",
                burn=burn,
            )
        )
    elif burn is not None and burn > delivered + thresholds.budget_tolerance:
        specs.append(
            _spec(
                subject,
                "budget_burn",
                WARNING,
                f"{subject.label} has spent {pct(burn)} of its budget but delivered only "
                f"{pct(delivered)}. At this rate it runs out of money before it finishes: "
                "review the spend plan.",
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
            label=f"milestone “{m['title']}” of {initiative.label}",
            owner_id=initiative.owner_id,
            actor_id=initiative.actor_id,
            team_id=milestone_team_id,
        )
        specs.append(
            _spec(
                subject,
                "milestone_overdue",
                WARNING,
                f"The {subject.label} was due on {m['due_date']} and is not completed. "
                "Complete it, or move its date and say why in a check-in.",
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
    """``kpi_statuses``: (kind, name, status) of the objective's active KPIs."""
    if not is_open:
        return []
    specs = unowned_alert(subject)
    leading_bad = [n for k, n, s in kpi_statuses if k == "leading" and s == OFF_TRACK]
    lagging_fine = [n for k, n, s in kpi_statuses if k == "lagging" and s == ON_TRACK]
    if leading_bad and lagging_fine:
        specs.append(
            _spec(
                subject,
                "early_warning",
                WARNING,
                f"Leading KPI {', '.join(leading_bad)} is off track while lagging KPI "
                f"{', '.join(lagging_fine)} still looks fine: the outcome is likely to follow "
                "the leading indicator down. Act now, before it shows in the results.",
                leading=leading_bad,
                lagging=lagging_fine,
            )
        )
    return specs


def unavailable_alert(*, subject: Subject, reason: str) -> AlertSpec:
    return _spec(
        subject,
        UNAVAILABLE_KIND,
        WARNING,
        f"The score of {subject.label} could not be computed: {reason}. "
        "Check the subject's plan and data; an administrator can see the error in the logs.",
    )


def _component(result: Result, key: str) -> dict | None:
    for item in result.components.get("items", []):
        if item["key"] == key:
            return item
    return None
