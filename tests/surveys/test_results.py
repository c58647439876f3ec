"""``surveys.results.item_results``: the threshold and complementary suppression as readers
see them."""

from __future__ import annotations

import pytest

from strategy.access import access_for
from surveys.results import SURVEY_ITEMS, item_results
from tests.factories import TeamFactory

from .conftest import answer, people, send

pytestmark = pytest.mark.django_db


def _by_team(results):
    return {r.team_id: r for r in results}


def test_standard_items_are_offered():
    assert {
        "understand_strategy",
        "know_priorities",
        "have_resources",
        "problems_fixed",
        "leader_vision_trust",
    } <= set(SURVEY_ITEMS)


def test_a_four_person_team_gives_nothing(survey, admin, team, other_team, strategy):
    round_ = send(survey, admin, [team, other_team])
    answer(round_, people(team, 4), value=2)
    answer(round_, people(other_team, 5), values=[5, 4, 4, 3, 5])
    results = item_results(access=access_for(admin), strategy=strategy, item_code="know_priorities")
    rows = _by_team(results)
    sales = rows[team.id]
    assert sales.suppressed
    assert sales.respondents is None
    assert sales.distribution is None
    assert sales.mean is None
    assert "Fewer than 5" in sales.reason
    eng = rows[other_team.id]
    # Sales' 4 answers are still in the pool (never written below the threshold), so the
    # whole round rests on Engineering's 5 only, and shows exactly that.
    assert not eng.suppressed
    assert eng.respondents == 5
    assert eng.distribution == {1: 0, 2: 0, 3: 1, 4: 2, 5: 2}
    assert eng.mean == 4.2
    combined = rows[None]
    assert combined.respondents == 5
    assert combined.distribution == eng.distribution


def test_a_figure_only_ever_changes_by_a_batch_of_the_threshold(survey, admin, team, strategy):
    """Two readings of the same figure, before and after one more answer, never isolate it:
    answers are written in batches of at least the threshold."""
    round_ = send(survey, admin, [team])
    seen = []
    for i, user in enumerate(people(team, 12)):
        answer(round_, [user], value=1 + i % 5)
        (row,) = item_results(
            access=access_for(admin),
            strategy=strategy,
            item_code="know_priorities",
            team_ids=[team.id],
        )[:1]
        seen.append(row.respondents)
    assert seen == [None] * 4 + [5] * 5 + [10] * 3


def test_parent_minus_child_below_threshold_suppresses_the_child(
    survey, admin, team, division, strategy, settings
):
    settings.SURVEY_MIN_RESPONDENTS = 3
    round_ = send(survey, admin, [division, team])
    answer(round_, people(team, 6))
    answer(round_, people(division, 3, prefix="d"), value=1)
    answer(round_, people(division, 2, prefix="e"), value=1)  # pending: not written
    rows = _by_team(
        item_results(access=access_for(admin), strategy=strategy, item_code="have_resources")
    )
    # Commercial 9 = Sales 6 + 3 direct: remainder 3 passes.
    assert not rows[division.id].suppressed
    assert not rows[team.id].suppressed

    settings.SURVEY_MIN_RESPONDENTS = 4  # now the 3 direct answers are too few to isolate
    rows = _by_team(
        item_results(access=access_for(admin), strategy=strategy, item_code="have_resources")
    )
    assert rows[division.id].respondents == 9
    assert rows[team.id].suppressed
    assert "together with the figures" in rows[team.id].reason
    assert rows[None].respondents == 9  # the round's total is Commercial's: nothing more


def test_combining_teams_cannot_difference_a_suppressed_one(
    survey, admin, team, other_team, strategy, company
):
    third = TeamFactory(name="Support", slug="support", parent=company)
    round_ = send(survey, admin, [team, other_team, third])
    answer(round_, people(team, 5))
    answer(round_, people(other_team, 5))
    answer(round_, people(third, 4))  # pending, not written
    access = access_for(admin)
    both = item_results(
        access=access,
        strategy=strategy,
        item_code="problems_fixed",
        team_ids=[team.id, other_team.id],
    )
    assert _by_team(both)[None].respondents == 10
    with_third = item_results(
        access=access,
        strategy=strategy,
        item_code="problems_fixed",
        team_ids=[team.id, other_team.id, third.id],
    )
    rows = _by_team(with_third)
    assert rows[third.id].suppressed
    # the whole round: 10 stored answers, the same as the two shown teams: nothing new
    assert rows[None].respondents == 10


def test_a_hidden_team_is_never_isolated_by_the_total(
    survey, admin, team, other_team, member, strategy, settings
):
    settings.SURVEY_MIN_RESPONDENTS = 3
    other_team.is_private = True
    other_team.save()
    round_ = send(survey, admin, [team, other_team])
    answer(round_, people(team, 6))
    answer(round_, people(other_team, 3))
    office = _by_team(
        item_results(access=access_for(admin), strategy=strategy, item_code="know_priorities")
    )
    assert office[other_team.id].respondents == 3
    assert office[None].respondents == 9
    seen = item_results(access=access_for(member), strategy=strategy, item_code="know_priorities")
    assert other_team.id not in _by_team(seen)
    assert _by_team(seen)[team.id].respondents == 6
    assert _by_team(seen)[None].respondents == 6  # the member's teams combined, not the total


def test_rounds_newest_first_and_limited(survey, admin, team, strategy):
    import datetime as dt

    from .conftest import TODAY

    first = send(survey, admin, [team], label="May", closes=TODAY + dt.timedelta(days=1))
    second = send(survey, admin, [team], label="June", closes=TODAY + dt.timedelta(days=5))
    answer(first, people(team, 5), value=2)
    answer(second, people(team, 5, prefix="x"), value=4)
    results = item_results(
        access=access_for(admin), strategy=strategy, item_code="know_priorities", team_ids=[team.id]
    )
    assert [(r.round_label, r.team_id, r.mean) for r in results] == [
        ("June", team.id, 4.0),
        ("June", None, 4.0),
        ("May", team.id, 2.0),
        ("May", None, 2.0),
    ]
    assert (
        len(
            item_results(
                access=access_for(admin), strategy=strategy, item_code="know_priorities", rounds=1
            )
        )
        == 2
    )


def test_item_results_query_count_is_constant(
    survey, admin, team, other_team, strategy, django_assert_num_queries
):
    access = access_for(admin)
    round_ = send(survey, admin, [team, other_team])
    answer(round_, people(team, 5))
    with django_assert_num_queries(5):  # rounds, round teams, counts, team tree, distributions
        item_results(access=access, strategy=strategy, item_code="know_priorities")
    for i in range(3):
        more = send(survey, admin, [team, other_team], label=f"R{i}")
        answer(more, people(other_team, 5, prefix=f"r{i}"))
    with django_assert_num_queries(5):
        item_results(access=access, strategy=strategy, item_code="know_priorities")
