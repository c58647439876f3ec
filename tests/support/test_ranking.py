"""The ranking of barriers (support.ranking) on a hand-computed fixture: no database."""

from __future__ import annotations

import pytest

from support.ranking import TeamFigures, barrier_score, barriers_rank, shortfall

TEAMS = {
    1: TeamFigures(health=40, capability={"tools": 2}, survey={"have_resources": 3.0}),
    2: TeamFigures(health=80, capability={"tools": 4}, survey={"have_resources": 4.2}),
    3: TeamFigures(health=60, capability={"tools": 2.5}),
    4: TeamFigures(health=None, capability={"structure": 1}),
}
CAPABILITY = {"tools": 2.8, "structure": 4.5, "leadership": None, "talent": None, "agility": 3.0}
SURVEY = {"have_resources": 3.4, "understand_strategy": None}


def test_barriers_are_ranked_by_the_documented_formula():
    ranked = barriers_rank(teams=TEAMS, capability_scores=CAPABILITY, survey_means=SURVEY)

    # structure (4.5: shortfall 0.125) and leadership (no figure) fall short by less than a
    # quarter of the scale: not barriers, although team 4 scored structure 1.
    assert [b.capability for b in ranked] == ["tools", "talent", "agility"]
    tools, talent, agility = ranked
    # tools: teams 1 (score 2) and 3 (2.5) affected out of 3 with a figure;
    # gap = mean(0.6, 0.4); shortfalls (5 - 2.8) / 4 and (5 - 3.4) / 4; breadth 2/3.
    assert tools.team_ids == (1, 3)
    assert tools.components == {
        "gap": 0.5,
        "capability_shortfall": 0.55,
        "survey_shortfall": 0.4,
        "breadth": 0.6667,
    }
    assert tools.score == pytest.approx(
        0.35 * 0.5 + 0.30 * 0.55 + 0.25 * 0.4 + 0.10 * 2 / 3, abs=1e-4
    )
    # talent: not assessed; its survey items (skills_growth, have_resources) 3.4; team 1's
    # have_resources 3.0 < 3.5 makes it affected, team 2's 4.2 not.
    assert talent.team_ids == (1,)
    assert talent.components == {
        "gap": 0.6,
        "capability_shortfall": 0.0,
        "survey_shortfall": 0.4,
        "breadth": 0.5,
    }
    assert talent.score == pytest.approx(0.36)
    # agility: the organisation's 3.0 alone, no team figure.
    assert agility.score == pytest.approx(0.15)
    assert agility.team_ids == ()


def test_ties_go_to_the_larger_capability_shortfall():
    # structure: its survey item at 2.6 (shortfall 0.6): 0.25 * 0.6 = 0.15; agility: assessed
    # 3.0 (shortfall 0.5): 0.30 * 0.5 = 0.15. A tie: agility first (what leaders assessed),
    # although structure comes first in the capabilities' order.
    ranked = barriers_rank(
        teams={},
        capability_scores={"agility": 3.0},
        survey_means={"understand_strategy": 2.6},
    )
    assert [(b.capability, b.score) for b in ranked] == [("agility", 0.15), ("structure", 0.15)]


@pytest.mark.parametrize(
    ("value", "expected"), [(None, 0.0), (5, 0.0), (1, 1.0), (3, 0.5), (6, 0.0), (0, 1.0)]
)
def test_shortfall_is_the_share_of_the_scale_missing(value, expected):
    assert shortfall(value) == expected


def test_the_score_weights_sum_to_one():
    assert barrier_score(
        {"gap": 1, "capability_shortfall": 1, "survey_shortfall": 1, "breadth": 1}
    ) == pytest.approx(1.0)
