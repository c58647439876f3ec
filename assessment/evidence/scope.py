"""What the evidence figures share: their shapes (``EvidenceFigure``, ``EvidenceRow``, ``Figure``),
the scope they are computed over (``evidence_scope``: a team and those below it, as the reader
may see them, on a date) and the base row sets of that scope."""

from __future__ import annotations

import datetime as dt
import statistics
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from urllib.parse import urlencode

from django.db.models import Q, QuerySet
from django.utils import timezone

from initiatives.models import Initiative
from metrics.models import KPI
from strategy.access import Access
from strategy.models import Objective, Strategy, Team

NOT_TRACKED = "not tracked yet"
FLAGGED_QUALITY = ("fair", "poor")
REPLAN_FIELDS = ("due_date", "budget_planned", "effort_planned_fte", "owner_id", "team_id")


@dataclass(frozen=True)
class EvidenceFigure:
    """One computed figure beside a capability's manual score.

    ``value``: the number in ``unit`` ("%", "days", "hours", "of 5"), None when there is
    nothing to measure; ``tracked`` False (with ``value`` None) when the data behind it does not
    exist yet ("not tracked yet"); ``detail``: the counts it rests on, in words; ``rows_url``:
    the page listing the rows it was computed from (None when there are none)."""

    code: str
    label: str
    value: float | None
    unit: str
    tracked: bool
    detail: str
    rows_url: str | None

    @property
    def display(self) -> str:
        """The value as shown: the "not tracked" text, "—" without a value, else rounded with its
        unit."""
        if not self.tracked:
            return NOT_TRACKED
        if self.value is None:
            return "—"
        if self.unit == "%":
            return f"{self.value:.0f} %"
        return f"{self.value:.1f} {self.unit}"


@dataclass(frozen=True)
class EvidenceRow:
    """One row behind a figure: the object (``kind``, ``pk``, ``name``, ``url``), whether it
    counted in the figure's numerator (None: it has a measured value instead) and its value in
    words."""

    kind: str
    pk: int
    name: str
    url: str | None
    counted: bool | None
    value: str


@dataclass
class EvidenceScope:
    """What the figures are computed over; built by ``evidence_scope``."""

    access: Access
    strategy: Strategy
    team: Team | None
    as_of: dt.date
    end: dt.datetime  # the end of ``as_of``, local time (exclusive)
    team_ids: frozenset[int] | None  # None: every team
    _cache: dict = field(default_factory=dict, repr=False)

    def teams(self, lookup: str = "team_id") -> Q:
        """A filter on the scope's teams through ``lookup``; empty (everything) when the scope is
        unrestricted."""
        if self.team_ids is None:
            return Q()
        return Q(**{f"{lookup}__in_ids": self.team_ids})

    def query(self) -> str:
        """The scope as a query string (``as_of``, ``team`` when set) for links to the rows
        pages."""
        params = {"as_of": self.as_of.isoformat()}
        if self.team is not None:
            params["team"] = str(self.team.pk)
        return urlencode(params)


def evidence_scope(
    *, access: Access, strategy: Strategy, team: Team | None = None, as_of: dt.date | None = None
) -> EvidenceScope:
    """The scope of the figures: ``team`` and the teams below it (all teams when None), of
    those the reader may see (two small queries at most)."""
    as_of = as_of or timezone.localdate()
    end = timezone.make_aware(dt.datetime.combine(as_of + dt.timedelta(days=1), dt.time.min))
    tree = _team_tree(access)
    if team is None:
        ids = None if access.visible_team_ids is None else frozenset(access.visible_team_ids)
    else:
        below = _below(tree, team.pk)
        if access.visible_team_ids is not None:
            below &= set(access.visible_team_ids)
        ids = frozenset(below)
    scope = EvidenceScope(
        access=access, strategy=strategy, team=team, as_of=as_of, end=end, team_ids=ids
    )
    scope._cache["tree"] = tree
    return scope


def _team_tree(access: Access) -> dict[int, int | None]:
    return dict(Team.objects.values_list("id", "parent_id"))


def _below(tree: dict[int, int | None], root: int) -> set[int]:
    children: dict[int | None, list[int]] = defaultdict(list)
    for pk, parent in tree.items():
        children[parent].append(pk)
    found, todo = {root}, [root]
    while todo:
        for child in children.get(todo.pop(), ()):
            if child not in found:
                found.add(child)
                todo.append(child)
    return found


# --- base row sets ----------------------------------------------------------------------------
def _objectives(scope: EvidenceScope) -> QuerySet:
    return Objective.objects.filter(scope.teams(), strategy=scope.strategy).exclude(
        status__in=Objective.CLOSED_STATUSES
    )


def _initiatives(scope: EvidenceScope) -> QuerySet:
    return Initiative.objects.filter(scope.teams(), objective__strategy=scope.strategy)


def _open_initiatives(scope: EvidenceScope) -> QuerySet:
    return _initiatives(scope).exclude(status__in=Initiative.CLOSED_STATUSES)


def _kpis(scope: EvidenceScope) -> QuerySet:
    tied = (
        Q(objective__strategy=scope.strategy)
        | Q(initiative__objective__strategy=scope.strategy)
        | Q(objective__isnull=True, initiative__isnull=True)
    )
    return KPI.objects.filter(tied, scope.teams(), is_active=True)


def _teams(scope: EvidenceScope) -> QuerySet:
    queryset = Team.objects.all()
    if scope.team_ids is not None:
        queryset = queryset.filter(pk__in_ids=scope.team_ids)
    return queryset


OWNED = Q(owner__isnull=False, owner__is_active=True)


def _share(hit: int, total: int) -> float | None:
    return 100.0 * hit / total if total else None


def _median(values: list[float]) -> float | None:
    return float(statistics.median(values)) if values else None


# --- figures ----------------------------------------------------------------------------------
@dataclass(frozen=True)
class Figure:
    """How one figure is computed (``compute``: scope -> (value, tracked, detail)) and which
    rows it rests on (``rows``: scope -> rows, each marked)."""

    code: str
    capability: str
    label: str
    unit: str
    compute: Callable[[EvidenceScope], tuple[float | None, bool, str]]
    rows: Callable[[EvidenceScope], list[EvidenceRow]]
