"""``TeamTree``: the access of many people from one walk of the team tree (issue #19: the
engine read the access of a thousand people by walking the whole tree for each) gives what
walking the tree from the roots for each person gave, on any tree."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from strategy.access import ROLE_RANK, TeamTree


def _walk(user_id, direct, teams):
    """The walk ``TeamTree`` replaced, for each person: depth first from the roots, each team
    with the role and privacy it inherits."""
    children: dict = {}
    private = set()
    for team_id, _name, parent_id, is_private in teams:
        children.setdefault(parent_id, []).append(team_id)
        if is_private:
            private.add(team_id)
    roles, visible, seen = {}, set(), set()
    todo = [(root, None, False) for root in children.get(None, [])]
    while todo:
        team_id, role, hidden = todo.pop()
        if team_id in seen:
            continue
        seen.add(team_id)
        own = direct.get(team_id)
        if own and (role is None or ROLE_RANK[own] > ROLE_RANK[role]):
            role = own
        hidden = hidden or team_id in private
        if role:
            roles[team_id] = role
        if role or not hidden:
            visible.add(team_id)
        todo.extend((child, role, hidden) for child in children.get(team_id, ()))
    return (
        roles,
        frozenset(visible),
        frozenset(row[0] for row in teams if row[0] not in visible),
        [row[:3] for row in teams if row[0] in visible],
    )


@st.composite
def organisations(draw):
    size = draw(st.integers(min_value=1, max_value=25))
    teams = []
    for team_id in range(1, size + 1):
        # A parent among the earlier teams (a tree), now and then a later one (a cycle that
        # slipped past validation) or none (a root).
        parent = draw(st.one_of(st.none(), st.integers(min_value=1, max_value=size)))
        teams.append((team_id, f"T{draw(st.integers(0, 9))}", parent, draw(st.booleans())))
    teams.sort(key=lambda row: (row[1], row[0]))
    direct = draw(
        st.dictionaries(
            st.integers(min_value=1, max_value=size), st.sampled_from(sorted(ROLE_RANK))
        )
    )
    return teams, direct


@settings(max_examples=400, deadline=None)
@given(organisations())
def test_team_tree_gives_the_access_of_the_walk_from_the_roots(organisation):
    teams, direct = organisation
    access = TeamTree(teams).access(7, direct)
    if not direct:
        assert access.roles == {}
        return
    roles, visible, hidden, rows = _walk(7, direct, teams)
    assert access.roles == roles
    assert access.visible_team_ids == visible
    assert access.hidden_team_ids == hidden
    assert access.visible_teams() == rows


def test_one_tree_serves_many_people_without_sharing_their_lists():
    teams = [(1, "A", None, False), (2, "B", 1, True), (3, "C", 1, False)]
    tree = TeamTree(teams)
    first, second = tree.access(1, {3: "member"}), tree.access(2, {3: "member"})
    first.visible_teams().append((9, "X", None))
    assert second.visible_teams() == [(1, "A", None), (3, "C", 1)]
    assert tree.access(3, {2: "leader"}).visible_team_ids == {1, 2, 3}
