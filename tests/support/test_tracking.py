"""Before/after of support measures (support.tracking.movement): pure, hand-computed."""

from __future__ import annotations

from support.tracking import figure_of, movement


def test_movement_compares_paired_test_teams_with_the_others():
    before = {1: 50.0, 2: 60.0, 3: 70.0, 4: 80.0}
    after = {1: 70.0, 2: 65.0, 3: 72.0, 5: 90.0}

    m = movement(before=before, after=after, test_ids={1, 2})

    # Teams 4 and 5 have a figure on one side only: left out (paired comparison).
    assert (m.test_before, m.test_after, m.test_n) == (55.0, 67.5, 2)
    assert (m.others_before, m.others_after, m.others_n) == (70.0, 72.0, 1)
    assert (m.test_change, m.others_change, m.difference) == (12.5, 2.0, 10.5)


def test_movement_without_a_group_has_no_change():
    m = movement(before={1: 3.0}, after={1: 4.0}, test_ids={2})
    assert m.test_n == 0
    assert m.test_change is None
    assert m.difference is None
    assert m.others_change == 1.0


def test_figure_of_reads_one_figure_of_a_snapshot():
    teams = {
        "1": {"timeliness": 50.0, "capability": {"tools": 2}, "survey": {"have_resources": 3.2}},
        "2": {"timeliness": None, "capability": {}, "survey": {}},
    }
    assert figure_of(teams, ("timeliness", None)) == {1: 50.0}
    assert figure_of(teams, ("capability", "tools")) == {1: 2.0}
    assert figure_of(teams, ("survey", "have_resources")) == {1: 3.2}
