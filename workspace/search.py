"""Search across the plan and its people (selector), as the reader may see them.

Objectives and initiatives match on their title and description, KPIs on their name, key and
description, people on their first name, last name and username. Every word must match (a
word matches the start of a word on PostgreSQL, anywhere on SQLite).

* PostgreSQL: full-text search (``django.contrib.postgres.search``), the ``english``
  configuration, each word a prefix (``launch nord`` finds "Launch in the Nordics"), titles
  weighted above descriptions; results by rank.
* Other databases (SQLite in development): every word ``icontains`` in one of the fields;
  results by title.

People are matched by ``icontains`` on both (names are not prose) and come from
``people_choosable``, the one rule of whom a reader may see.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from django.db import connection
from django.db.models import Q, QuerySet

from initiatives.models import Initiative
from metrics.models import KPI, SubjectType
from metrics.selectors import latest_scores_by_type
from strategy.models import Objective
from strategy.people import people_choosable

if TYPE_CHECKING:
    from django.contrib.auth.models import User
    from django.db.models.expressions import CombinedExpression

    from strategy.access import Access

SEARCH_LIMIT = 20  # results shown of each kind
MAX_WORDS = 8
_WORD = re.compile(r"\w+", re.UNICODE)


@dataclass
class SearchResults:
    """What matched, each kind capped at ``SEARCH_LIMIT`` (``more_*``: there are others)."""

    words: list[str]
    objectives: list[Objective] = field(default_factory=list)
    initiatives: list[Initiative] = field(default_factory=list)
    kpis: list[KPI] = field(default_factory=list)
    people: list[User] = field(default_factory=list)
    more: dict[str, bool] = field(default_factory=dict)

    @property
    def total(self) -> int:
        """How many results are shown, all kinds together (capped ones count their shown rows
        only)."""
        return len(self.objectives) + len(self.initiatives) + len(self.kpis) + len(self.people)


def search_words(query: str) -> list[str]:
    """The words of a query: letters and digits, at most ``MAX_WORDS``, lower case."""
    return [word.lower() for word in _WORD.findall(query)][:MAX_WORDS]


def _uses_full_text() -> bool:
    return connection.vendor == "postgresql"


def _matching(qs: QuerySet, *, words: list[str], title: str, others: tuple[str, ...]) -> QuerySet:
    """Rows of ``qs`` matching every word, best first."""
    if _uses_full_text():
        from django.contrib.postgres.search import SearchQuery, SearchRank, SearchVector

        vector: SearchVector | CombinedExpression = SearchVector(
            title, weight="A", config="english"
        )
        for name in others:
            vector += SearchVector(name, weight="B", config="english")
        # Words are \w+ only, so nothing of tsquery's syntax reaches it but the prefix marks.
        query = SearchQuery(
            " & ".join(f"{word}:*" for word in words), search_type="raw", config="english"
        )
        return (
            qs.annotate(search=vector, rank=SearchRank(vector, query))
            .filter(search=query)
            .order_by("-rank", title, "pk")
        )
    condition = Q()
    for word in words:
        one = Q(**{f"{title}__icontains": word})
        for name in others:
            one |= Q(**{f"{name}__icontains": word})
        condition &= one
    return qs.filter(condition).order_by(title, "pk")


def _capped(qs: QuerySet) -> tuple[list, bool]:
    rows = list(qs[: SEARCH_LIMIT + 1])
    return rows[:SEARCH_LIMIT], len(rows) > SEARCH_LIMIT


def search_everything(*, access: Access, query: str) -> SearchResults:
    """Objectives, initiatives, KPIs and people matching every word of ``query`` that the
    reader may see (``access.scope``; people: ``people_choosable``), each with its latest
    score (``latest_score``). Five queries whatever the size of the plan (four kinds, one for
    the scores); none for a query without words."""
    words = search_words(query)
    results = SearchResults(words=words)
    if not words:
        return results
    results.objectives, results.more["objectives"] = _capped(
        _matching(
            access.scope(Objective.objects.select_related("team", "theme", "owner")),
            words=words,
            title="title",
            others=("description",),
        )
    )
    results.initiatives, results.more["initiatives"] = _capped(
        _matching(
            access.scope(Initiative.objects.select_related("team", "owner")),
            words=words,
            title="title",
            others=("description",),
        )
    )
    results.kpis, results.more["kpis"] = _capped(
        _matching(
            access.scope(KPI.objects.select_related("team", "owner")),
            words=words,
            title="name",
            others=("key", "description"),
        )
    )
    condition = Q()
    for word in words:
        condition &= (
            Q(first_name__icontains=word)
            | Q(last_name__icontains=word)
            | Q(username__icontains=word)
        )
    results.people, results.more["people"] = _capped(
        people_choosable(access=access).filter(condition)
    )
    scores = latest_scores_by_type(
        objective=[o.pk for o in results.objectives],
        initiative=[i.pk for i in results.initiatives],
        kpi=[k.pk for k in results.kpis],
    )
    for rows, kind in (
        (results.objectives, SubjectType.OBJECTIVE),
        (results.initiatives, SubjectType.INITIATIVE),
        (results.kpis, SubjectType.KPI),
    ):
        for row in rows:
            row.latest_score = scores[kind].get(row.pk)
    return results
