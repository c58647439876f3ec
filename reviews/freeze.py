"""Freezing a pack: the snapshot of a review's scope at one moment (reads only; the service
``reviews.services.pack_freeze`` writes it).

Why this module is long: it is one read, ``pack_snapshot``, and the few helpers only it uses
(the KPIs' trends, the active alerts, the JSON columns). Its steps (the scope's objectives,
then their initiatives, milestones and KPIs, the scores of all of them, alerts, check-ins,
action items, and the names every stored text mentions) share the ids and the item list built
so far, in one pass of a fixed number of queries; taken apart, each piece would need the
others' intermediate state passed along, and the snapshot's JSON shape (below) would be
assembled in several places.

``pack_snapshot`` reads the scope set-based: a fixed number of queries whatever its size (the
objectives, their initiatives, milestones and KPIs, the latest scores of all of them, open
alerts, recent check-ins, the review's action items, and the labels of every object the
stored texts mention). The result is plain JSON::

    {"version": 1, "as_of": "YYYY-MM-DD", "frozen_at": ISO datetime,
     "scope": {"kind": ..., "label": ..., "strategy": id},
     "items": [{"k": kind, "id": int, "team": team id | None, "name": str, ...}, ...],
     "names": {"type:id": [name, team id | None]}}

Item kinds: strategy, theme, objective, initiative, milestone, kpi, alert, checkin, action.
Every item keeps its team (None: the strategy and its themes, never private), and texts stay
in the structured derived-text format of ``strategy.derived`` (references, not names), with
the names they mention frozen in ``names``: a pack reads the same after objects are renamed
or deleted, and each reader sees only what their access allows when it is read
(``reviews.selectors.pack_read``).
"""

from __future__ import annotations

import datetime as dt
import json
import re
from typing import Any

import orjson
from django.db.models import (
    DecimalField,
    Exists,
    F,
    OuterRef,
    Q,
    Subquery,
    Sum,
    TextField,
    Value,
    Window,
)
from django.db.models.functions import Cast, Coalesce, RowNumber
from django.utils import timezone

from initiatives.models import CheckIn, Initiative, Milestone, SpendEntry
from metrics.checkins import checkin_silence_annotations
from metrics.models import KPI, Alert, GapScore, Measurement, SubjectType, TargetRevision
from strategy.derived import derived_labels, refs_collect
from strategy.models import Objective, Strategy, Team, Theme
from strategy.people import person_name
from strategy.selectors import objective_subtree, team_subtree_ids

SNAPSHOT_VERSION = 1
CHECKIN_LIMIT = 200  # the most recent check-ins kept in a pack
ALERT_LIMIT = 500
TREND_POINTS = 12  # the latest measurements of each KPI kept for its trend chart
COMPONENT_FIELDS = ("key", "label", "score", "weight", "status", "detail")


def _iso(value: Any) -> str | None:
    return value.isoformat() if value is not None else None


def _num(value: Any) -> float | None:
    return float(value) if value is not None else None


def scope_objective_ids(*, review, strategy: Strategy) -> tuple[list[int], list[Theme]]:
    """Ids of the objectives in the review's scope and the themes shown with them (two
    queries at most, the team and objective subtrees each read by one recursive query)."""
    from reviews.models import Review

    objectives = Objective.objects.filter(strategy=strategy)
    themes: list[Theme] = []
    if review.scope == Review.Scope.STRATEGY:
        themes = list(Theme.objects.filter(strategy=strategy).order_by("order", "name"))
    elif review.scope == Review.Scope.THEME:
        objectives = objectives.filter(theme_id=review.theme_id)
        themes = list(Theme.objects.filter(pk=review.theme_id))
    elif review.scope == Review.Scope.TEAM:
        team_ids = team_subtree_ids(team_ids=[review.team_id]) if review.team_id else set()
        objectives = objectives.filter(team_id__in_ids=team_ids)
    elif review.scope == Review.Scope.OBJECTIVE:
        if review.objective_id is None:
            return [], []
        subtree = objective_subtree(objective=review.objective)
        objectives = objectives.filter(id__in=subtree.values("id"))
    return list(objectives.order_by().values_list("id", flat=True)), themes


_LONG_DIGITS = re.compile(r"\d{19}")


def json_text(text: str | None) -> Any:
    """A JSON column read as text (``json_column``), parsed: ``None`` for SQL NULL.

    orjson, several times faster than the standard parser that the ORM's ``JSONField`` uses
    (a pack reads thousands of texts); the standard parser when the text holds a run of 19
    digits, since orjson reads an integer past 64 bits as a float (PostgreSQL's jsonb prints
    1.6e20 as such an integer), so the value is the ORM's to the type."""
    if text is None:
        return None
    if _LONG_DIGITS.search(text):
        return json.loads(text)
    return orjson.loads(text)


def json_column(name: str) -> Cast:
    """The JSON column ``name`` read as its text, for ``json_text``."""
    return Cast(name, output_field=TextField())


def _score_fields(row: dict | None) -> dict:
    if row is None:
        return {"status": None, "score": None, "reason": "", "components": []}
    components = row["components"]
    listed = components.get("items", []) if isinstance(components, dict) else components or []
    return {
        "status": row["status"],
        "score": row["score"],
        "reason": row["reason_parts"] if row["reason_parts"] else row["reason"],
        "components": [
            {name: c.get(name) for name in COMPONENT_FIELDS} for c in listed if isinstance(c, dict)
        ],
    }


def pack_snapshot(
    *, review, now: dt.datetime, since: dt.datetime | None = None, past: bool = False
) -> dict:
    """The frozen content of ``review``'s scope at ``now`` (see the module docstring).

    ``since``: check-ins after it are kept (default: one cadence before ``now``). Raises
    nothing for an empty scope (the pack then says so). Dated records are read as they stood
    at ``now``: measurements up to its day, target revisions, check-ins and action items up to
    it, milestones completed after it not done yet, action items closed after it open, an
    initiative's spend dated up to its day, its last check-in up to it (and the silence since)
    and, when it reported after ``now``, the progress of its last check-in up to it (0 when
    none: nothing reported yet).
    ``past``: ``now`` is a past moment (the demo's history, a replay), so the open alerts are
    read from the alert event log (``AlertEvent``: each alert's last step at or before
    ``now``) instead of the alerts' current status; scores are the latest (a history run has
    just written that day's).
    """
    today = timezone.localdate(now)
    strategy = review.strategy
    objective_ids, themes = scope_objective_ids(review=review, strategy=strategy)
    since = since or now - dt.timedelta(days=review.every_days)
    items: list[dict] = []
    names: dict[str, list] = {f"strategy:{strategy.pk}": [strategy.name, None]}

    objectives = list(
        Objective.objects.filter(id__in_ids=objective_ids)
        .order_by("theme__order", "title", "id")
        .values_list("id", "title", "team_id", "status", "theme_id", "parent_id", "due_date")
    )
    # As they stood at ``now``: the last check-in up to then (its progress is the progress
    # reported then) and the spend dated up to that day, not the current sums.
    checkins_then = CheckIn.objects.filter(
        initiative_id=OuterRef("pk"), created_at__lte=now
    ).order_by("-created_at", "-id")
    spend_then = (
        SpendEntry.objects.filter(initiative_id=OuterRef("pk"), date__lte=today)
        .order_by()
        .values("initiative_id")
        .annotate(total=Sum("amount"))
        .values("total")
    )
    last_checkin_then = Subquery(checkins_then.values("created_at")[:1])
    initiatives = list(
        Initiative.objects.filter(objective_id__in_ids=objective_ids)
        .annotate(
            progress_then=Subquery(checkins_then.values("progress")[:1]),
            reported_since=Exists(
                CheckIn.objects.filter(initiative_id=OuterRef("pk"), created_at__gt=now)
            ),
            spent_then=Coalesce(
                Subquery(spend_then),
                Value(0),
                output_field=DecimalField(max_digits=16, decimal_places=2),
            ),
            last_checkin_then=last_checkin_then,
            **checkin_silence_annotations(today=today, last_checkin=last_checkin_then),
        )
        .order_by("due_date", "title", "id")
        .values_list(
            *("id", "title", "team_id", "status", "objective_id", "progress", "due_date"),
            *("budget_planned", "spent_then", "last_checkin_then", "checkin_cadence_days"),
            *("checkin_days", "checkin_stale", "progress_then", "reported_since"),
        )
    )
    initiative_ids = [row[0] for row in initiatives]
    milestones = list(
        Milestone.objects.filter(initiative_id__in_ids=initiative_ids)
        .order_by("due_date", "id")
        .values_list(
            "id", "title", "initiative_id", "initiative__team_id", "due_date", "completed_on"
        )
    )
    latest = Measurement.objects.filter(kpi_id=OuterRef("pk"), as_of__lte=today).order_by(
        "-as_of", "-id"
    )
    revision = TargetRevision.objects.filter(kpi_id=OuterRef("pk"), changed_at__lte=now).order_by(
        "-changed_at", "-id"
    )
    kpis = list(
        KPI.objects.filter(
            Q(objective_id__in_ids=objective_ids) | Q(initiative_id__in_ids=initiative_ids),
            is_active=True,
        )
        .annotate(
            value=Subquery(latest.values("value")[:1]),
            value_as_of=Subquery(latest.values("as_of")[:1]),
            revision_id=Subquery(revision.values("id")[:1]),
            revision_reason=Subquery(revision.values("reason")[:1]),
            revision_at=Subquery(revision.values("changed_at")[:1]),
        )
        .order_by("name", "id")
        .values_list(
            *("id", "name", "team_id", "unit", "direction", "baseline_value", "target_value"),
            *("target_date", "objective_id", "initiative_id", "value", "value_as_of"),
            *("revision_id", "revision_reason", "revision_at", "owner_id"),
        )
    )
    kpi_ids = [row[0] for row in kpis]
    trends = kpi_trends(kpi_ids=kpi_ids, today=today)
    theme_ids = [t.pk for t in themes]

    subjects = (
        Q(subject_type=SubjectType.STRATEGY, subject_id=strategy.pk)
        | Q(subject_type=SubjectType.THEME, subject_id__in_ids=theme_ids)
        | Q(subject_type=SubjectType.OBJECTIVE, subject_id__in_ids=objective_ids)
        | Q(subject_type=SubjectType.INITIATIVE, subject_id__in_ids=initiative_ids)
        | Q(subject_type=SubjectType.KPI, subject_id__in_ids=kpi_ids)
    )
    milestone_ids = [row[0] for row in milestones]
    # The JSON texts parsed by orjson (``json_text``); a forecast only for a KPI (the only
    # subject whose forecast a pack keeps).
    scores: dict[tuple[str, int], dict] = {}
    for subject_type, subject_id, status, score, reason, reason_parts, components, forecast in (
        GapScore.objects.filter(is_latest=True)
        .filter(subjects)
        .annotate(
            reason_parts_text=json_column("reason_parts"),
            components_text=json_column("components"),
            forecast_text=json_column("forecast"),
        )
        .values_list(
            *("subject_type", "subject_id", "status", "score", "reason", "reason_parts_text"),
            *("components_text", "forecast_text"),
        )
    ):
        scores[(subject_type, subject_id)] = {
            "status": status,
            "score": score,
            "reason": reason,
            "reason_parts": json_text(reason_parts),
            "components": json_text(components),
            "forecast": json_text(forecast) if subject_type == SubjectType.KPI else None,
        }

    def scored(kind: str, pk: int) -> dict:
        return _score_fields(scores.get((kind, pk)))

    include_strategy = review.scope in ("strategy",)
    if include_strategy:
        items.append(
            {"k": "strategy", "id": strategy.pk, "team": None, "name": strategy.name}
            | scored("strategy", strategy.pk)
        )
    for theme in themes:
        names[f"theme:{theme.pk}"] = [theme.name, None]
        items.append(
            {"k": "theme", "id": theme.pk, "team": None, "name": theme.name}
            | scored("theme", theme.pk)
        )
    for pk, title, team_id, status, theme_id, parent_id, due in objectives:
        names[f"objective:{pk}"] = [title, team_id]
        items.append(
            {
                "k": "objective",
                "id": pk,
                "team": team_id,
                "name": title,
                "state": status,
                "theme": theme_id,
                "parent": parent_id,
                "due": _iso(due),
            }
            | scored("objective", pk)
        )
    for row in initiatives:
        (pk, title, team_id, status, objective_id, progress, due) = row[:7]
        (budget, spent, last_checkin, cadence, silent_days, stale) = row[7:13]
        progress_then, reported_since = row[13:]
        if reported_since:
            # Its current progress was reported after ``now``: the last report up to then
            # (none: nothing reported yet). Otherwise the current value, which may also have
            # been set on the initiative itself.
            progress = progress_then if progress_then is not None else 0
        names[f"initiative:{pk}"] = [title, team_id]
        items.append(
            {
                "k": "initiative",
                "id": pk,
                "team": team_id,
                "name": title,
                "state": status,
                "objective": objective_id,
                "progress": progress,
                "due": _iso(due),
                "budget": _num(budget),
                "spent": _num(spent),
                "last_checkin": _iso(last_checkin),
                "cadence": cadence,
                "silent_days": silent_days,
                "checkin_missing": bool(stale) and status == Initiative.Status.ACTIVE,
            }
            | scored("initiative", pk)
        )
    for pk, title, initiative_id, team_id, due, done in milestones:
        done = done if done is None or done <= today else None  # completed after ``now``
        names[f"milestone:{pk}"] = [title, team_id]
        items.append(
            {
                "k": "milestone",
                "id": pk,
                "team": team_id,
                "name": title,
                "initiative": initiative_id,
                "due": _iso(due),
                "done": _iso(done),
                "overdue": done is None and due < today,
            }
        )
    for kpi_row in kpis:
        (pk, name, team_id, unit, direction, baseline, target, target_date) = kpi_row[:8]
        (objective_id, initiative_id, value, value_as_of) = kpi_row[8:12]
        (revision_id, revision_reason, revision_at, owner_id) = kpi_row[12:]
        names[f"kpi:{pk}"] = [name, team_id]
        row = scores.get(("kpi", pk)) or {}
        forecast = row.get("forecast") if isinstance(row.get("forecast"), dict) else None
        facts = (row.get("components") or {}) if isinstance(row.get("components"), dict) else {}
        planned = (facts.get("facts") or {}).get("planned_value")
        items.append(
            {
                "k": "kpi",
                "id": pk,
                "team": team_id,
                "name": name,
                "unit": unit,
                "direction": direction,
                "baseline": baseline,
                "target": target,
                "target_date": _iso(target_date),
                "objective": objective_id,
                "initiative": initiative_id,
                "owner_id": owner_id,
                "value": value,
                "value_as_of": _iso(value_as_of),
                "trend": trends.get(pk, []),
                "planned": planned if isinstance(planned, int | float) else None,
                "forecast": (
                    {
                        "misses_target": bool(forecast.get("misses_target")),
                        "probability": forecast.get("probability_on_target"),
                        "value_at_target": forecast.get("value_at_target"),
                    }
                    if forecast
                    else None
                ),
                "revision": (
                    {"id": revision_id, "reason": revision_reason, "at": _iso(revision_at)}
                    if revision_id
                    else None
                ),
            }
            | scored("kpi", pk)
        )

    alert_subjects = (
        Q(subject_type=SubjectType.STRATEGY, subject_id=strategy.pk)
        if include_strategy
        else Q(pk__in=[])
    )
    alert_subjects |= (
        Q(subject_type=SubjectType.THEME, subject_id__in_ids=theme_ids)
        | Q(subject_type=SubjectType.OBJECTIVE, subject_id__in_ids=objective_ids)
        | Q(subject_type=SubjectType.INITIATIVE, subject_id__in_ids=initiative_ids)
        | Q(subject_type=SubjectType.KPI, subject_id__in_ids=kpi_ids)
        | Q(subject_type=SubjectType.MILESTONE, subject_id__in_ids=milestone_ids)
    )
    for row in (
        _alerts_active(alert_subjects, now=now, past=past)
        .annotate(
            title_parts_text=json_column("title_parts"),
            message_parts_text=json_column("message_parts"),
        )
        .order_by("-severity", "-opened_at", "-id")
        .values(
            *("id", "kind", "severity", "subject_type", "subject_id", "team_id", "title"),
            *("title_parts_text", "message", "message_parts_text", "opened_at"),
            *("severity_then", "status_then"),
        )[:ALERT_LIMIT]
    ):
        items.append(
            {
                "k": "alert",
                "id": row["id"],
                "team": row["team_id"],
                "name": row["title"],
                "kind": row["kind"],
                "severity": row["severity_then"],
                "subject": [row["subject_type"], row["subject_id"]],
                "title": json_text(row["title_parts_text"]) or row["title"],
                "message": json_text(row["message_parts_text"]) or row["message"],
                "opened_at": _iso(row["opened_at"]),
                "state": row["status_then"],
            }
        )

    for (
        pk,
        created_at,
        rag,
        confidence,
        summary,
        initiative_id,
        team_id,
        first,
        last,
        username,
        author_id,
    ) in (
        CheckIn.objects.filter(
            initiative_id__in_ids=initiative_ids, created_at__gte=since, created_at__lte=now
        )
        .order_by("-created_at", "-id")
        .values_list(
            *("id", "created_at", "rag", "confidence", "summary", "initiative_id"),
            *("initiative__team_id", "author__first_name", "author__last_name"),
            "author__username",
            "author_id",
        )[:CHECKIN_LIMIT]
    ):
        items.append(
            {
                "k": "checkin",
                "id": pk,
                "team": team_id,
                "name": summary,
                "initiative": initiative_id,
                "at": _iso(created_at),
                "rag": rag,
                "confidence": confidence,
                "author": person_name(
                    first_name=first or "", last_name=last or "", username=username or ""
                ),
                "author_id": author_id,
            }
        )

    from reviews.models import ActionItem

    for pk, title, team_id, status, due, closed_at, first, last, username, owner_id in (
        ActionItem.objects.filter(meeting__review_id=review.pk, created_at__lte=now)
        .order_by("due_date", "id")
        .values_list(
            *("id", "title", "team_id", "status", "due_date", "closed_at"),
            *("owner__first_name", "owner__last_name", "owner__username", "owner_id"),
        )
    ):
        if closed_at is not None and closed_at > now:  # closed after ``now``: open then
            status, closed_at = "open", None
        items.append(
            {
                "k": "action",
                "id": pk,
                "team": team_id,
                "name": title,
                "state": status,
                "due": _iso(due),
                "closed_at": _iso(closed_at),
                "overdue": status == "open" and due < today,
                "owner": person_name(
                    first_name=first or "", last_name=last or "", username=username or ""
                ),
                "owner_id": owner_id,
            }
        )

    # Labels of everything the stored texts mention that is not an item of the pack.
    mentioned: set[tuple[str, int]] = set()
    for item in items:
        for name in ("reason", "title", "message"):
            text = item.get(name)
            if isinstance(text, dict):
                refs_collect(text, mentioned)
    missing = {key for key in mentioned if f"{key[0]}:{key[1]}" not in names}
    for kind, pk, name, label_team_id, _extra in derived_labels(missing) if missing else ():
        names[f"{kind}:{pk}"] = [name, label_team_id if kind != "team" else pk]

    scope_label = {
        "strategy": strategy.name,
        "theme": themes[0].name if themes else "a theme",
        "team": review.team.name if review.team_id else "a team",
        "objective": (
            names.get(f"objective:{review.objective_id}", ["an objective"])[0]
            if review.objective_id
            else "an objective"
        ),
    }.get(review.scope, strategy.name)
    return {
        "version": SNAPSHOT_VERSION,
        "as_of": today.isoformat(),
        "frozen_at": now.isoformat(),
        "since": since.isoformat(),
        "scope": {
            "kind": review.scope,
            "label": scope_label,
            "strategy": strategy.pk,
            "team": review.scope_team_id,
        },
        "items": items,
        "names": names,
    }


def kpi_trends(*, kpi_ids: list[int], today: dt.date) -> dict[int, list[list]]:
    """The latest ``TREND_POINTS`` measurements up to ``today`` of each KPI, oldest first, as
    ``{kpi id: [[ISO date, value], ...]}`` (one query: a row number per KPI by date)."""
    if not kpi_ids:
        return {}
    trends: dict[int, list[list]] = {}
    rows = (
        Measurement.objects.filter(kpi_id__in_ids=kpi_ids, as_of__lte=today)
        .annotate(
            recent=Window(RowNumber(), partition_by=[F("kpi_id")], order_by=[F("as_of").desc()])
        )
        .filter(recent__lte=TREND_POINTS)
        .order_by("kpi_id", "as_of")
        .values_list("kpi_id", "as_of", "value")
    )
    for kpi_id, as_of, value in rows:
        trends.setdefault(kpi_id, []).append([as_of.isoformat(), value])
    return trends


def _alerts_active(subjects: Q, *, now: dt.datetime, past: bool):
    """The alerts of ``subjects`` active at ``now``: their current status, or (``past``) their
    state in the alert event log at ``now`` (the last step at or before it not "resolved"; its
    severity and whether it was acknowledged then). One query either way."""
    if not past:
        return Alert.objects.filter(subjects, status__in=Alert.ACTIVE_STATUSES).annotate(
            severity_then=F("severity"), status_then=F("status")
        )
    from django.db.models import Case, CharField, Value, When

    from metrics.models import AlertEvent

    last = AlertEvent.objects.filter(alert_id=OuterRef("pk"), at__lte=now).order_by("-at", "-id")
    return (
        Alert.objects.filter(subjects)
        .annotate(_kind=Subquery(last.values("kind")[:1]))
        .exclude(_kind__isnull=True)
        .exclude(_kind=AlertEvent.Kind.RESOLVED)
        .annotate(
            severity_then=Subquery(last.values("severity")[:1]),
            status_then=Case(
                When(_kind=AlertEvent.Kind.ACKNOWLEDGED, then=Value(Alert.Status.ACKNOWLEDGED)),
                default=Value(Alert.Status.OPEN),
                output_field=CharField(),
            ),
        )
    )


def team_exists(team_ids: set[int]) -> set[int]:
    """Which of ``team_ids`` still exist (one query)."""
    return set(Team.objects.filter(id__in_ids=team_ids).values_list("id", flat=True))
