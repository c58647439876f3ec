"""The complementary-suppression rule, exactly (``surveys.anonymity.cells_suppressed``)."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from surveys.anonymity import Relation, cells_suppressed

K = 5


def test_below_threshold_is_suppressed_and_nothing_else():
    out = cells_suppressed(counts={"a": 4, "b": 5}, relations=[], threshold=K)
    assert out == {"a": "below"}


def test_parent_minus_its_only_shown_child_is_refused():
    # Parent 8 = child 6 + 2 direct answers: showing both gives away the 2.
    counts = {"parent": 8, "child": 6}
    out = cells_suppressed(counts=counts, relations=[Relation("parent", ("child",))], threshold=K)
    assert out == {"child": "complement"}


def test_organisation_minus_shown_teams_is_refused():
    # org 16 = A 6 + B 6 + C 4: C is suppressed, but org - A - B = C would give it back.
    counts = {"org": 16, "A": 6, "B": 6, "C": 4}
    out = cells_suppressed(counts=counts, relations=[Relation("org", ("A", "B", "C"))], threshold=K)
    assert out["C"] == "below"
    assert out["A"] == "complement"  # the smaller shown part (tie broken by key)
    assert "org" not in out
    assert "B" not in out


def test_remainder_through_a_suppressed_part_is_refused():
    # org = A + B; A = A1 + 2 direct; A is hidden from this reader, A1 and B shown:
    # org - B - A1 = 2 direct answers of A.
    counts = {"org": 20, "A": 8, "A1": 6, "B": 12}
    relations = [Relation("org", ("A", "B")), Relation("A", ("A1",))]
    out = cells_suppressed(counts=counts, relations=relations, threshold=K, forced=["A"])
    assert out["A"] == "forced"
    assert out["A1"] == "complement"


def test_zero_remainder_reveals_nothing():
    counts = {"org": 12, "A": 6, "B": 6}
    assert (
        cells_suppressed(counts=counts, relations=[Relation("org", ("A", "B"))], threshold=K) == {}
    )


def test_whole_is_suppressed_when_no_part_is_shown():
    counts = {"org": 7, "A": 3, "B": 4}
    out = cells_suppressed(counts=counts, relations=[Relation("org", ("A", "B"))], threshold=K)
    assert out == {"A": "below", "B": "below"}  # org 7 rests on 7: shown


@st.composite
def trees(draw):
    """A random tree of cells with respondent counts consistent with it (a whole's count is its
    parts' counts plus its own remainder), some cells forced hidden."""
    size = draw(st.integers(min_value=1, max_value=12))
    parent = {0: None}
    for node in range(1, size):
        parent[node] = draw(st.integers(min_value=0, max_value=node - 1))
    own = {node: draw(st.integers(min_value=0, max_value=12)) for node in parent}
    counts = {}
    for node in sorted(parent, reverse=True):
        counts[node] = own[node] + sum(counts[c] for c, p in parent.items() if p == node)
    relations = [
        Relation(node, tuple(c for c, p in parent.items() if p == node))
        for node in parent
        if any(p == node for p in parent.values())
    ]
    forced = draw(st.sets(st.sampled_from(sorted(parent))))
    threshold = draw(st.integers(min_value=3, max_value=7))
    return parent, counts, relations, forced, threshold


def _descendants(parent, node):
    return [c for c, p in parent.items() if p == node]


@settings(max_examples=400, deadline=None)
@given(trees())
def test_every_shown_figure_and_every_derivable_complement_rests_on_enough(data):
    parent, counts, relations, forced, k = data
    suppressed = cells_suppressed(counts=counts, relations=relations, threshold=k, forced=forced)
    shown = {node for node in parent if node not in suppressed}
    assert all(counts[node] >= k for node in shown)
    assert forced <= set(suppressed)

    # Every way to subtract shown cells (disjoint, below a shown whole) from that whole:
    # enumerate antichains of shown descendants by brute force on small trees.
    def antichains(node):
        options = [[]]
        for child in _descendants(parent, node):
            child_options = antichains(child)
            if child in shown:
                child_options = [*child_options, [child]]
            options = [a + b for a in options for b in child_options]
        return options

    for whole in shown:
        for subtracted in antichains(whole):
            remainder = counts[whole] - sum(counts[c] for c in subtracted)
            assert remainder == 0 or remainder >= k, (whole, subtracted, remainder)


@pytest.mark.parametrize(
    ("value", "ok"), [(5, True), (3, True), (2, False), (0, False), ("x", False)]
)
def test_start_up_refuses_a_threshold_below_three(settings, value, ok):
    from surveys.anonymity import check_min_respondents

    settings.SURVEY_MIN_RESPONDENTS = value
    errors = check_min_respondents()
    assert (errors == []) is ok
    if not ok:
        assert errors[0].id == "surveys.E001"
