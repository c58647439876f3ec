"""The objective rules: a leading indicator warns, the objective off track with its causes
(its root alert), and a score that could not be computed."""

from __future__ import annotations

from dataclasses import dataclass

from metrics.alerts.specs import AlertSpec, Subject, _holding, _spec, alert_dedup_key, unowned_alert
from metrics.alerts.tables import ROOT_KIND, TITLES, UNAVAILABLE_KIND, alert_severity
from metrics.scoring.common import AT_RISK, OFF_TRACK, ON_TRACK
from strategy.derived import items, part, ref


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
