"""Rows of the exports, in the columns of the import's sheets (``sheets.columns``), so that an
exported file imports back as updates that change nothing.

Each function takes a queryset the caller has already scoped to what the reader may see
(``strategy.access``; a list page passes its filtered selector) and names what the reader sees
on the pages: people by e-mail and name, teams by slug and name, parents and objectives by key
and title, with their ids. A parent, objective or initiative in a team hidden from the reader
is left empty, never named. A fixed number of queries whatever the number of rows.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from typing import Any

from django.db.models import QuerySet

from sheets.columns import (
    ACTION_ITEMS,
    ALERTS,
    CHECKINS,
    HISTORY,
    INITIATIVES,
    KPIS,
    MEASUREMENTS,
    MILESTONES,
    OBJECT_HISTORY,
    OBJECTIVES,
    PACK_CHANGES,
    SPEND,
    Sheet,
)
from strategy.access import Access
from strategy.models import Priority

PRIORITY_NAME = {value: label.lower() for value, label in Priority.choices}


def _person(prefix: str, user) -> dict[str, Any]:
    if user is None:
        return {prefix: None, f"{prefix}_name": None, f"{prefix}_id": None}
    return {
        prefix: user.email or user.username,
        f"{prefix}_name": user.get_full_name() or user.username,
        f"{prefix}_id": user.pk,
    }


def _team(team) -> dict[str, Any]:
    if team is None:
        return {"team": None, "team_name": None, "team_id": None}
    return {"team": team.slug, "team_name": team.name, "team_id": team.pk}


def _keyed(prefix: str, subject, access: Access, *, title: str | None = None) -> dict[str, Any]:
    """An objective, initiative or KPI named by key (and ``title`` attribute), with its id;
    empty when there is none or it is in a team hidden from the reader (never named)."""
    if subject is not None and not access.can_view_team(subject.team_id):
        subject = None
    row = {
        prefix: subject.key if subject else None,
        f"{prefix}_id": subject.pk if subject else None,
    }
    if title:
        row[f"{prefix}_title"] = getattr(subject, title) if subject else None
    return row


def _in_order(queryset: QuerySet) -> QuerySet:
    """The caller's order (a list page's sort), else by id."""
    return queryset if queryset.query.order_by else queryset.order_by("id")


def _ordered(sheet: Sheet, rows: Iterator[dict]) -> Iterator[list]:
    headers = sheet.headers
    for row in rows:
        yield [row.get(name) for name in headers]


def _definition(o) -> dict[str, Any]:
    """The columns objectives and initiatives share (the sheet puts them in its order)."""
    return {
        "key": o.key,
        "title": o.title,
        **_team(o.team),
        **_person("owner", o.owner),
        "status": o.status,
        "priority": PRIORITY_NAME.get(o.priority),
        "weight": o.weight,
        "start_date": o.start_date,
        "due_date": o.due_date,
        "description": o.description or None,
        "id": o.pk,
    }


def _objective_row(o, access: Access) -> dict[str, Any]:
    return {
        **_definition(o),
        **_keyed("parent", o.parent if o.parent_id else None, access, title="title"),
        "strategy": o.strategy.name,
        "strategy_id": o.strategy_id,
        "theme": o.theme.name,
        "theme_id": o.theme_id,
        "period": o.period.name,
        "period_id": o.period_id,
    }


def _initiative_row(i, access: Access) -> dict[str, Any]:
    return {
        **_definition(i),
        **_keyed("objective", i.objective, access, title="title"),
        "progress": i.progress,
        "budget_planned": i.budget_planned,
        "effort_planned_fte": i.effort_planned_fte,
        "checkin_cadence_days": i.checkin_cadence_days,
    }


def _kpi_row(k, access: Access) -> dict[str, Any]:
    return {
        "key": k.key,
        "name": k.name,
        **_keyed("objective", k.objective if k.objective_id else None, access),
        **_keyed("initiative", k.initiative if k.initiative_id else None, access),
        **_team(k.team),
        **_person("owner", k.owner),
        "kind": k.kind,
        "direction": k.direction,
        "unit": k.unit or None,
        "baseline_value": k.baseline_value,
        "baseline_date": k.baseline_date,
        "target_value": k.target_value,
        "target_date": k.target_date,
        "range_low": k.range_low,
        "range_high": k.range_high,
        "cadence_days": k.cadence_days,
        "weight": k.weight,
        "data_source": k.data_source or None,
        "is_active": k.is_active,
        "description": k.description or None,
        "id": k.pk,
    }


def _milestone_row(m, access: Access) -> dict[str, Any]:
    return {
        **_keyed("initiative", m.initiative, access),
        "title": m.title,
        "due_date": m.due_date,
        "completed_on": m.completed_on,
        "weight": m.weight,
        "id": m.pk,
    }


def _measurement_row(m, access: Access) -> dict[str, Any]:
    return {
        **_keyed("kpi", m.kpi, access),
        "as_of": m.as_of,
        "value": m.value,
        "note": m.note or None,
        "source": m.source,
        "entered_by": (m.entered_by.get_full_name() or m.entered_by.username)
        if m.entered_by_id
        else None,
        "id": m.pk,  # not a column of the sheet (a measurement is its KPI and date)
    }


def _checkin_row(c, access: Access) -> dict[str, Any]:
    return {
        **_keyed("initiative", c.initiative, access),
        "created_at": c.created_at,
        **_person("author", c.author),
        "status": c.rag,
        "confidence": c.confidence,
        "progress": c.progress,
        "summary": c.summary,
        "blockers": c.blockers or None,
        "blocker_tags": c.blocker_tags or None,
        "next_steps": c.next_steps or None,
        "id": c.pk,
    }


def _spend_row(s, access: Access) -> dict[str, Any]:
    return {
        **_keyed("initiative", s.initiative, access),
        "date": s.date,
        "amount": s.amount,
        "category": s.category or None,
        "note": s.note or None,
        **_person("entered_by", s.entered_by),
        "id": s.pk,
    }


def _alert_row(a, access: Access) -> dict[str, Any]:
    return {
        "kind": a.kind,
        "severity": a.get_severity_display().lower(),
        "status": a.status,
        "title": a.text.title,
        "message": a.text.message or None,
        "subject_type": a.subject_type,
        "subject_id": a.subject_id,
        **_team(a.team),
        **_person("owner", a.owner),
        "opened_at": a.opened_at,
        "last_seen_at": a.last_seen_at,
        "acknowledged_at": a.acknowledged_at,
        **_person("acknowledged_by", a.acknowledged_by),
        "resolved_at": a.resolved_at,
        **_person("resolved_by", a.resolved_by),
        "id": a.pk,
    }


def _alerts_prepare(alerts: list, access: Access) -> None:
    """Titles and messages in the reader's plain text (``metrics.explain.alerts_render``): an
    object the reader may not see is counted, never named. One query for all of them."""
    from metrics.explain import alerts_render

    alerts_render(alerts=alerts, access=access, html=False)


@dataclass(frozen=True)
class Export:
    """How one kind of object is written: its sheet, the relations its row reads (joined in
    the one query), its row (``(object, access) -> {column: value}``), an optional step over
    all the objects before the rows (one more query at most), and the default order."""

    sheet: Sheet
    related: tuple[str, ...]
    row: Callable[[Any, Access], dict[str, Any]]
    prepare: Callable[[list, Access], None] | None = None
    order: tuple[str, ...] = ("id",)


EXPORTS: dict[str, Export] = {
    "objective": Export(
        OBJECTIVES,
        ("parent", "strategy", "theme", "period", "team", "owner"),
        _objective_row,
    ),
    "initiative": Export(INITIATIVES, ("objective", "team", "owner"), _initiative_row),
    "kpi": Export(KPIS, ("objective", "initiative", "team", "owner"), _kpi_row),
    "milestone": Export(
        MILESTONES, ("initiative",), _milestone_row, order=("initiative_id", "due_date", "id")
    ),
    "measurement": Export(
        MEASUREMENTS, ("kpi", "entered_by"), _measurement_row, order=("as_of", "id")
    ),
    "checkin": Export(CHECKINS, ("initiative", "author"), _checkin_row, order=("created_at", "id")),
    "spend": Export(SPEND, ("initiative", "entered_by"), _spend_row, order=("date", "id")),
    "alert": Export(
        ALERTS,
        ("owner", "team", "acknowledged_by", "resolved_by"),
        _alert_row,
        prepare=_alerts_prepare,
    ),
}


def export_dicts(kind: str, *, queryset: QuerySet, access: Access) -> Iterator[dict[str, Any]]:
    """The rows of ``EXPORTS[kind]`` as ``{column: value}``, in the queryset's order (else the
    export's). ``queryset`` is already scoped to what the reader may see. A fixed number of
    queries whatever the number of rows; without a ``prepare`` step the rows stream."""
    export = EXPORTS[kind]
    if not queryset.query.order_by:
        queryset = queryset.order_by(*export.order)
    queryset = queryset.select_related(*export.related)
    objects: Iterable[Any]
    if export.prepare is not None:
        objects = list(queryset)
        export.prepare(objects, access)
    else:
        objects = queryset.iterator(chunk_size=2000)
    for obj in objects:
        yield export.row(obj, access)


def export_rows(kind: str, *, queryset: QuerySet, access: Access) -> tuple[Sheet, Iterator[list]]:
    """``(sheet, rows)``: the rows of ``export_dicts`` in the sheet's column order."""
    sheet = EXPORTS[kind].sheet
    return sheet, _ordered(sheet, export_dicts(kind, queryset=queryset, access=access))


def api_named_columns(kind: str, *, queryset: QuerySet, access: Access) -> dict[int, dict]:
    """For the API's CSV (``execsupport.api.CSVRenderer``): id -> the sheet's naming columns
    under their API names (``Column.api``: people, teams, themes and parents by name next to
    the API's ids). One column definition serves the page exports and the API."""
    sheet = EXPORTS[kind].sheet
    naming = [(column.name, column.api) for column in sheet.columns if column.api]
    return {
        row["id"]: {api: row.get(name) for name, api in naming}
        for row in export_dicts(kind, queryset=queryset, access=access)
    }


def api_named_columns_by_model() -> dict[type, Callable[[QuerySet, Access], dict[int, dict]]]:
    """Model -> its ``api_named_columns`` (for ``execsupport.api.CSV_NAMED_COLUMNS``)."""
    from initiatives.models import CheckIn, Initiative, Milestone, SpendEntry
    from metrics.models import KPI, Alert, Measurement
    from strategy.models import Objective

    models = {
        "objective": Objective,
        "initiative": Initiative,
        "kpi": KPI,
        "milestone": Milestone,
        "measurement": Measurement,
        "checkin": CheckIn,
        "spend": SpendEntry,
        "alert": Alert,
    }

    def named_columns(kind: str) -> Callable[[QuerySet, Access], dict[int, dict]]:
        return lambda queryset, access: api_named_columns(kind, queryset=queryset, access=access)

    return {model: named_columns(kind) for kind, model in models.items()}


def _history_dicts(history) -> Iterator[dict]:
    """The rows of one ``activity.history.History``: newest first, one per changed field (one
    for a version that changed no field, or is sealed)."""
    for version in history.versions:
        base = {
            "at": version.at,
            "action": version.action,
            "by": version.by,
            "reason": version.reason or None,
            "sealed": version.sealed,
            "history_id": version.history_id,
        }
        if not version.changes:
            yield base
        for change in version.changes:
            yield {
                **base,
                "field": change.field,
                "label": change.label,
                "before": change.before,
                "after": change.after,
            }


def history_export(*, history) -> tuple[Sheet, Iterator[list]]:
    """An object's history as its reader sees it (``activity.history.history_for``: sealed
    versions without values), newest first, one row per changed field (one row for a version
    that changed no field, or is sealed): ``(sheet, rows)``."""
    return HISTORY, _ordered(HISTORY, _history_dicts(history))


# The kinds of export whose objects have a history (``activity.history.TRACKED``); measurements
# and check-ins keep their own correction records, alerts their event log.
HISTORY_KINDS = ("objective", "initiative", "kpi", "milestone")
EVERY_VERSION = 10**9


def objects_history_dicts(kind: str, *, queryset: QuerySet, access: Access) -> Iterator[dict]:
    """The history of every object of ``queryset`` (scoped by the caller, in its order), as
    the History tab shows it to this reader (``activity.history.histories_for``: through
    ``strategy.access``, old values of a private object sealed): the object's kind, key, id and
    title, then the History tab's columns. ``kind``: one of ``HISTORY_KINDS``. A fixed number of
    queries whatever the number of objects and versions."""
    from activity.history import histories_for

    pks = list(queryset.values_list("pk", flat=True))
    histories = histories_for(kind=kind, pks=pks, access=access, limit=EVERY_VERSION)
    for pk in pks:
        history = histories.get(pk)
        if history is None:
            continue
        about = {
            "kind": kind,
            "key": getattr(history.current, "key", None),
            "object_id": pk,
            "object": history.title,
        }
        for row in _history_dicts(history):
            yield {**about, **row}


def objects_history_export(
    kind: str, *, queryset: QuerySet, access: Access
) -> tuple[Sheet, Iterator[list]]:
    """``(sheet, rows)`` of ``objects_history_dicts``: the History sheet of an export."""
    return OBJECT_HISTORY, _ordered(
        OBJECT_HISTORY, objects_history_dicts(kind, queryset=queryset, access=access)
    )


def plan_export(*, access: Access) -> list[tuple[Sheet, Iterator[list]]]:
    """Every objective, initiative, KPI and milestone the reader may see: the plan file, and
    their history (a History sheet, which the import skips)."""
    from initiatives.models import Initiative, Milestone
    from metrics.models import KPI
    from strategy.models import Objective

    initiatives = access.scope(Initiative.objects.all())
    querysets = {
        "objective": access.scope(Objective.objects.all()),
        "initiative": initiatives,
        "kpi": access.scope(KPI.objects.all()),
        "milestone": Milestone.objects.filter(initiative__in=initiatives),
    }
    history = itertools.chain.from_iterable(
        objects_history_dicts(kind, queryset=queryset, access=access)
        for kind, queryset in querysets.items()
    )
    return [
        *(
            export_rows(kind, queryset=queryset, access=access)
            for kind, queryset in querysets.items()
        ),
        (OBJECT_HISTORY, _ordered(OBJECT_HISTORY, history)),
    ]


def pack_changes_export(
    *, changes: list[dict], hidden: int, names, discussed: set[str], site_url: str
) -> tuple[Sheet, Iterator[list]]:
    """A pack's diff as its reader sees it (``reviews.selectors.pack_read``: ``changes``
    already filtered, ``hidden`` counted): ``(sheet, rows)``, biggest first. The changes in
    parts the reader cannot see are one combined row, counted, never named. No query."""

    def rows() -> Iterator[dict]:
        for rank, change in enumerate(changes, start=1):
            yield {
                "rank": rank,
                "change": change["label"],
                "about": change["subject"][0],
                "description": names.text(change["text"]),
                "weight": change["weight"],
                "discussed": change["key"] in discussed,
                "link": site_url + change["url"] if change.get("url") else None,
                "key": change["key"],
            }
        if hidden:
            yield {
                "change": "A change in a part you cannot see"
                if hidden == 1
                else f"{hidden} changes in parts you cannot see",
            }

    return PACK_CHANGES, _ordered(PACK_CHANGES, rows())


def action_items_export(*, items: list, shown_people: set[int]) -> tuple[Sheet, Iterator[list]]:
    """Action items the caller has filtered for the reader (with ``owner`` and ``meeting``
    joined): ``(sheet, rows)`` in the given order; an owner the reader may not see
    (``shown_people`` lacks them) is "someone you cannot see", without address. No query."""
    from django.utils import timezone

    today = timezone.localdate()

    def rows() -> Iterator[dict]:
        for item in items:
            owner = _person("owner", item.owner) if item.owner_id in shown_people else {}
            yield {
                "title": item.title,
                "status": item.status,
                "overdue": item.is_overdue(today),
                "due_date": item.due_date,
                "owner": owner.get("owner"),
                "owner_name": owner.get("owner_name") or "someone you cannot see",
                "meeting": timezone.localdate(item.meeting.starts_at) if item.meeting_id else None,
                "note": item.note or None,
                "closed_at": item.closed_at,
                "initiative_id": item.initiative_id,
                "id": item.pk,
            }

    return ACTION_ITEMS, _ordered(ACTION_ITEMS, rows())
