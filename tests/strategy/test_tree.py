from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError
from django.db.models import ProtectedError

from strategy.selectors import (
    children_of,
    objective_ancestor_ids,
    objective_subtree,
    objective_tree,
    team_ancestor_ids,
    team_subtree_ids,
)
from tests.factories import ObjectiveFactory, TeamFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def chain(company):
    """company objective > division objective > team objective > sub-objective, plus a sibling."""
    top = ObjectiveFactory(title="Grow revenue 20 %")
    middle = ObjectiveFactory(title="Win the mid-market", parent=top, theme=top.theme)
    low = ObjectiveFactory(title="Launch partner channel", parent=middle, theme=top.theme)
    leaf = ObjectiveFactory(title="Sign 10 partners", parent=low, theme=top.theme)
    sibling = ObjectiveFactory(title="Expand to Spain", parent=top, theme=top.theme)
    return top, middle, low, leaf, sibling


def test_moving_an_objective_under_its_descendant_is_a_clear_validation_error(chain):
    middle, leaf = chain[1], chain[3]
    middle.parent = leaf

    with pytest.raises(ValidationError) as excinfo:
        middle.full_clean()

    assert "cycle" in excinfo.value.message_dict["parent"][0]
    assert "Sign 10 partners" in excinfo.value.message_dict["parent"][0]


def test_an_objective_cannot_be_its_own_parent(chain):
    top = chain[0]
    top.parent = top

    with pytest.raises(ValidationError) as excinfo:
        top.full_clean()

    assert "parent" in excinfo.value.message_dict


def test_parent_must_belong_to_the_same_strategy(chain):
    stranger = ObjectiveFactory()  # a new strategy via its own theme

    chain[1].parent = stranger
    with pytest.raises(ValidationError) as excinfo:
        chain[1].full_clean()

    assert "another strategy" in excinfo.value.message_dict["parent"][0]


def test_a_valid_move_passes_validation(chain):
    leaf, sibling = chain[3], chain[4]
    leaf.parent = sibling

    leaf.full_clean()


def test_ancestors_and_subtree_each_load_in_one_query(chain, django_assert_num_queries):
    top, middle, low, leaf, sibling = chain

    with django_assert_num_queries(1):
        assert objective_ancestor_ids(objective_id=leaf.pk) == {low.pk, middle.pk, top.pk}
    with django_assert_num_queries(1):
        assert set(objective_subtree(objective=middle)) == {middle, low, leaf}
    with django_assert_num_queries(1):
        tree = objective_tree(strategy_id=top.strategy_id)
    index = children_of(tree)
    assert [o.pk for o in index[None]] == [top.pk]
    assert {o.pk for o in index[top.pk]} == {middle.pk, sibling.pk}


def test_a_cycle_written_behind_validations_back_does_not_hang_the_walk(chain):
    from strategy.models import Objective

    top, middle, low, leaf, _ = chain
    # Two-row cycle written directly (the check constraint only forbids self-parenting).
    Objective.objects.filter(pk=top.pk).update(parent=leaf)

    assert objective_ancestor_ids(objective_id=leaf.pk) == {low.pk, middle.pk, top.pk}


def test_team_tree_walks_and_rejects_cycles(company, division, team):
    assert team_ancestor_ids(team_id=team.pk) == {division.pk, company.pk}
    assert team_subtree_ids(team_ids=[division.pk]) == {division.pk, team.pk}

    division.parent = team
    with pytest.raises(ValidationError) as excinfo:
        division.full_clean()
    assert "cycle" in excinfo.value.message_dict["parent"][0]


def test_deleting_an_objective_with_children_is_refused(chain):
    with pytest.raises(ProtectedError):
        chain[0].delete()


def test_deleting_a_team_that_owns_objectives_is_refused(chain):
    with pytest.raises(ProtectedError):
        chain[0].team.delete()


def test_new_team_needs_a_parent_unless_it_is_the_company(company):
    orphan = TeamFactory.build(name="Orphan", slug="orphan", parent=None)

    with pytest.raises(ValidationError) as excinfo:
        orphan.full_clean()

    assert "A company has no parent" in str(excinfo.value)
