"""The evidence the app has for each execution capability, computed beside the manual scores.

``capability_evidence(access=, strategy=, team=, as_of=)`` returns, for each of the five
capabilities (``CAPABILITIES``), a list of ``EvidenceFigure``. Every figure is computed by one
``Figure`` of ``FIGURES`` from a base set of rows (``Figure.rows``), and links to a page listing
exactly those rows (``rows_url``: ``/assessment/evidence/<code>/?team=&as_of=``), each marked
whether it counted for the figure.

Scope: the strategy's objectives, initiatives and KPIs (a KPI tied to no objective or initiative
counts for every strategy) of the teams in scope: ``team`` and the teams below it, or every team
when ``team`` is None, always limited to the teams the reader may see (``strategy.access``). So a
figure and its rows page never rest on a part the reader cannot see, and name nothing hidden.

A figure whose underlying data does not exist yet (no survey app, no alert ever handled, no
check-in ever tagged) is ``tracked=False`` with ``value=None``: rendered "not tracked yet",
never a guess. A tracked figure with nothing to measure has ``value=None`` and says why in
``detail``.

Definitions. The structure figures describe the plan as it is now; the others count the events
(check-ins, comments, measurements, alert events, changes) up to ``as_of`` (the end of that day,
local time):

* structure.owned_* — share (%) of the strategy's open objectives / open initiatives / active
  KPIs whose owner is set and an active account; structure.teams_with_leader — share of the
  teams in scope with at least one active direct leader membership.
* leadership.vision_trust, talent.resources — survey items ``leader_vision_trust`` and
  ``have_resources``: the mean (1-5) of the latest round closed by ``as_of`` (its
  ``closes_on`` on or before it) whose figure for the scope is shown
  (``surveys.results.item_results``, which suppresses figures below the anonymity threshold);
  the scope's figure combines the round's teams in it (a team above the surveyed ones sees
  them combined). A later closed round that is not shown is named with why; with no shown
  round the value is None and the detail says why; "not tracked yet" until a round has closed.
* leadership.blocker_response — median days from a check-in reporting a blocker (text or tags)
  to the first comment on its initiative by a leader of the initiative's team (a leader role on
  it or a team above it), among blockers answered by ``as_of``.
* tools.checkin_timeliness — share of active, started initiatives whose check-ins are not
  stale (``metrics.scoring.initiative.checkin_silence``, the engine's rule and grace).
* tools.kpis_by_api — share of active KPIs with a measurement whose latest one came by the API.
* tools.data_quality — share of active KPIs with a current score whose data quality is flagged
  (the engine's ``data_quality.confidence`` is "fair" or "poor").
* talent.blocked_for_skills — share of open initiatives whose latest check-in is tagged
  ``skills``.
* agility.alert_ack / agility.alert_resolve — median hours from an alert's first "opened" event
  to its first "acknowledged" / "resolved" event (``metrics.AlertEvent``).
* agility.replan — median days from an initiative's first red check-in to the first change of
  its due date, budget, effort, owner or team recorded after it (``Initiative.history``).

The code lives in modules, each importing only those before it (one direction): ``scope`` (the
shapes, the scope and its base row sets), one module per capability's figures (``structure``,
``leadership``, ``tools``, ``talent``, ``agility``; the two survey items' figures in
``survey_items``), and ``figures`` (every figure by code, and their computing). Callers import
from ``assessment.evidence``; the names below are its public face.
"""

from assessment.evidence.figures import FIGURES, capability_evidence, evidence_rows
from assessment.evidence.scope import (
    FLAGGED_QUALITY,
    NOT_TRACKED,
    OWNED,
    REPLAN_FIELDS,
    EvidenceFigure,
    EvidenceRow,
    EvidenceScope,
    Figure,
    evidence_scope,
)
from assessment.evidence.talent import SKILLS
from assessment.models import CAPABILITIES

__all__ = [
    "CAPABILITIES",
    "FIGURES",
    "FLAGGED_QUALITY",
    "NOT_TRACKED",
    "OWNED",
    "REPLAN_FIELDS",
    "SKILLS",
    "EvidenceFigure",
    "EvidenceRow",
    "EvidenceScope",
    "Figure",
    "capability_evidence",
    "evidence_rows",
    "evidence_scope",
]
