"""An alert before it is stored (``AlertSpec``, its ``dedup_key``), who and what it is about
(``Subject``), the firing and holding specs every rule builds, and the "unowned" rule."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from metrics.alerts.tables import INFO, TITLES, alert_severity
from strategy.derived import NOUNS, derived_neutral, part, ref


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
