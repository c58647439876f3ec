"""Alert rules of the gap engine: which conditions open an alert, for whom, how severe, and
what the message says. Pure functions over a computed ``Result`` and the subject's facts; the
engine (``metrics.engine.alert_writes``) turns the specs into rows with de-duplication.

Titles and messages are ``strategy.derived`` parts: the subject and any other object they
mention are references, named for each reader (pages, API, e-mail, webhook); the plain
``title`` and ``message`` columns hold their neutral form, which names no object.

One active alert per rule and subject: the ``dedup_key`` is ``<kind>:<subject_type>:<id>``.
Each rule is evaluated for every subject of its type the engine scores; an active alert whose
rule no longer fires for an evaluated subject is resolved automatically, with hysteresis: a rule
also returns a *holding* spec while its condition is back but within its margin
(``HYSTERESIS``), which keeps an active alert open (never opens one) until it has stayed clear
for ``GAP_ALERT_CLEAR_DAYS``. How severe each alert is comes from one table, ``SEVERITY``.

The rules live in modules, each importing only those before it (one direction): ``tables``
(kinds, titles, severity, hysteresis), ``specs`` (``AlertSpec``, ``Subject`` and the specs every
rule builds; the "unowned" rule), then the rules by subject: ``kpis``, ``work`` (initiatives,
milestones, action items) and ``objectives``. Callers import from ``metrics.alerts``; the names
below are its public face.
"""

from metrics.alerts.kpis import kpi_alerts
from metrics.alerts.objectives import (
    Cause,
    objective_alerts,
    objective_root_alert,
    unavailable_alert,
)
from metrics.alerts.specs import (
    ROUTED_TO_OFFICE,
    AlertSpec,
    Subject,
    alert_dedup_key,
    unowned_alert,
)
from metrics.alerts.tables import (
    ACTION_KINDS,
    CRITICAL,
    HYSTERESIS,
    INFO,
    INITIATIVE_KINDS,
    KPI_KINDS,
    MILESTONE_KINDS,
    OBJECTIVE_KINDS,
    ROLLUP_KINDS,
    ROOT_KIND,
    SEVERITY,
    TITLES,
    UNAVAILABLE_KIND,
    WARNING,
    YIELDS_TO,
    alert_severity,
)
from metrics.alerts.work import action_item_alerts, initiative_alerts, milestone_alerts

__all__ = [
    "ACTION_KINDS",
    "CRITICAL",
    "HYSTERESIS",
    "INFO",
    "INITIATIVE_KINDS",
    "KPI_KINDS",
    "MILESTONE_KINDS",
    "OBJECTIVE_KINDS",
    "ROLLUP_KINDS",
    "ROOT_KIND",
    "ROUTED_TO_OFFICE",
    "SEVERITY",
    "TITLES",
    "UNAVAILABLE_KIND",
    "WARNING",
    "YIELDS_TO",
    "AlertSpec",
    "Cause",
    "Subject",
    "action_item_alerts",
    "alert_dedup_key",
    "alert_severity",
    "initiative_alerts",
    "kpi_alerts",
    "milestone_alerts",
    "objective_alerts",
    "objective_root_alert",
    "unavailable_alert",
    "unowned_alert",
]
