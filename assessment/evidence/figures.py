"""Every figure (``FIGURES``, by code) and their computing for a scope: ``capability_evidence``
(each capability's figures) and ``evidence_rows`` (one figure and the rows behind it)."""

from __future__ import annotations

import datetime as dt

from django.urls import reverse

from assessment.evidence.agility import _alert_figure, _replan_compute, _replan_rows
from assessment.evidence.leadership import _blocker_compute, _blocker_rows
from assessment.evidence.scope import (
    EvidenceFigure,
    EvidenceRow,
    EvidenceScope,
    Figure,
    _kpis,
    _objectives,
    _open_initiatives,
    evidence_scope,
)
from assessment.evidence.structure import _owned_share, _teams_led_compute, _teams_led_rows
from assessment.evidence.survey_items import _survey_figure
from assessment.evidence.talent import _skills_compute, _skills_rows
from assessment.evidence.tools import (
    _fed_compute,
    _fed_rows,
    _quality_compute,
    _quality_rows,
    _timeliness_compute,
    _timeliness_rows,
)
from assessment.models import CAPABILITIES, Capability
from strategy.access import Access
from strategy.models import Strategy, Team


def _figures() -> tuple[Figure, ...]:
    objectives = _owned_share(_objectives, "objectives")
    initiatives = _owned_share(_open_initiatives, "initiatives")
    kpis = _owned_share(_kpis, "KPIs")
    ack = _alert_figure("acknowledged", "acknowledged")
    resolve = _alert_figure("resolved", "resolved")
    vision = _survey_figure("leader_vision_trust")
    resources = _survey_figure("have_resources")
    c = Capability
    return (
        Figure("owned_objectives", c.STRUCTURE, "Open objectives with an active owner", "%",
               *objectives),
        Figure("owned_initiatives", c.STRUCTURE, "Open initiatives with an active owner", "%",
               *initiatives),
        Figure("owned_kpis", c.STRUCTURE, "Active KPIs with an active owner", "%", *kpis),
        Figure("teams_with_leader", c.STRUCTURE, "Teams with a leader", "%",
               _teams_led_compute, _teams_led_rows),
        Figure("vision_trust", c.LEADERSHIP, "Survey: my leader shares the vision and trusts "
               "the team", "of 5", *vision),
        Figure("blocker_response", c.LEADERSHIP, "Median time for a leader to answer a blocker",
               "days", _blocker_compute, _blocker_rows),
        Figure("checkin_timeliness", c.TOOLS, "Active initiatives checking in on time", "%",
               _timeliness_compute, _timeliness_rows),
        Figure("kpis_by_api", c.TOOLS, "Measured KPIs fed by the API", "%",
               _fed_compute, _fed_rows),
        Figure("data_quality", c.TOOLS, "Scored KPIs with a data-quality flag", "%",
               _quality_compute, _quality_rows),
        Figure("resources", c.TALENT, "Survey: I have the resources I need", "of 5",
               *resources),
        Figure("blocked_for_skills", c.TALENT, "Open initiatives blocked for skills", "%",
               _skills_compute, _skills_rows),
        Figure("alert_ack", c.AGILITY, "Median time from alert to acknowledgement", "hours",
               *ack),
        Figure("alert_resolve", c.AGILITY, "Median time from alert to resolution", "hours",
               *resolve),
        Figure("replan", c.AGILITY, "Median time from a red check-in to a re-plan", "days",
               _replan_compute, _replan_rows),
    )  # fmt: skip


FIGURES: dict[str, Figure] = {f.code: f for f in _figures()}


def _figure(figure: Figure, scope: EvidenceScope) -> EvidenceFigure:
    value, tracked, detail = figure.compute(scope)
    url = reverse("assessment:evidence-rows", args=[figure.code]) + "?" + scope.query()
    return EvidenceFigure(
        code=figure.code,
        label=figure.label,
        value=value if tracked else None,
        unit=figure.unit,
        tracked=tracked,
        detail=detail,
        rows_url=url if tracked else None,
    )


def capability_evidence(
    *, access: Access, strategy: Strategy, team: Team | None = None, as_of: dt.date | None = None
) -> dict[str, list[EvidenceFigure]]:
    """``{capability: [EvidenceFigure, ...]}`` for every capability of ``CAPABILITIES`` (in
    order), computed for ``team`` and the teams below it (None: the organisation) on ``as_of``
    (default today), over what ``access`` may see. A constant number of queries, whatever the
    size of the organisation (one to three per figure)."""
    scope = evidence_scope(access=access, strategy=strategy, team=team, as_of=as_of)
    result: dict[str, list[EvidenceFigure]] = {c: [] for c in CAPABILITIES}
    for figure in FIGURES.values():
        result[figure.capability].append(_figure(figure, scope))
    return result


def evidence_rows(*, scope: EvidenceScope, code: str) -> tuple[EvidenceFigure, list[EvidenceRow]]:
    """One figure and the rows it was computed from. Raises ``KeyError`` for an unknown code."""
    figure = FIGURES[code]
    return _figure(figure, scope), figure.rows(scope)
