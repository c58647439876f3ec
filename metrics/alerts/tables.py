"""The alert rules' tables: the kinds by subject, their titles, how severe each case is
(``SEVERITY``, ``alert_severity``), the margins of hysteresis (``HYSTERESIS``) and which kind
yields to which (``YIELDS_TO``)."""

from __future__ import annotations

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
