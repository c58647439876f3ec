"""The overview's rows and limits: plain rows (named tuples and slotted dataclasses) of what each
widget shows, and ``Overview``, everything the page shows for one reader and set of filters.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any, NamedTuple

from metrics.explain import AlertText
from metrics.models import GapScore
from strategy.models import Period, Strategy, Theme
from strategy.people import person_name
from strategy.selectors import OverviewFilters

MAP_LIMIT = 60  # objectives drawn on the strategy map; filters narrow it further
MAP_INITIATIVE_LIMIT = 180
LIST_LIMIT = 8
ALERT_LIMIT = 5
TREND_LIMIT = 400
TEAM_LIMIT = 12  # teams shown on the gap-by-team chart, furthest behind first
OWNER_NAME_FIELDS = ("owner__first_name", "owner__last_name", "owner__username")
SCORE_FIELDS = ("subject_type", "subject_id", "status", "score", "reason", "as_of")


class ScoreRow(NamedTuple):
    """What the page shows of a latest ``GapScore`` (badges, charts): plain rows, as a large
    plan colours a hundred or more subjects."""

    subject_type: str
    subject_id: int
    status: str
    score: float | None
    reason: str
    as_of: dt.date


def score_rows(scores) -> list[ScoreRow]:
    """``ScoreRow`` rows of a ``GapScore`` queryset (one query)."""
    return list(map(ScoreRow._make, scores.values_list(*SCORE_FIELDS)))


class TeamRow(NamedTuple):
    """A team as the filter and the gap-by-team chart need it."""

    pk: int
    name: str
    parent_id: int | None

    def __str__(self) -> str:
        return self.name


def _name(first_name: str | None, last_name: str | None, username: str | None) -> str:
    return person_name(
        first_name=first_name or "", last_name=last_name or "", username=username or ""
    )


class _Owned:
    """Rows read with ``OWNER_NAME_FIELDS``: the owner's name as the ``person`` filter shows it."""

    __slots__ = ()

    # Set by the dataclasses below (annotations only: no attribute, so no slot, here).
    owner_first_name: str | None
    owner_last_name: str | None
    owner_username: str | None

    @property
    def owner_name(self) -> str:
        return _name(self.owner_first_name, self.owner_last_name, self.owner_username)


@dataclass(slots=True)
class OverviewAlert(_Owned):
    """An alert in the overview's list of the most severe."""

    pk: int
    title: str
    severity: int
    message: str
    opened_at: dt.datetime
    team_name: str | None
    owner_id: int | None
    owner_first_name: str | None
    owner_last_name: str | None
    owner_username: str | None
    title_parts: Any = None
    message_parts: Any = None
    text: AlertText | None = None  # title and message for the reader (metrics.explain)


@dataclass(slots=True)
class StaleInitiative(_Owned):
    """An initiative in the stale check-ins list."""

    pk: int
    title: str
    team_name: str
    owner_id: int | None
    owner_first_name: str | None
    owner_last_name: str | None
    owner_username: str | None
    checkin_cadence_days: int
    last_checkin_at: dt.datetime | None
    checkin_days: int
    checkin_days_late: int


@dataclass(slots=True)
class OverdueMilestone:
    """A milestone in the overdue list."""

    pk: int
    title: str
    due_date: dt.date
    initiative_id: int
    initiative_title: str
    days_overdue: int = 0


@dataclass(slots=True)
class RecentCheckIn:
    """A check-in in the latest check-ins list."""

    pk: int
    created_at: dt.datetime
    rag: str
    confidence: int
    summary: str
    initiative_id: int
    initiative_title: str
    author_first_name: str
    author_last_name: str
    author_username: str

    @property
    def author_name(self) -> str:
        """The author's full name, else their username."""
        return _name(self.author_first_name, self.author_last_name, self.author_username)


@dataclass(slots=True)
class MapInitiative:
    """An initiative as the strategy map shows it."""

    pk: int
    title: str
    objective_id: int
    progress: int
    due_date: dt.date
    latest_score: ScoreRow | None = None


@dataclass(slots=True)
class MapObjective(_Owned):
    """An objective as the strategy map and the changes list show it."""

    pk: int
    title: str
    theme_id: int
    parent_id: int | None
    owner_id: int | None
    theme_name: str
    theme_colour: str
    team_name: str
    owner_first_name: str | None
    owner_last_name: str | None
    owner_username: str | None
    status_then: str | None
    total: int
    latest_score: ScoreRow | None = None
    map_children: list[MapObjective] = field(default_factory=list)
    map_initiatives: list[MapInitiative] = field(default_factory=list)


@dataclass
class Overview:
    """Everything the overview page shows for one reader and set of filters (``overview_build``):
    the strategy's health and its trend, scores by theme and team, the strategy map, status counts
    and changes, alerts, stale check-ins, overdue milestones and allocation by theme."""

    strategy: Strategy | None
    filters: OverviewFilters
    periods: list[Period]
    themes: list[Theme]
    teams: list[TeamRow]
    team_ids: set[int] | None = None  # the chosen team and the teams below it
    teams_total: int = 0
    team_limit: int = TEAM_LIMIT
    # The health card and its trend follow the filters: the chosen theme's score, else the
    # chosen team's (when the reader may see it), else the strategy's.
    health_label: str = "Execution health"
    strategy_score: ScoreRow | None = None  # the health card's score (see health_label)
    strategy_reason: str = ""  # that score's reason for the reader
    trend: list[tuple[dt.date, float]] = field(default_factory=list)
    theme_scores: dict[int, ScoreRow] = field(default_factory=dict)
    team_scores: dict[int, ScoreRow] = field(default_factory=dict)
    objectives: list[MapObjective] = field(default_factory=list)
    objectives_total: int = 0
    map_roots: list[MapObjective] = field(default_factory=list)
    # Every objective in scope by the status of its latest score (None: not scored yet), in
    # ``STATUS_ORDER``: the parts add up to ``objectives_total``.
    status_counts: dict[str | None, int] = field(default_factory=dict)
    alerts: list[OverviewAlert] = field(default_factory=list)
    alert_counts: dict[str, int] = field(default_factory=dict)
    stale: list[StaleInitiative] = field(default_factory=list)
    overdue: list[OverdueMilestone] = field(default_factory=list)
    overdue_more: bool = False
    by_theme: list[dict] = field(default_factory=list)
    by_priority: list[dict] = field(default_factory=list)
    top_objectives_budget: list[dict] = field(default_factory=list)
    changed: list[MapObjective] = field(default_factory=list)
    recent_checkins: list[RecentCheckIn] = field(default_factory=list)
    since_counts: dict[str, int] = field(default_factory=dict)


# The order of the statuses in the Objectives card: every status a score may have, then
# the objectives not scored yet (None).
STATUS_ORDER: tuple[str | None, ...] = (*GapScore.Status.values, None)
