"""Shared pieces of the engine: settings, the outcome record, bulk reads of latest scores."""

from __future__ import annotations

import logging
import math
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import TYPE_CHECKING, TypedDict

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.db.models import Q
from django.db.models.fields.json import KT

from metrics.alerts import AlertSpec, Subject
from metrics.models import GapScore
from metrics.scoring import Result, Thresholds
from metrics.scoring.common import NO_DATA, UNAVAILABLE

if TYPE_CHECKING:
    from django_stubs_ext import WithAnnotations

    from strategy.access import Access

    class _LightAnnotations(TypedDict):
        # KT(): text, as django-stubs types it; NULL (None) when the JSON has no such key.
        fingerprint: str
        scored_weight_text: str

    # A latest score as latest_load reads it: the two values extracted from its JSON.
    LightGapScore = WithAnnotations[GapScore, _LightAnnotations]

logger = logging.getLogger("metrics.engine")

Key = tuple[str, int]


def engine_thresholds() -> Thresholds:
    """The scoring thresholds from the GAP_* settings (read at call time, never at import).

    Raises ``ImproperlyConfigured`` naming each bad GAP_* setting (e.g. an interval level of
    80 meant as a percent); ``metrics.apps`` calls it at start-up so a bad value stops the
    process there instead of failing every forecast."""
    try:
        return _thresholds()
    except ValueError as exc:
        raise ImproperlyConfigured(f"Gap engine settings: {exc}") from exc


def _thresholds() -> Thresholds:
    return Thresholds(
        on_track=settings.GAP_ON_TRACK_ATTAINMENT,
        off_track=settings.GAP_OFF_TRACK_ATTAINMENT,
        stale_grace=settings.GAP_STALE_GRACE,
        forecast_window=settings.GAP_FORECAST_WINDOW,
        forecast_window_days=settings.GAP_FORECAST_WINDOW_DAYS,
        forecast_min_points=settings.GAP_FORECAST_MIN_POINTS,
        forecast_max_points=settings.GAP_FORECAST_MAX_POINTS,
        forecast_spread_floor=settings.GAP_FORECAST_SPREAD_FLOOR,
        forecast_miss_below=settings.GAP_FORECAST_MISS_BELOW,
        interval_level=settings.GAP_FORECAST_INTERVAL,
        frozen_min_repeats=settings.GAP_FROZEN_MIN_REPEATS,
        frozen_factor=settings.GAP_FROZEN_FACTOR,
        outlier_z=settings.GAP_OUTLIER_Z,
        quality_window=settings.GAP_HISTORY_POINTS,
        budget_tolerance=settings.GAP_BUDGET_TOLERANCE,
        schedule_slip=settings.GAP_SCHEDULE_SLIP,
    )


@dataclass
class Outcome:
    """A computed subject: its score, the alerts its rules raise and which rules were checked."""

    subject: Subject
    result: Result
    weight: float = 1.0
    alerts: list[AlertSpec] = field(default_factory=list)
    # (subject_type, subject_id) -> alert kinds evaluated for it; an active alert of an
    # evaluated kind that is not in ``alerts`` is resolved.
    scopes: dict[Key, frozenset[str]] = field(default_factory=dict)
    parent: Key | None = None  # the subject this one rolls up into
    info: dict = field(default_factory=dict)  # facts the parent's rules need (kind, name...)
    # The digest of what the result was computed from (``metrics.engine.unchanged``); "" for
    # subjects never skipped (initiatives, rollups).
    inputs: str = ""

    @property
    def key(self) -> Key:
        """(subject_type, subject_id) of the subject."""
        return (self.subject.subject_type, self.subject.subject_id)


def unavailable_outcome(*, subject: Subject, exc: BaseException) -> Outcome:
    """A subject whose computation raised: recorded, alerted, and the chunk goes on."""
    from metrics.alerts import UNAVAILABLE_KIND, unavailable_alert

    reason = f"{type(exc).__name__}: {exc}"[:300]
    logger.exception("Score of %s #%s unavailable", subject.subject_type, subject.subject_id)
    return Outcome(
        subject=subject,
        result=Result(status=UNAVAILABLE, reason=f"score unavailable: {reason}"),
        alerts=[unavailable_alert(subject=subject, reason=reason)],
        scopes={(subject.subject_type, subject.subject_id): frozenset({UNAVAILABLE_KIND})},
    )


# Values ``clean`` returns as they are; checked by exact type first (a set lookup), which
# spares a call per leaf of the large JSON a rollup carries. Subclasses (a ``str`` enum, a
# safe string) take the general path and come out the same.
_PLAIN = frozenset({str, int, bool, type(None)})


def clean(value):
    """JSON-safe and stable: non-finite floats become None, floats keep 12 significant digits,
    dates and datetimes become ISO text, tuples lists, dict keys text; other values as they
    are."""
    kind = type(value)
    if kind in _PLAIN:
        return value
    if kind is dict:
        return {
            (k if type(k) is str else str(k)): (v if type(v) in _PLAIN else clean(v))
            for k, v in value.items()
        }
    if kind is list or kind is tuple:
        return [v if type(v) in _PLAIN else clean(v) for v in value]
    if isinstance(value, float):
        if not math.isfinite(value):
            return None
        return float(f"{value:.12g}")
    if isinstance(value, dict):
        return {str(k): clean(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [clean(v) for v in value]
    if isinstance(value, date | datetime):
        return value.isoformat()
    return value


def child_values(outcome: Outcome) -> tuple:
    """(score, status, reason, progress, expected, reason parts) of a run outcome, rounded as
    stored."""
    r = outcome.result
    return (
        clean(r.score),
        r.status,
        r.reason,
        clean(r.progress),
        clean(r.expected_progress),
        # As stored (lists, rounded floats): the same part whether this run computed it or
        # it is read back, so a parent's inputs do not depend on where its parts came from.
        clean(r.reason_parts),
    )


def stored_values(g: GapScore | None) -> tuple:
    """``child_values`` of a stored latest score (None: not scored yet)."""
    if g is None:
        return (None, NO_DATA, "Not scored yet", None, None, None)
    return (g.score, g.status, g.reason, g.progress, g.expected_progress, g.reason_parts)


def team_leaders(*, team_ids: Iterable[int]) -> dict[int, int]:
    """The first active leader of each team (who acts when a subject has no active owner)."""
    from strategy.models import Membership

    ids = sorted(set(team_ids) - {None})
    if not ids:
        return {}
    leaders: dict[int, int] = {}
    rows = (
        Membership.objects.filter(
            team_id__in=ids, role=Membership.Role.LEADER, user__is_active=True
        )
        .order_by("id")
        .values_list("team_id", "user_id")
    )
    for team_id, user_id in rows:
        leaders.setdefault(team_id, user_id)
    return leaders


def office_person() -> int | None:
    """The first active member of the strategy office: who acts when nobody else can."""
    from django.contrib.auth import get_user_model

    from strategy.models import STRATEGY_OFFICE_GROUP

    return (
        get_user_model()
        .objects.filter(is_active=True, groups__name=STRATEGY_OFFICE_GROUP)
        .order_by("id")
        .values_list("id", flat=True)
        .first()
    )


def owners_active(rows: Iterable[dict], pairs: Iterable[tuple[str, str]]) -> None:
    """An inactive owner counts as no owner: for each ``(id column, is_active column)`` pair,
    clear the id in the rows whose person is inactive (a deactivated user)."""
    pairs = list(pairs)
    for row in rows:
        for id_column, active_column in pairs:
            if row.get(id_column) is not None and not row.get(active_column, True):
                row[id_column] = None


@dataclass(frozen=True)
class Route:
    """Who must act on a subject, and how they were found: ``via`` is "owner" (the first of
    the owners given), "owner_chain" (a later one: the parent's owner...), "team_leader",
    "strategy_office" or "" (nobody)."""

    actor_id: int | None
    via: str


class Actors:
    """Resolves who must act on a subject: its owner, else the next accountable person
    (parent's owner, first team leader), else the strategy office; inactive people are never
    chosen (the engine clears inactive owners with ``owners_active``; leaders and the office
    are read active only), nor anyone a private team hides the subject from
    (``strategy.access``: an owner above, outside a private team, is skipped like an inactive
    one). Team leaders are loaded at most once per run, the office once, the private teams
    once, and the rights of the people named to ``want`` in one batch (``accesses_for``), only
    when a subject of a private team needs them."""

    def __init__(self) -> None:
        self._leaders: dict[int, int | None] | None = None
        self._teams: set[int] = set()
        self._office: int | None = None
        self._office_loaded = False
        self._people: set[int] = set()
        self._access: dict[int, Access | None] = {}
        self._private: set[int] | None = None

    def want(self, team_id: int | None, *people: int | None) -> None:
        """Say ahead which teams' leaders and which people's rights ``route`` will need, so
        they load in one query each rather than one per subject."""
        if team_id is not None:
            self._teams.add(team_id)
        self._people.update(p for p in people if p is not None)

    def route(self, *owners: int | None, team_id: int | None) -> Route:
        """Who must act: the first of ``owners`` who may see the subject, else the team's first
        leader, else the strategy office, else nobody (``Route(None, "")``)."""
        for i, owner in enumerate(owners):
            if owner is not None and self.sees(owner, team_id):
                return Route(owner, "owner" if i == 0 else "owner_chain")
        leader = self._leader(team_id)
        if leader is not None:
            return Route(leader, "team_leader")
        if not self._office_loaded:
            self._office, self._office_loaded = office_person(), True
        if self._office is not None:
            return Route(self._office, "strategy_office")
        return Route(None, "")

    def actor(self, *owners: int | None, team_id: int | None) -> int | None:
        """The id of who must act (``route``'s ``actor_id``); None: nobody."""
        return self.route(*owners, team_id=team_id).actor_id

    def sees(self, person: int, team_id: int | None) -> bool:
        """Whether a private team hides a subject of ``team_id`` from ``person``: for a team
        that is private or below a private one, ``Access.can_view_team`` decides; other
        subjects are not hidden from anyone (no query)."""
        if team_id is None or team_id not in self._private_teams():
            return True
        if person not in self._access:
            self._people.add(person)
            self._access_load()
        access = self._access.get(person)
        if access is None:  # no such person (deleted meanwhile)
            return False
        return access.can_view_team(team_id)

    def _private_teams(self) -> set[int]:
        """Ids of the teams that are private or below a private team (one query per run)."""
        if self._private is None:
            from strategy.models import Team

            rows = list(Team.objects.values_list("id", "parent_id", "is_private"))
            parent = {t: p for t, p, _ in rows}
            private = {t for t, _, is_private in rows if is_private}
            self._private = set()
            for team_id in parent:
                seen: set[int] = set()
                node: int | None = team_id
                while node is not None and node not in seen:
                    if node in private:
                        self._private.add(team_id)
                        break
                    seen.add(node)
                    node = parent.get(node)
        return self._private

    def _access_load(self) -> None:
        from django.contrib.auth import get_user_model

        from strategy.access import accesses_for

        missing = self._people - set(self._access)
        users = list(get_user_model().objects.filter(pk__in=sorted(missing)))
        self._access.update(accesses_for(users=users))
        for pk in missing - {u.pk for u in users}:
            self._access[pk] = None

    def _leader(self, team_id: int | None) -> int | None:
        if team_id is None:
            return None
        if self._leaders is None or team_id not in self._leaders:
            if self._leaders is None:
                self._leaders = {}
            self._teams.add(team_id)
            missing = self._teams - set(self._leaders)
            loaded = team_leaders(team_ids=missing)
            self._leaders.update({t: loaded.get(t) for t in missing})
        return self._leaders.get(team_id)


def subjects_q(keys: Iterable[Key]) -> Q:
    """``subject_type``/``subject_id`` filter for many subjects: one IN list per type."""
    by_type: dict[str, set[int]] = {}
    for subject_type, subject_id in keys:
        by_type.setdefault(subject_type, set()).add(subject_id)
    q = Q(pk__in=[])
    for subject_type, ids in by_type.items():
        q |= Q(subject_type=subject_type, subject_id__in=sorted(ids))
    return q


LIGHT_FIELDS = (
    "id",
    "subject_type",
    "subject_id",
    "status",
    "reason",
    "reason_parts",
    "score",
    "progress",
    "expected_progress",
    "as_of",
    "computed_at",
    "inputs",
)


def latest_load(*, keys: Iterable[Key]) -> dict[Key, LightGapScore]:
    """Latest ``GapScore`` of each subject in one query, without decoding its JSON columns:
    only the two values the engine reads back from them are extracted by the database,
    ``components.fingerprint`` (change detection) and ``components.scored_weight`` (teams)."""
    keys = list(keys)
    if not keys:
        return {}
    qs = (
        GapScore.objects.filter(subjects_q(keys), is_latest=True)
        .order_by()
        .only(*LIGHT_FIELDS)
        .annotate(
            fingerprint=KT("components__fingerprint"),
            scored_weight_text=KT("components__scored_weight"),
        )
    )
    return {(g.subject_type, g.subject_id): g for g in qs}


class LatestCache:
    """Latest stored scores read during one run, fetched in bulk and at most once per key."""

    def __init__(self) -> None:
        self._rows: dict[Key, LightGapScore] = {}
        self._loaded: set[Key] = set()

    def load(self, *, keys: Iterable[Key]) -> None:
        """Read the latest scores of the keys not read yet, in one query."""
        missing = set(keys) - self._loaded
        if missing:
            self._rows.update(latest_load(keys=missing))
            self._loaded |= missing

    def get(self, key: Key) -> GapScore | None:
        """The latest score read for the key; None if it has none (or was not loaded)."""
        return self._rows.get(key)

    def scored_weight(self, key: Key) -> float:
        """The weight its latest score covered (``components.scored_weight``); 0 without a score."""
        row = self._rows.get(key)
        if row is None or row.score is None:
            return 0.0
        try:
            return float(row.scored_weight_text or 0.0)
        except ValueError:
            return 0.0

    def forget(self, keys: Iterable[Key]) -> None:
        """Drop the keys (scores just written): the next ``load`` reads them again."""
        for key in keys:
            self._rows.pop(key, None)
            self._loaded.discard(key)
