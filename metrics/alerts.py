"""Alert rules of the gap engine: which conditions open an alert, for whom, how severe, and
what the message says. Pure functions over a computed ``Result`` and the subject's facts; the
engine (``metrics.engine.persist``) turns the specs into rows with de-duplication.

Titles and messages are ``strategy.derived`` parts: the subject and any other object they
mention are references, named for each reader (pages, API, e-mail, webhook); the plain
``title`` and ``message`` columns hold their neutral form, which names no object.

One active alert per rule and subject: the ``dedup_key`` is ``<kind>:<subject_type>:<id>``.
Each rule is evaluated for every subject of its type the engine scores; an active alert whose
rule no longer fires for an evaluated subject is resolved automatically, with hysteresis: a rule
also returns a *holding* spec while its condition is back but within its margin
(``HYSTERESIS``), which keeps an active alert open (never opens one) until it has stayed clear
for ``GAP_ALERT_CLEAR_DAYS``. How severe each alert is comes from one table, ``SEVERITY``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from typing import Any

from metrics.scoring.common import AT_RISK, OFF_TRACK, ON_TRACK, Result, Thresholds
from metrics.scoring.forecast import forecast_sentence, kpi_forecast_misses
from strategy.derived import NOUNS, derived_neutral, items, part, ref
from strategy.quantities import quantity

INFO, WARNING, CRITICAL = 1, 2, 3

KPI_KINDS = frozenset({"kpi_off_track", "kpi_at_risk", "kpi_forecast_miss", "kpi_stale", "unowned"})
INITIATIVE_KINDS = frozenset(
    {"initiative_stale", "schedule_slip", "budget_burn", "over_budget", "unowned"}
)
MILESTONE_KINDS = frozenset({"milestone_overdue"})
ROOT_KIND = "objective_off_track"
OBJECTIVE_KINDS = frozenset({"unowned", "early_warning", ROOT_KIND})
ROLLUP_KINDS: frozenset[str] = frozenset()
UNAVAILABLE_KIND = "score_unavailable"
ACTION_KINDS = frozenset({"action_overdue"})

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
    "objective_off_track": "Objective off track",
    "score_unavailable": "Score unavailable",
    "action_overdue": "Action item overdue",
}


# --- severity by consequence ----------------------------------------------------------------
# Critical only for what threatens an objective's outcome within its period; the rest is a
# warning (needs someone's action) or info (worth knowing). One row per case: ``alert_severity``
# applies it, the README's "Severity" table shows it, tests/metrics/test_alert_rules.py checks
# every row.
SEVERITY: tuple[tuple[str, str, int], ...] = (
    ("kpi_off_track", "a lagging KPI whose forecast misses its target", CRITICAL),
    ("kpi_off_track", "a leading KPI, or a lagging one not forecast to miss", WARNING),
    ("kpi_at_risk", "its forecast misses its target", WARNING),
    ("kpi_at_risk", "its forecast meets its target, or there is none", INFO),
    ("kpi_forecast_miss", "always", WARNING),
    ("kpi_stale", "always", WARNING),
    ("initiative_stale", "always", WARNING),
    ("milestone_overdue", "always", WARNING),
    ("schedule_slip", "always", WARNING),
    ("budget_burn", "always", WARNING),
    ("over_budget", "spent beyond the budget by more than GAP_BUDGET_TOLERANCE", CRITICAL),
    ("over_budget", "spent beyond the budget, within GAP_BUDGET_TOLERANCE", WARNING),
    ("unowned", "always", WARNING),
    ("early_warning", "always", WARNING),
    ("objective_off_track", "one of its parts' alerts is critical", CRITICAL),
    ("objective_off_track", "its most severe part's alert is a warning", WARNING),
    ("objective_off_track", "its parts' alerts are all info", INFO),
    ("score_unavailable", "always", WARNING),
    ("action_overdue", "always", WARNING),
)


def alert_severity(
    kind: str,
    *,
    kpi_kind: str | None = None,
    forecast_misses: bool = False,
    burn: float | None = None,
    budget_tolerance: float = 0.15,
    parts_severity: int | None = None,
) -> int:
    """The severity of an alert of ``kind`` (``SEVERITY``): ``kpi_kind`` "leading"/"lagging",
    ``forecast_misses`` (``kpi_forecast_misses`` of the KPI), ``burn`` spent / planned budget
    (a share: 1.2 is 20 % over), ``budget_tolerance`` (``GAP_BUDGET_TOLERANCE``),
    ``parts_severity`` (the most severe of an objective's parts' alerts: its root alert's)."""
    if kind == ROOT_KIND:
        return parts_severity if parts_severity is not None else WARNING
    if kind == "kpi_off_track":
        return CRITICAL if kpi_kind == "lagging" and forecast_misses else WARNING
    if kind == "kpi_at_risk":
        return WARNING if forecast_misses else INFO
    if kind == "over_budget":
        return CRITICAL if burn is not None and burn > 1 + budget_tolerance else WARNING
    return WARNING


# --- hysteresis ---------------------------------------------------------------------------
# An alert opens at its threshold. Once open, it resolves at once when its condition is clearly
# back, beyond the margin below; back but within the margin, it stays active (``clear_since``
# written once) and resolves when it has stayed clear for GAP_ALERT_CLEAR_DAYS. A condition
# without a margin (0) is cleared by a person's act (a value recorded, a check-in, an owner
# named, a milestone done), so it resolves at once. Margins are in the rule's own unit.
HYSTERESIS: dict[str, tuple[float, str]] = {
    "kpi_off_track": (0.1, "attainment at least GAP_OFF_TRACK_ATTAINMENT + 0.1"),
    "kpi_at_risk": (0.05, "attainment at least GAP_ON_TRACK_ATTAINMENT + 0.05"),
    "kpi_forecast_miss": (
        0.15,
        "chance of meeting the target at least GAP_FORECAST_MISS_BELOW + 0.15",
    ),
    "schedule_slip": (0.1, "delivered / expected at least GAP_SCHEDULE_SLIP + 0.1"),
    "budget_burn": (0.05, "spent share at most delivered share + GAP_BUDGET_TOLERANCE - 0.05"),
    "over_budget": (0.02, "spent at most 98 % of the budget"),
    "early_warning": (0.0, "no leading KPI off track or at risk, or the lagging KPI off track"),
    "objective_off_track": (
        0.0,
        "the objective no longer off track, or none of its parts with an active alert",
    ),
    "kpi_stale": (0.0, "a value recorded"),
    "initiative_stale": (0.0, "a check-in posted"),
    "milestone_overdue": (0.0, "the milestone completed or its date moved"),
    "unowned": (0.0, "an active owner named"),
    "score_unavailable": (0.0, "the score computed again"),
    "action_overdue": (0.0, "the action item done or dropped, or its due date moved"),
}

# A condition does not open while an alert of one of these kinds stays active on the same
# subject: the worse alert already says it. The other way round, an active alert of the milder
# kind holds (stays active, within the clear time) while the worse one fires: the KPI is not
# back, it got worse.
YIELDS_TO: dict[str, frozenset[str]] = {
    "kpi_at_risk": frozenset({"kpi_off_track"}),
    "kpi_forecast_miss": frozenset({"kpi_off_track"}),
    "budget_burn": frozenset({"over_budget"}),
}


def _margin(kind: str) -> float:
    return HYSTERESIS[kind][0]


@dataclass(frozen=True)
class AlertSpec:
    """An alert a rule raises for a subject, before it is stored: kind, severity (1-3), subject,
    its texts as ``strategy.derived`` parts, owner and team, and details."""

    kind: str
    severity: int
    subject_type: str
    subject_id: int
    title_parts: Any
    message_parts: Any
    owner_id: int | None
    team_id: int | None
    details: dict = field(default_factory=dict)
    # True: the condition is back, but within its margin (``HYSTERESIS``): an active alert of
    # this condition stays active; none opens.
    holding: bool = False

    @property
    def subject_key(self) -> tuple[str, int]:
        """(subject_type, subject_id) of the subject it is about."""
        return (self.subject_type, self.subject_id)

    @property
    def title(self) -> str:
        """Neutral: the kind of alert (the subject is named in ``title_parts`` only)."""
        return TITLES[self.kind]

    @property
    def message(self) -> str:
        """The message with no object named (``message_parts`` rendered neutral)."""
        return derived_neutral(self.message_parts)

    @property
    def dedup_key(self) -> str:
        """The key of its condition on its subject (``alert_dedup_key``): one active alert
        per key."""
        return alert_dedup_key(
            kind=self.kind, subject_type=self.subject_type, subject_id=self.subject_id
        )


def alert_dedup_key(*, kind: str, subject_type: str, subject_id: int) -> str:
    """``"<kind>:<subject_type>:<subject_id>"``: one condition on one subject (one active alert per
    key)."""
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
    """A firing alert of ``kind`` about ``subject`` (``details``: the rule's figures)."""
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


def _holding(subject: Subject, kind: str) -> AlertSpec:
    """The condition of ``kind`` is back within its margin (``HYSTERESIS``): keeps an active
    alert of it open, opens none, changes none of its texts."""
    return AlertSpec(
        kind=kind,
        severity=INFO,
        subject_type=subject.subject_type,
        subject_id=subject.subject_id,
        title_parts=TITLES[kind],
        message_parts=TITLES[kind],
        owner_id=subject.actor_id,
        team_id=subject.team_id,
        holding=True,
    )


def unowned_alert(subject: Subject) -> list[AlertSpec]:
    """The "unowned" rule: one alert for a subject without an owner, else none."""
    if subject.owner_id is not None:
        return []
    return [
        _spec(
            subject,
            "unowned",
            alert_severity("unowned"),
            part(
                "{s} has no owner, so nobody is accountable for it and nobody is notified when "
                "it slips. Assign its owner.",
                s=subject.ref("This"),
            ),
        )
    ]


def kpi_alerts(
    *,
    subject: Subject,
    result: Result,
    cadence_days: int,
    thresholds: Thresholds | None = None,
    kpi_kind: str | None = None,
) -> list[AlertSpec]:
    """Alerts of a KPI (``kpi_kind``: "leading" or "lagging", which sets the severity of off
    track, ``SEVERITY``), with the holding specs of its hysteresis (``HYSTERESIS``). While the
    KPI has no current data its performance alerts hold: "not measured" is not "back"."""
    t = thresholds or Thresholds()
    specs = unowned_alert(subject)
    dq = result.data_quality or {}
    if dq.get("stale"):
        since = dq.get("days_since_last")
        when = part("for {d}", d=quantity(since, "days")) if since is not None else "yet"
        specs.append(
            _spec(
                subject,
                "kpi_stale",
                alert_severity("kpi_stale"),
                part(
                    "{s} has not been measured {when}; a value is expected {cadence}. Until it "
                    "is, its status cannot be trusted. Record the current value (or fix the "
                    "data feed).",
                    s=subject.ref("This"),
                    when=when,
                    cadence=quantity(cadence_days, "every_days"),
                ),
                days_since_last=since,
            )
        )
    forecast = result.forecast
    # Whether the forecast "misses" is decided in one place (scoring.forecast.
    # kpi_forecast_misses), on P and the GAP_FORECAST_MISS_BELOW threshold.
    misses = kpi_forecast_misses(forecast=forecast, thresholds=t)
    attainment = result.attainment
    no_data = result.status not in (ON_TRACK, AT_RISK, OFF_TRACK)
    if result.status == OFF_TRACK:
        specs.append(
            _spec(
                subject,
                "kpi_off_track",
                alert_severity("kpi_off_track", kpi_kind=kpi_kind, forecast_misses=misses),
                part(
                    "{r} Agree corrective actions with the team, or revise the plan with a "
                    "reason if it no longer holds.",
                    r=result.explained,
                ),
                attainment=result.attainment,
                gap=result.gap,
                forecast_misses=misses,
            )
        )
    elif no_data or (
        attainment is not None and attainment < t.off_track + _margin("kpi_off_track")
    ):
        specs.append(_holding(subject, "kpi_off_track"))
    if result.status == AT_RISK:
        specs.append(
            _spec(
                subject,
                "kpi_at_risk",
                alert_severity("kpi_at_risk", forecast_misses=misses),
                part(
                    "{r} Look at what is holding it back before it goes off track.",
                    r=result.explained,
                ),
                attainment=result.attainment,
                gap=result.gap,
                forecast_misses=misses,
            )
        )
    elif (
        no_data
        or result.status == OFF_TRACK  # worse: the off-track alert says it; this one holds
        or (attainment is not None and attainment < t.on_track + _margin("kpi_at_risk"))
    ):
        specs.append(_holding(subject, "kpi_at_risk"))
    # The forecast warns while the current status still looks acceptable; once the KPI is
    # off track, that alert says it already.
    # (misses: never without a forecast)
    if (
        misses
        and forecast is not None
        and not dq.get("stale")
        and result.status in (ON_TRACK, AT_RISK)
    ):
        specs.append(
            _spec(
                subject,
                "kpi_forecast_miss",
                alert_severity("kpi_forecast_miss"),
                part(
                    "{s}: {forecast} Change course now, while there is time.",
                    s=subject.ref(),
                    forecast=forecast_sentence(forecast=forecast),
                ),
                probability_on_target=forecast["probability_on_target"],
            )
        )
    elif (
        no_data
        or dq.get("stale")
        or (
            forecast
            and forecast["probability_on_target"]
            < t.forecast_miss_below + _margin("kpi_forecast_miss")
        )
    ):
        # Within the margin, or still missing while off track (that alert says it): holds.
        specs.append(_holding(subject, "kpi_forecast_miss"))
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


def objective_alerts(
    *,
    subject: Subject,
    kpi_statuses: list[tuple[str, int, str]],
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
                alert_severity("early_warning"),
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
    elif lagging_fine and any(
        k == "leading" and s in (OFF_TRACK, AT_RISK) for k, _i, s in kpi_statuses
    ):
        specs.append(_holding(subject, "early_warning"))
    return specs


@dataclass(frozen=True)
class Cause:
    """An active alert of one of an objective's parts (its KPIs, its initiatives, their KPIs
    and milestones): a cause listed inside the objective's root alert."""

    subject_type: str
    subject_id: int
    kind: str
    severity: int

    @property
    def dedup_key(self) -> str:
        """The key of its condition on its subject (``alert_dedup_key``)."""
        return alert_dedup_key(
            kind=self.kind, subject_type=self.subject_type, subject_id=self.subject_id
        )


def objective_root_alert(
    *, subject: Subject, status: str, score: float | None, causes: list[Cause], is_open: bool
) -> list[AlertSpec]:
    """One alert per root cause: an open objective that is off track while some of its parts
    have active alerts raises one ``objective_off_track`` alert listing those causes (most
    severe first), as severe as the most severe of them. The parts' alerts stay (their own
    pages, the API); the inbox lists them inside this one (``Alert.root``, set by the engine
    from ``details["causes"]``) instead of one row per part. The causes are references, so a
    reader who may not see a part reads "N parts you cannot see" (counted, never named)."""
    if not is_open or status != OFF_TRACK or not causes:
        return []
    ordered = sorted(causes, key=lambda c: (-c.severity, c.subject_type, c.subject_id, c.kind))
    listed = items(
        [
            part(
                "{s} ({k})",
                about=(c.subject_type, c.subject_id),
                s=ref(c.subject_type, c.subject_id),
                k=TITLES.get(c.kind, c.kind),
            )
            for c in ordered
        ],
        sep="; ",
        last=" and ",
    )
    count = len(ordered)
    return [
        _spec(
            subject,
            ROOT_KIND,
            alert_severity(ROOT_KIND, parts_severity=max(c.severity for c in ordered)),
            part(
                "{s} is off track{score} because of {n} alert{plural} on its parts: {causes}. "
                "Act on them together: each has its own alert on its page.",
                s=subject.ref("This"),
                score=f" (score {score:.0f})" if score is not None else "",
                n=count,
                plural="" if count == 1 else "s",
                causes=listed,
            ),
            causes=[c.dedup_key for c in ordered],
        )
    ]


def unavailable_alert(*, subject: Subject, reason: str) -> AlertSpec:
    """The alert that a subject's score could not be computed, with the reason (no error details:
    those are in the logs)."""
    return _spec(
        subject,
        UNAVAILABLE_KIND,
        alert_severity(UNAVAILABLE_KIND),
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
