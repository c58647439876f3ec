"""The evidence the app has for each execution capability, computed beside the manual scores.

``capability_evidence(access=, strategy=, team=, as_of=)`` returns, for each of the five
capabilities (``CAPABILITIES``), a list of ``EvidenceFigure``. Every figure is computed by one
``Figure`` of ``FIGURES`` from a base set of rows (``Figure.rows``), and links to a page listing
exactly those rows (``rows_url``: ``/assessment/evidence/<code>/?team=&as_of=``), each marked
whether it counted for the figure.

Scope: the strategy's objectives, initiatives and KPIs (a KPI tied to no objective or initiative
counts for every strategy) of the teams in scope: ``team`` and the teams below it, or every team
when ``team`` is None, always limited to the teams the reader may see (``strategy.access``). So a
figure and its rows page never rest on a part the reader cannot see, and name nothing hidden.

A figure whose underlying data does not exist yet (no survey app, no alert ever handled, no
check-in ever tagged) is ``tracked=False`` with ``value=None``: rendered "not tracked yet",
never a guess. A tracked figure with nothing to measure has ``value=None`` and says why in
``detail``.

Definitions. The structure figures describe the plan as it is now; the others count the events
(check-ins, comments, measurements, alert events, changes) up to ``as_of`` (the end of that day,
local time):

* structure.owned_* — share (%) of the strategy's open objectives / open initiatives / active
  KPIs whose owner is set and an active account; structure.teams_with_leader — share of the
  teams in scope with at least one active direct leader membership.
* leadership.vision_trust, talent.resources — survey items ``leader_vision_trust`` and
  ``have_resources``: the mean (1-5) of the latest round closed by ``as_of`` (its
  ``closes_on`` on or before it) whose figure for the scope is shown
  (``surveys.results.item_results``, which suppresses figures below the anonymity threshold);
  the scope's figure combines the round's teams in it (a team above the surveyed ones sees
  them combined). A later closed round that is not shown is named with why; with no shown
  round the value is None and the detail says why; "not tracked yet" until a round has closed.
* leadership.blocker_response — median days from a check-in reporting a blocker (text or tags)
  to the first comment on its initiative by a leader of the initiative's team (a leader role on
  it or a team above it), among blockers answered by ``as_of``.
* tools.checkin_timeliness — share of active, started initiatives whose check-ins are not
  stale (``metrics.scoring.initiative.checkin_silence``, the engine's rule and grace).
* tools.kpis_by_api — share of active KPIs with a measurement whose latest one came by the API.
* tools.data_quality — share of active KPIs with a current score whose data quality is flagged
  (the engine's ``data_quality.confidence`` is "fair" or "poor").
* talent.blocked_for_skills — share of open initiatives whose latest check-in is tagged
  ``skills``.
* agility.alert_ack / agility.alert_resolve — median hours from an alert's first "opened" event
  to its first "acknowledged" / "resolved" event (``metrics.AlertEvent``).
* agility.replan — median days from an initiative's first red check-in to the first change of
  its due date, budget, effort, owner or team recorded after it (``Initiative.history``).
"""

from __future__ import annotations

import datetime as dt
import statistics
from collections import defaultdict
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlencode

from django.db.models import Count, Exists, Min, OuterRef, Q, QuerySet, Subquery
from django.urls import reverse
from django.utils import timezone

from assessment.models import CAPABILITIES, Capability
from initiatives.models import BlockerTag, CheckIn, Initiative
from metrics.engine.common import engine_thresholds
from metrics.models import KPI, Alert, AlertEvent, GapScore, Measurement, SubjectType
from metrics.scoring.initiative import checkin_silence
from strategy.access import Access
from strategy.models import Membership, Objective, Strategy, Team
from strategy.quantities import date_text

__all__ = [
    "CAPABILITIES",
    "FIGURES",
    "EvidenceFigure",
    "EvidenceRow",
    "EvidenceScope",
    "capability_evidence",
    "evidence_rows",
    "evidence_scope",
]

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


def _owned_share(base: Callable[[EvidenceScope], QuerySet], noun: str):
    def compute(scope):
        totals = base(scope).aggregate(total=Count("pk"), hit=Count("pk", filter=OWNED))
        total, hit = totals["total"], totals["hit"]
        return _share(hit, total), True, f"{hit} of {total} {noun} have an active owner."

    def rows(scope):
        queryset = base(scope).select_related("owner").order_by("pk")
        return [
            EvidenceRow(
                kind=noun,
                pk=obj.pk,
                name=str(obj),
                url=obj.get_absolute_url(),
                counted=obj.owner is not None and obj.owner.is_active,
                value="owner: " + (obj.owner.get_username() if obj.owner else "none"),
            )
            for obj in queryset
        ]

    return compute, rows


def _leader_exists() -> Exists:
    return Exists(
        Membership.objects.filter(
            team_id=OuterRef("pk"), role=Membership.Role.LEADER, user__is_active=True
        )
    )


def _teams_led_compute(scope):
    totals = (
        _teams(scope)
        .annotate(led=_leader_exists())
        .aggregate(total=Count("pk"), hit=Count("pk", filter=Q(led=True)))
    )
    total, hit = totals["total"], totals["hit"]
    return _share(hit, total), True, f"{hit} of {total} teams have an active leader."


def _teams_led_rows(scope):
    return [
        EvidenceRow("team", pk, name, None, led, "a leader" if led else "no leader")
        for pk, name, led in _teams(scope)
        .annotate(led=_leader_exists())
        .order_by("name", "pk")
        .values_list("pk", "name", "led")
    ]


# Blockers and leaders' answers --------------------------------------------------------------
def _blocker_checkins(scope: EvidenceScope) -> QuerySet:
    return CheckIn.objects.filter(
        scope.teams("initiative__team_id"),
        initiative__objective__strategy=scope.strategy,
        created_at__lt=scope.end,
    ).filter(~Q(blockers="") | ~Q(blocker_tags=""))


def _blocker_answers(scope: EvidenceScope) -> list[tuple[dict, float | None]]:
    """``(check-in values, days to the first leader's comment or None)``, oldest first."""
    if "answers" in scope._cache:
        return scope._cache["answers"]
    from activity.models import Comment

    checkins = list(
        _blocker_checkins(scope)
        .order_by("created_at", "pk")
        .values("pk", "initiative_id", "initiative__team_id", "initiative__title", "created_at")
    )
    result: list[tuple[dict, float | None]] = []
    if checkins:
        tree = scope._cache["tree"]
        leaders: dict[int, set[int]] = defaultdict(set)
        for user_id, led_team_id in Membership.objects.filter(
            role=Membership.Role.LEADER
        ).values_list("user_id", "team_id"):
            leaders[led_team_id].add(user_id)
        comments: dict[int, list[tuple[dt.datetime, int]]] = defaultdict(list)
        for subject_id, created_at, author_id in (
            Comment.objects.filter(
                subject_type=Comment.SubjectType.INITIATIVE,
                subject_id__in=_blocker_checkins(scope).values("initiative_id"),
                created_at__lt=scope.end,
                author_id__isnull=False,
            )
            .order_by("created_at", "pk")
            .values_list("subject_id", "created_at", "author_id")
        ):
            comments[subject_id].append((created_at, author_id))
        for checkin in checkins:
            team_leaders: set[int] = set()
            team_id: int | None = checkin["initiative__team_id"]
            seen: set[int] = set()
            while team_id is not None and team_id not in seen:
                seen.add(team_id)
                team_leaders |= leaders.get(team_id, set())
                team_id = tree.get(team_id)
            days = next(
                (
                    (at - checkin["created_at"]).total_seconds() / 86400
                    for at, author in comments.get(checkin["initiative_id"], ())
                    if at > checkin["created_at"] and author in team_leaders
                ),
                None,
            )
            result.append((checkin, days))
    scope._cache["answers"] = result
    return result


def _blocker_compute(scope):
    answers = _blocker_answers(scope)
    if not answers:
        return None, False, "Not tracked yet: no check-in has reported a blocker."
    days = [d for _, d in answers if d is not None]
    open_ = len(answers) - len(days)
    return (
        _median(days),
        True,
        f"{len(days)} of {len(answers)} blockers answered by a leader; {open_} not yet.",
    )


def _blocker_rows(scope):
    return [
        EvidenceRow(
            "check-in",
            c["pk"],
            f"{c['initiative__title']} ({timezone.localtime(c['created_at']):%Y-%m-%d})",
            reverse("initiatives:initiative-detail", args=[c["initiative_id"]]),
            None,
            "not answered yet" if days is None else f"{days:.1f} days",
        )
        for c, days in _blocker_answers(scope)
    ]


# Check-in timeliness ------------------------------------------------------------------------
def _timeliness(scope: EvidenceScope) -> list[tuple[dict, bool]]:
    if "timeliness" in scope._cache:
        return scope._cache["timeliness"]
    grace = engine_thresholds().stale_grace
    rows = []
    for item in (
        _initiatives(scope)
        .filter(status=Initiative.Status.ACTIVE, start_date__lte=scope.as_of)
        .annotate(
            last_at=Subquery(
                CheckIn.objects.filter(initiative_id=OuterRef("pk"), created_at__lt=scope.end)
                .order_by("-created_at", "-pk")
                .values("created_at")[:1]
            )
        )
        .order_by("pk")
        .values("pk", "title", "start_date", "checkin_cadence_days", "resumed_on", "last_at")
    ):
        silence = checkin_silence(
            last_checkin_on=timezone.localdate(item["last_at"]) if item["last_at"] else None,
            start_date=item["start_date"],
            cadence_days=item["checkin_cadence_days"],
            today=scope.as_of,
            grace=grace,
            resumed_on=item["resumed_on"],
        )
        rows.append((item, not silence.stale))
    scope._cache["timeliness"] = rows
    return rows


def _timeliness_compute(scope):
    rows = _timeliness(scope)
    hit = sum(1 for _, ok in rows if ok)
    return (
        _share(hit, len(rows)),
        True,
        f"{hit} of {len(rows)} active initiatives checked in within their cadence.",
    )


def _timeliness_rows(scope):
    return [
        EvidenceRow(
            "initiative",
            item["pk"],
            item["title"],
            reverse("initiatives:initiative-detail", args=[item["pk"]]),
            ok,
            "on time" if ok else "check-in overdue",
        )
        for item, ok in _timeliness(scope)
    ]


# KPI feeds and data quality -------------------------------------------------------------------
def _fed(scope: EvidenceScope) -> QuerySet:
    latest = Measurement.objects.filter(kpi_id=OuterRef("pk"), as_of__lte=scope.as_of).order_by(
        "-as_of", "-pk"
    )
    return (
        _kpis(scope)
        .annotate(latest_source=Subquery(latest.values("source")[:1]))
        .filter(latest_source__isnull=False)
    )


def _fed_compute(scope):
    counts = {
        row["latest_source"]: row["n"]
        for row in _fed(scope).order_by().values("latest_source").annotate(n=Count("pk"))
    }
    total = sum(counts.values())
    api = counts.get(Measurement.Source.API, 0)
    manual = counts.get(Measurement.Source.MANUAL, 0)
    imported = counts.get(Measurement.Source.IMPORT, 0)
    return (
        _share(api, total),
        True,
        f"Of {total} measured KPIs, {api} are fed by the API, {manual} by hand, "
        f"{imported} by import.",
    )


def _fed_rows(scope):
    labels = dict(Measurement.Source.choices)
    return [
        EvidenceRow(
            "KPI",
            pk,
            name,
            reverse("metrics:kpi-detail", args=[key]),
            source == Measurement.Source.API,
            labels.get(source, source),
        )
        for pk, name, key, source in _fed(scope)
        .order_by("pk")
        .values_list("pk", "name", "key", "latest_source")
    ]


def _quality(scope: EvidenceScope) -> list[tuple[int, tuple[str, str], str]]:
    """``(kpi id, (name, key), data-quality confidence)`` of the active KPIs with a current
    score."""
    if "quality" in scope._cache:
        return scope._cache["quality"]
    names = {pk: (name, key) for pk, name, key in _kpis(scope).values_list("pk", "name", "key")}
    rows = []
    if names:
        for subject_id, quality in (
            GapScore.objects.filter(
                subject_type=SubjectType.KPI, is_latest=True, subject_id__in=list(names)
            )
            .order_by("subject_id")
            .values_list("subject_id", "data_quality")
        ):
            rows.append((subject_id, names[subject_id], (quality or {}).get("confidence", "")))
    scope._cache["quality"] = rows
    return rows


def _quality_compute(scope):
    rows = _quality(scope)
    flagged = sum(1 for *_, confidence in rows if confidence in FLAGGED_QUALITY)
    return (
        _share(flagged, len(rows)),
        True,
        f"{flagged} of {len(rows)} scored KPIs have their data quality flagged (lower is better).",
    )


def _quality_rows(scope):
    return [
        EvidenceRow(
            "KPI",
            pk,
            name,
            reverse("metrics:kpi-detail", args=[key]),
            confidence in FLAGGED_QUALITY,
            f"data quality: {confidence or 'unknown'}",
        )
        for pk, (name, key), confidence in _quality(scope)
    ]


# Blocked for skills ---------------------------------------------------------------------------
def _latest_tags(scope: EvidenceScope) -> QuerySet:
    latest = CheckIn.objects.filter(
        initiative_id=OuterRef("pk"), created_at__lt=scope.end
    ).order_by("-created_at", "-pk")
    return _open_initiatives(scope).annotate(tags=Subquery(latest.values("blocker_tags")[:1]))


def _tags_used(scope: EvidenceScope) -> bool:
    return (
        CheckIn.objects.filter(
            scope.teams("initiative__team_id"),
            initiative__objective__strategy=scope.strategy,
            created_at__lt=scope.end,
        )
        .exclude(blocker_tags="")
        .exists()
    )


SKILLS = Q(tags__contains=BlockerTag.SKILLS)


def _skills_compute(scope):
    if not _tags_used(scope):
        return None, False, "Not tracked yet: no check-in has tagged a blocker."
    totals = _latest_tags(scope).aggregate(total=Count("pk"), hit=Count("pk", filter=SKILLS))
    total, hit = totals["total"], totals["hit"]
    return (
        _share(hit, total),
        True,
        f"{hit} of {total} open initiatives are blocked for skills (latest check-in).",
    )


def _skills_rows(scope):
    return [
        EvidenceRow(
            "initiative",
            pk,
            title,
            reverse("initiatives:initiative-detail", args=[pk]),
            BlockerTag.SKILLS in (tags or "").split(","),
            f"tags: {tags}" if tags else "no tagged blocker",
        )
        for pk, title, tags in _latest_tags(scope).order_by("pk").values_list("pk", "title", "tags")
    ]


# Alerts ---------------------------------------------------------------------------------------
def _alert_times(scope: EvidenceScope) -> Sequence[Mapping[str, Any]]:
    """Per alert in scope: first opened, acknowledged and resolved event times by ``as_of``."""
    if "alerts" in scope._cache:
        return scope._cache["alerts"]
    alerts = Alert.objects.filter(scope.access.alert_filter())
    if scope.team_ids is not None:
        team_q = Q(team_id__in_ids=scope.team_ids)
        # The organisation's view also has the alerts without a team (themes, the strategy).
        alerts = alerts.filter((team_q | Q(team_id__isnull=True)) if scope.team is None else team_q)
    kinds = AlertEvent.Kind
    rows = list(
        AlertEvent.objects.filter(alert_id__in=alerts.values("pk"), at__lt=scope.end)
        .values("alert_id")
        .annotate(
            opened=Min("at", filter=Q(kind=kinds.OPENED)),
            acknowledged=Min("at", filter=Q(kind=kinds.ACKNOWLEDGED)),
            resolved=Min("at", filter=Q(kind=kinds.RESOLVED)),
        )
        .filter(opened__isnull=False)
        .values("alert_id", "alert__title", "opened", "acknowledged", "resolved")
        .order_by("alert_id")
    )
    scope._cache["alerts"] = rows
    return rows


def _hours(row: Mapping[str, Any], key: str) -> float | None:
    if row[key] is None or row[key] < row["opened"]:
        return None
    return (row[key] - row["opened"]).total_seconds() / 3600


def _alert_figure(key: str, verb: str):
    def compute(scope):
        rows = _alert_times(scope)
        if not rows:
            return None, False, "Not tracked yet: no alert has been raised."
        hours = [h for h in (_hours(r, key) for r in rows) if h is not None]
        return (
            _median(hours),
            True,
            f"{len(hours)} of {len(rows)} alerts {verb}; {len(rows) - len(hours)} not yet.",
        )

    def rows(scope):
        return [
            EvidenceRow(
                "alert",
                r["alert_id"],
                r["alert__title"],
                reverse("metrics:alert-detail", args=[r["alert_id"]]),
                None,
                "not yet" if (h := _hours(r, key)) is None else f"{h:.1f} hours",
            )
            for r in _alert_times(scope)
        ]

    return compute, rows


# Re-plans after an off-track signal -------------------------------------------------------
def _replans(scope: EvidenceScope) -> list[tuple[dict, float | None]]:
    if "replans" in scope._cache:
        return scope._cache["replans"]
    signals = list(
        _initiatives(scope)
        .annotate(
            signal=Min(
                "checkins__created_at",
                filter=Q(checkins__rag=CheckIn.Rag.RED, checkins__created_at__lt=scope.end),
            )
        )
        .filter(signal__isnull=False)
        .order_by("pk")
        .values("pk", "title", "signal")
    )
    result: list[tuple[dict, float | None]] = []
    if signals:
        history = Initiative.history.model.objects.filter(
            id__in=[s["pk"] for s in signals], history_date__lt=scope.end
        ).order_by("id", "history_date", "history_id")
        previous: dict[int, tuple] = {}
        first_change: dict[int, dt.datetime] = {}
        signal_at = {s["pk"]: s["signal"] for s in signals}
        for record in history.values("id", "history_date", *REPLAN_FIELDS):
            pk = record["id"]
            values = tuple(record[f] for f in REPLAN_FIELDS)
            before = previous.get(pk)
            previous[pk] = values
            if (
                before is not None
                and before != values
                and pk not in first_change
                and record["history_date"] > signal_at[pk]
            ):
                first_change[pk] = record["history_date"]
        for s in signals:
            changed = first_change.get(s["pk"])
            days = None if changed is None else (changed - s["signal"]).total_seconds() / 86400
            result.append((s, days))
    scope._cache["replans"] = result
    return result


def _replan_compute(scope):
    rows = _replans(scope)
    if not rows:
        return None, False, "Not tracked yet: no initiative has reported red."
    days = [d for _, d in rows if d is not None]
    return (
        _median(days),
        True,
        f"{len(days)} of {len(rows)} initiatives that went red were re-planned; "
        f"{len(rows) - len(days)} not yet.",
    )


def _replan_rows(scope):
    return [
        EvidenceRow(
            "initiative",
            s["pk"],
            s["title"],
            reverse("initiatives:initiative-detail", args=[s["pk"]]),
            None,
            "not re-planned yet" if days is None else f"{days:.1f} days",
        )
        for s, days in _replans(scope)
    ]


# Survey items ---------------------------------------------------------------------------------
@dataclass(frozen=True)
class _SurveyPick:
    """The survey results one figure rests on: ``used``, the round whose combined figure for
    the scope is the latest shown one (that figure first, then each of the round's teams in
    the scope, shown or not; empty when none is shown), and ``skipped``, the combined figure of
    a round closed later than it that is not shown (None when there is none)."""

    used: list
    skipped: object | None


def _survey_results(scope: EvidenceScope, item_code: str) -> _SurveyPick:
    """The item's results (``surveys.results.item_results``) of the rounds closed by ``as_of``
    for the scope: the organisation (``team`` None: every round team the reader may see,
    combined), or ``team`` and the teams below it that a round was sent to, combined. The
    survey app applies the anonymity threshold and complementary suppression; a suppressed
    figure is never used here, only its reason given."""
    key = ("survey", item_code)
    if key in scope._cache:
        return scope._cache[key]
    from surveys.results import item_results

    team_ids = None if scope.team is None else sorted(scope.team_ids or ())
    results = item_results(
        access=scope.access, strategy=scope.strategy, item_code=item_code, team_ids=team_ids
    )
    closed = [r for r in results if r.team_id is None and r.closes_on <= scope.as_of]
    shown = [r for r in closed if not r.suppressed and r.mean is not None]
    used: list = []
    skipped = None
    newest = max(closed, key=lambda r: (r.closes_on, r.round_id), default=None)
    if shown:
        latest = max(shown, key=lambda r: (r.closes_on, r.round_id))
        used = [latest] + [
            r for r in results if r.round_id == latest.round_id and r.team_id is not None
        ]
        if newest is not latest:
            skipped = newest
    elif newest is not None:
        skipped = newest
    pick = _SurveyPick(used=used, skipped=skipped)
    scope._cache[key] = pick
    return pick


def _not_shown(result) -> str:
    return f"{result.round_label} (closed {date_text(result.closes_on)}): {result.reason}"


def _survey_figure(item_code: str):
    def compute(scope):
        pick = _survey_results(scope, item_code)
        if not pick.used and pick.skipped is None:
            return None, False, "Not tracked yet: no survey round has closed with results here."
        if not pick.used:
            return None, True, _not_shown(pick.skipped)
        latest = pick.used[0]
        detail = (
            f"Mean of {latest.respondents} answers in {latest.round_label} "
            f"(closed {date_text(latest.closes_on)})."
        )
        if pick.skipped is not None:
            detail += " " + _not_shown(pick.skipped)
        return latest.mean, True, detail

    def rows(scope):
        pick = _survey_results(scope, item_code)
        names = dict(_teams(scope).values_list("pk", "name"))
        return [
            EvidenceRow(
                "survey result",
                r.round_id,
                f"{r.round_label}: "
                + ("all teams here" if r.team_id is None else names.get(r.team_id, "a team")),
                None,
                False if r.suppressed else None,
                r.reason if r.suppressed else f"mean {r.mean:.2f} of 5 ({r.respondents} answers)",
            )
            for r in [*pick.used, *([pick.skipped] if pick.skipped is not None else [])]
        ]

    return compute, rows


def _figures() -> tuple[Figure, ...]:
    objectives = _owned_share(_objectives, "objectives")
    initiatives = _owned_share(_open_initiatives, "initiatives")
    kpis = _owned_share(_kpis, "KPIs")
    ack = _alert_figure("acknowledged", "acknowledged")
    resolve = _alert_figure("resolved", "resolved")
    vision = _survey_figure("leader_vision_trust")
    resources = _survey_figure("have_resources")
    c = Capability
    return (
        Figure("owned_objectives", c.STRUCTURE, "Open objectives with an active owner", "%",
               *objectives),
        Figure("owned_initiatives", c.STRUCTURE, "Open initiatives with an active owner", "%",
               *initiatives),
        Figure("owned_kpis", c.STRUCTURE, "Active KPIs with an active owner", "%", *kpis),
        Figure("teams_with_leader", c.STRUCTURE, "Teams with a leader", "%",
               _teams_led_compute, _teams_led_rows),
        Figure("vision_trust", c.LEADERSHIP, "Survey: my leader shares the vision and trusts "
               "the team", "of 5", *vision),
        Figure("blocker_response", c.LEADERSHIP, "Median time for a leader to answer a blocker",
               "days", _blocker_compute, _blocker_rows),
        Figure("checkin_timeliness", c.TOOLS, "Active initiatives checking in on time", "%",
               _timeliness_compute, _timeliness_rows),
        Figure("kpis_by_api", c.TOOLS, "Measured KPIs fed by the API", "%",
               _fed_compute, _fed_rows),
        Figure("data_quality", c.TOOLS, "Scored KPIs with a data-quality flag", "%",
               _quality_compute, _quality_rows),
        Figure("resources", c.TALENT, "Survey: I have the resources I need", "of 5",
               *resources),
        Figure("blocked_for_skills", c.TALENT, "Open initiatives blocked for skills", "%",
               _skills_compute, _skills_rows),
        Figure("alert_ack", c.AGILITY, "Median time from alert to acknowledgement", "hours",
               *ack),
        Figure("alert_resolve", c.AGILITY, "Median time from alert to resolution", "hours",
               *resolve),
        Figure("replan", c.AGILITY, "Median time from a red check-in to a re-plan", "days",
               _replan_compute, _replan_rows),
    )  # fmt: skip


FIGURES: dict[str, Figure] = {f.code: f for f in _figures()}


def _figure(figure: Figure, scope: EvidenceScope) -> EvidenceFigure:
    value, tracked, detail = figure.compute(scope)
    url = reverse("assessment:evidence-rows", args=[figure.code]) + "?" + scope.query()
    return EvidenceFigure(
        code=figure.code,
        label=figure.label,
        value=value if tracked else None,
        unit=figure.unit,
        tracked=tracked,
        detail=detail,
        rows_url=url if tracked else None,
    )


def capability_evidence(
    *, access: Access, strategy: Strategy, team: Team | None = None, as_of: dt.date | None = None
) -> dict[str, list[EvidenceFigure]]:
    """``{capability: [EvidenceFigure, ...]}`` for every capability of ``CAPABILITIES`` (in
    order), computed for ``team`` and the teams below it (None: the organisation) on ``as_of``
    (default today), over what ``access`` may see. A constant number of queries, whatever the
    size of the organisation (one to three per figure)."""
    scope = evidence_scope(access=access, strategy=strategy, team=team, as_of=as_of)
    result: dict[str, list[EvidenceFigure]] = {c: [] for c in CAPABILITIES}
    for figure in FIGURES.values():
        result[figure.capability].append(_figure(figure, scope))
    return result


def evidence_rows(*, scope: EvidenceScope, code: str) -> tuple[EvidenceFigure, list[EvidenceRow]]:
    """One figure and the rows it was computed from. Raises ``KeyError`` for an unknown code."""
    figure = FIGURES[code]
    return _figure(figure, scope), figure.rows(scope)
