"""The ranking of barriers: pure maths, no ORM, no clock (tested on hand-computed tables).

A **barrier** is one of the five execution capabilities (structure, leadership, tools, talent,
agility) where the assessment finds evidence of weakness. Each candidate gets four components,
each a share between 0 and 1 (1: as bad as it can be):

* ``gap``: the mean of ``(100 - health) / 100`` over the **affected teams** (below) that have a
  team health score from the gap engine; 0 when no affected team is scored;
* ``capability_shortfall``: ``(5 - score) / 4`` for the organisation's capability score (the
  mean of the teams' latest 1-5 scores of the capability assessment); 0 when not assessed;
* ``survey_shortfall``: ``(5 - mean) / 4`` for the mean (1-5) of the survey items that speak of
  the capability (``SURVEY_ITEMS_OF``), over the teams whose results are shown (above the
  anonymity threshold); 0 when no result is shown;
* ``breadth``: the affected teams' share of the teams with any figure of the capability.

A team is **affected** when its capability score is at most ``TEAM_WEAK_SCORE`` (2.5) or the
mean of its survey items for the capability is below ``TEAM_WEAK_SURVEY`` (3.5).

The barrier's score (0-1) is the weighted sum ``0.35 gap + 0.30 capability_shortfall
+ 0.25 survey_shortfall + 0.10 breadth`` (``WEIGHTS``): execution lagging where the capability
is weak weighs most, then what leaders assessed, then what the people say, then how widespread
it is. A candidate is a barrier when its capability or its survey items fall short by at least
a quarter of the scale (``capability_shortfall >= 0.25`` or ``survey_shortfall >= 0.25``: a
score or a mean of 4 or below). Barriers are ranked by score, highest first; ties by the larger
capability shortfall, then by the capabilities' order.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

from assessment.models import Capability

# The five capabilities of the method's step 2 (``assessment.models.Capability``), in order.
CAPABILITIES: tuple[tuple[str, str], ...] = tuple(Capability.choices)
CAPABILITY_LABELS = dict(CAPABILITIES)
# The pulse-survey items (surveys app) that speak of each capability.
SURVEY_ITEMS_OF: dict[str, tuple[str, ...]] = {
    "structure": ("understand_strategy", "know_priorities"),
    "leadership": ("leader_vision_trust",),
    "tools": ("have_resources",),
    "talent": ("skills_growth", "have_resources"),
    "agility": ("problems_fixed",),
}
WEIGHTS = {"gap": 0.35, "capability_shortfall": 0.30, "survey_shortfall": 0.25, "breadth": 0.10}
TEAM_WEAK_SCORE = 2.5
TEAM_WEAK_SURVEY = 3.5
BARRIER_SHORTFALL = 0.25


@dataclass(frozen=True)
class TeamFigures:
    """What the ranking knows of one team: its health (0-100, None: not scored), its latest
    capability scores (1-5, by capability) and its shown survey item means (1-5, by item code)."""

    health: float | None = None
    capability: Mapping[str, float] = field(default_factory=dict)
    survey: Mapping[str, float] = field(default_factory=dict)


@dataclass(frozen=True)
class RankedBarrier:
    """A capability found to be a barrier: its score (0-1), components, affected team ids and
    the organisation-wide figures it rests on (None: not assessed / no result shown)."""

    capability: str
    score: float
    components: dict[str, float]
    team_ids: tuple[int, ...]
    capability_score: float | None
    survey_mean: float | None


def shortfall(value: float | None) -> float:
    """``(5 - value) / 4`` clamped to 0-1 for a 1-5 figure; 0 for None (no evidence)."""
    if value is None:
        return 0.0
    return min(1.0, max(0.0, (5.0 - value) / 4.0))


def _mean(values: Iterable[float]) -> float | None:
    values = list(values)
    return sum(values) / len(values) if values else None


def barrier_score(components: Mapping[str, float]) -> float:
    """The weighted sum of the four components (``WEIGHTS``), 0-1."""
    return sum(WEIGHTS[name] * components[name] for name in WEIGHTS)


def barriers_rank(
    *,
    teams: Mapping[int, TeamFigures],
    capability_scores: Mapping[str, float | None],
    survey_means: Mapping[str, float | None],
) -> list[RankedBarrier]:
    """The barriers, highest score first (see the module docstring for the formula).

    ``teams``: figures by team id; ``capability_scores``: the organisation's score (1-5) of each
    capability; ``survey_means``: the organisation's shown mean (1-5) of each survey item code.
    """
    order = {code: i for i, (code, _label) in enumerate(CAPABILITIES)}
    found: list[RankedBarrier] = []
    for capability, _label in CAPABILITIES:
        items = SURVEY_ITEMS_OF[capability]
        survey_mean = _mean(m for c in items if (m := survey_means.get(c)) is not None)
        cap_score = capability_scores.get(capability)
        with_data, affected = 0, []
        for team_id, figures in sorted(teams.items()):
            team_cap = figures.capability.get(capability)
            team_survey = _mean(figures.survey[c] for c in items if c in figures.survey)
            if team_cap is None and team_survey is None:
                continue
            with_data += 1
            if (team_cap is not None and team_cap <= TEAM_WEAK_SCORE) or (
                team_survey is not None and team_survey < TEAM_WEAK_SURVEY
            ):
                affected.append(team_id)
        gaps = [(100.0 - h) / 100.0 for t in affected if (h := teams[t].health) is not None]
        components = {
            "gap": round(min(1.0, max(0.0, _mean(gaps) or 0.0)), 4),
            "capability_shortfall": round(shortfall(cap_score), 4),
            "survey_shortfall": round(shortfall(survey_mean), 4),
            "breadth": round(len(affected) / with_data, 4) if with_data else 0.0,
        }
        if max(components["capability_shortfall"], components["survey_shortfall"]) < (
            BARRIER_SHORTFALL
        ):
            continue
        found.append(
            RankedBarrier(
                capability=capability,
                score=round(barrier_score(components), 4),
                components=components,
                team_ids=tuple(affected),
                capability_score=cap_score,
                survey_mean=survey_mean,
            )
        )
    found.sort(key=lambda b: (-b.score, -b.components["capability_shortfall"], order[b.capability]))
    return found
