"""Survey results as a reader may see them: the one selector other apps call.

Contract (kept stable; ``assessment`` and ``support`` read it)::

    SURVEY_ITEMS  # the standard item codes of the template questions
    item_results(*, access, strategy, item_code, team_ids=None, rounds=None) -> list[ItemResult]

Every figure returned already passes ``surveys.anonymity`` for that reader: the threshold
(``SURVEY_MIN_RESPONDENTS``) and complementary suppression over every team of the round, the
organisation's total included. A suppressed figure has ``suppressed=True``, a ``reason`` and no
numbers (``respondents``, ``distribution`` and ``mean`` are ``None``).
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Hashable, Iterable
from dataclasses import dataclass
from typing import Any, cast

from django.db.models import Count

from strategy.access import Access
from strategy.models import Strategy, Team
from surveys import anonymity
from surveys.catalogue import STANDARD_ITEMS
from surveys.models import Answer, Question, Response, RoundTeam, SurveyRound

SURVEY_ITEMS: tuple[str, ...] = tuple(STANDARD_ITEMS)
ALL = "all"  # the cell of a round's every team together
SCALE = (1, 2, 3, 4, 5)


@dataclass(frozen=True)
class ItemResult:
    """One figure of one scale item: a round and a team (``team_id`` None: the teams asked
    for, combined). ``respondents`` is the number of people it rests on; ``distribution`` maps
    each scale value 1-5 to its count; ``mean`` is rounded to 2 decimals. All three are None
    when ``suppressed``; ``reason`` then says why (empty otherwise)."""

    round_id: int
    round_label: str
    closes_on: dt.date
    team_id: int | None
    respondents: int | None
    distribution: dict[int, int] | None
    mean: float | None
    suppressed: bool
    reason: str


@dataclass
class RoundCells:
    """The figures of one round for one reader: counts per cell, the cells not shown (with
    why) and, per cell, the distribution of the item asked for."""

    round: SurveyRound
    team_ids: list[int]
    parent: dict[int, int | None]  # team -> nearest ancestor among the round's teams
    counts: dict[Hashable, int]
    suppressed: dict[Hashable, str]
    invited: dict[Hashable, int]

    def shown(self, cell: Hashable) -> bool:
        """True if the cell has answers and is not suppressed for anonymity."""
        return cell in self.counts and cell not in self.suppressed

    def top_level(self, team_ids: Iterable[int]) -> list[int]:
        """The given teams of this round without those below another given one."""
        chosen = {t for t in team_ids if t in self.parent}
        top = []
        for t in chosen:
            p = self.parent[t]
            while p is not None and p not in chosen:
                p = self.parent[p]
            if p is None:
                top.append(t)
        return sorted(top)


def _reason(code: str, k: int) -> str:
    if code == "below":
        return anonymity.REASON_BELOW.format(k=k)
    if code == "forced":
        return anonymity.REASON_HIDDEN
    return anonymity.REASON_COMPLEMENT.format(k=k)


def rounds_cells(*, access: Access, rounds: list[SurveyRound]) -> dict[int, RoundCells]:
    """Per round id, its cells as ``access`` may see them. Cells: each team of the round (its
    answers and those of the round's teams below it) and ``ALL``. Three queries whatever the
    number of rounds and teams."""
    if not rounds:
        return {}
    k = anonymity.min_respondents()
    round_ids = [r.id for r in rounds]
    members: dict[int, dict[int, int]] = defaultdict(dict)
    for round_id, team_id, n_invited in RoundTeam.objects.filter(
        round_id__in=round_ids
    ).values_list("round_id", "team_id", "invited"):
        members[round_id][team_id] = n_invited
    direct: dict[tuple[int, int], int] = {
        (row["round_id"], row["team_id"]): row["n"]
        for row in Response.objects.filter(round_id__in=round_ids)
        .values("round_id", "team_id")
        .annotate(n=Count("id"))
    }
    team_parent = dict(Team.objects.values_list("id", "parent_id"))
    result = {}
    for round_ in rounds:
        in_round = members[round_.id]
        parent: dict[int, int | None] = {}
        for team_id in in_round:
            p = team_parent.get(team_id)
            while p is not None and p not in in_round:
                p = team_parent.get(p)
            parent[team_id] = p
        children: dict[Hashable, list[int]] = defaultdict(list)
        for team_id, p in parent.items():
            children[ALL if p is None else p].append(team_id)
        counts: dict[Hashable, int] = {}
        invited: dict[Hashable, int] = {}
        _subtree_counts(
            cell=ALL,
            own={t: direct.get((round_.id, t), 0) for t in in_round},
            members=in_round,
            children=children,
            counts=counts,
            invited=invited,
        )
        relations = [
            anonymity.Relation(whole=whole, parts=tuple(sorted(parts, key=repr)))
            for whole, parts in children.items()
        ]
        # The view of someone who sees every team; a reader's view only ever hides more, so
        # several readers' views together show nothing the full view does not.
        full = anonymity.cells_suppressed(counts=counts, relations=relations, threshold=k)
        hidden = [t for t in in_round if not access.can_view_team(t)]
        suppressed = full
        if hidden:
            suppressed = anonymity.cells_suppressed(
                counts=counts, relations=relations, threshold=k, forced=[*full, *hidden]
            )
            suppressed.update(full)
            suppressed.update(dict.fromkeys(hidden, "forced"))
        result[round_.id] = RoundCells(
            round=round_,
            team_ids=sorted(in_round),
            parent=parent,
            counts=counts,
            suppressed=suppressed,
            invited=invited,
        )
    return result


def item_rounds(*, strategy: Strategy, item_code: str, rounds: int | None = None):
    """The rounds (newest first) of the strategy's surveys that ask ``item_code``, once opened."""
    qs = (
        SurveyRound.objects.filter(
            survey__strategy=strategy,
            survey__questions__code=item_code,
            survey__questions__kind=Question.Kind.SCALE,
        )
        .select_related("survey")
        .distinct()
        .order_by("-closes_on", "-id")
    )
    return list(qs[:rounds] if rounds is not None else qs)


def item_results(
    *,
    access: Access,
    strategy: Strategy,
    item_code: str,
    team_ids: Iterable[int] | None = None,
    rounds: int | None = None,
) -> list[ItemResult]:
    """The results of the scale item ``item_code`` (one of ``SURVEY_ITEMS`` or any scale
    question's code) in the strategy's survey rounds, newest round first, at most ``rounds``
    rounds (None: all).

    Per round: one ``ItemResult`` per team of ``team_ids`` that the round was sent to (its
    figure covers its own answers and those of the round's teams below it), then one with
    ``team_id=None`` for those teams combined. ``team_ids=None``: the round's teams the reader
    may see (and their combination, the whole round when the reader sees every team).

    The combined figure is the round's total when the teams cover the whole round; one team's
    figure when they reduce to one team; otherwise it is shown only if every team in it is
    shown (so it tells nothing the team figures do not). Five queries."""
    chosen = None if team_ids is None else list(dict.fromkeys(int(t) for t in team_ids))
    round_list = item_rounds(strategy=strategy, item_code=item_code, rounds=rounds)
    cells_by_round = rounds_cells(access=access, rounds=round_list)
    distributions = _distributions(round_ids=[r.id for r in round_list], codes=[item_code])
    out: list[ItemResult] = []
    for round_ in round_list:
        out.extend(
            _round_figures(
                access=access,
                cells=cells_by_round[round_.id],
                distributions=distributions[item_code],
                chosen=chosen,
            )
        )
    return out


def round_results(
    *, access: Access, round_: SurveyRound, team_ids: Iterable[int] | None = None
) -> tuple[RoundCells, dict[str, list[ItemResult]]]:
    """Every scale question of one round as ``item_results`` gives it (same rules, same
    rows per question: the teams, then combined), with the round's cells. Five queries."""
    chosen = None if team_ids is None else list(dict.fromkeys(int(t) for t in team_ids))
    cells = rounds_cells(access=access, rounds=[round_])[round_.id]
    codes = [q.code for q in round_.survey.questions.all() if q.kind == Question.Kind.SCALE]
    distributions = _distributions(round_ids=[round_.id], codes=codes)
    return cells, {
        code: _round_figures(
            access=access, cells=cells, distributions=distributions[code], chosen=chosen
        )
        for code in codes
    }


def round_texts(
    *, access: Access, cells: RoundCells, team_ids: Iterable[int] | None = None
) -> tuple[bool, list[str]]:
    """The free-text answers of a round for the reader's combined figure (the round's teams
    they may see, or ``team_ids``): ``(shown, texts)``. Shown only when that figure passes the
    threshold and complementary suppression; in an order that is not the answering order
    (sorted by the answers' random keys, which every write draws afresh). One query."""
    visible = [t for t in cells.team_ids if access.can_view_team(t)]
    wanted = visible if team_ids is None else [t for t in team_ids if t in visible]
    top = cells.top_level(wanted)
    if not top:
        return False, []
    if set(top) == set(cells.top_level(cells.team_ids)):
        shown, teams = cells.shown(ALL), set(cells.team_ids)
    else:
        shown, teams = all(cells.shown(t) for t in top), _subtree_teams(cells, list(top))
    if not shown:
        return False, []
    texts = (
        Answer.objects.filter(
            response__round_id=cells.round.id,
            response__team_id__in=sorted(teams),
            value__isnull=True,
        )
        .exclude(text="")
        .order_by("id")
        .values_list("text", flat=True)
    )
    return True, list(texts)


def _distributions(
    *, round_ids: list[int], codes: list[str]
) -> dict[str, dict[tuple[int, int], dict[int, int]]]:
    """Per question code, per (round, team): the count of each scale value. One query."""
    out: dict[str, dict[tuple[int, int], dict[int, int]]] = {code: {} for code in codes}
    rows = (
        Answer.objects.filter(
            response__round_id__in=round_ids, question__code__in=codes, value__isnull=False
        )
        .values("question__code", "response__round_id", "response__team_id", "value")
        .annotate(n=Count("id"))
    )
    for row in rows:
        key = (row["response__round_id"], row["response__team_id"])
        cell = out[row["question__code"]].setdefault(key, dict.fromkeys(SCALE, 0))
        cell[cast(int, row["value"])] = row["n"]  # value__isnull=False: never None
    return out


def _round_figures(
    *,
    access: Access,
    cells: RoundCells,
    distributions: dict[tuple[int, int], dict[int, int]],
    chosen: list[int] | None,
) -> list[ItemResult]:
    """One round's rows: each chosen team the reader may see, then the combined figure."""
    k = anonymity.min_respondents()
    wanted = [
        t
        for t in (cells.team_ids if chosen is None else chosen)
        if t in cells.parent and access.can_view_team(t)
    ]
    out = [_figure(cells, distributions, team_id) for team_id in wanted]
    top = cells.top_level(wanted)
    if not top:
        return out
    if set(top) == set(cells.top_level(cells.team_ids)):
        combined = _figure(cells, distributions, ALL)
    elif len(top) == 1:
        only = top[0]
        why = "" if cells.shown(only) else _reason(cells.suppressed.get(only, "below"), k)
        combined = _figure(cells, distributions, only, parts=top, reason=why)
    elif all(cells.shown(t) for t in top):
        combined = _figure(cells, distributions, None, parts=top)
    else:
        combined = _figure(cells, distributions, None, parts=top, reason=_reason("complement", k))
    out.append(combined)
    return out


def _subtree_teams(cells: RoundCells, cell) -> set[int]:
    """The round's teams whose answers a cell (a team, ``ALL`` or a list of teams) covers."""
    if cell == ALL:
        return set(cells.team_ids)
    roots = set(cell) if isinstance(cell, list) else {cell}
    found = set()
    for t in cells.team_ids:
        p: int | None = t
        while p is not None and p not in roots:
            p = cells.parent[p]
        if p is not None:
            found.add(t)
    return found


def _subtree_counts(
    *,
    cell: Hashable,
    own: dict[int, int],
    members: dict[int, int],
    children: dict[Hashable, list[int]],
    counts: dict[Hashable, int],
    invited: dict[Hashable, int],
) -> tuple[int, int]:
    """Fill ``counts`` (respondents) and ``invited`` of ``cell`` and every cell below it."""
    # A cell other than ALL is a team id.
    n = 0 if cell == ALL else own[cast(int, cell)]
    m = 0 if cell == ALL else members[cast(int, cell)]
    for child in children.get(cell, ()):
        cn, cm = _subtree_counts(
            cell=child,
            own=own,
            members=members,
            children=children,
            counts=counts,
            invited=invited,
        )
        n, m = n + cn, m + cm
    counts[cell], invited[cell] = n, m
    return n, m


def _figure(
    cells: RoundCells,
    distributions: dict[tuple[int, int], dict[int, int]],
    cell: Hashable,
    parts: list[int] | None = None,
    reason: str = "",
) -> ItemResult:
    """The ``ItemResult`` of one cell (or, with ``parts``, of those teams combined; the caller
    has judged that combination and passes a ``reason`` when it is not to be shown)."""
    round_ = cells.round
    base: dict[str, Any] = {
        "round_id": round_.id,
        "round_label": round_.label,
        "closes_on": round_.closes_on,
        "team_id": None if cell == ALL or parts is not None else cell,
    }
    if reason or (parts is None and not cells.shown(cell)):
        why = reason or _reason(cells.suppressed.get(cell, "below"), anonymity.min_respondents())
        return ItemResult(
            **base, respondents=None, distribution=None, mean=None, suppressed=True, reason=why
        )
    dist = dict.fromkeys(SCALE, 0)
    for t in _subtree_teams(cells, parts if parts is not None else cell):
        for value, n in distributions.get((round_.id, t), {}).items():
            dist[value] += n
    total = sum(dist.values())
    mean = round(sum(v * n for v, n in dist.items()) / total, 2) if total else None
    respondents = sum(cells.counts[p] for p in parts) if parts is not None else cells.counts[cell]
    return ItemResult(
        **base, respondents=respondents, distribution=dist, mean=mean, suppressed=False, reason=""
    )
