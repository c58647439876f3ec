"""One exported row per object, in its sheet's columns: objectives, initiatives, KPIs,
milestones, measurements, check-ins, spend and alerts, and what they share (a person, a team,
a keyed reference as the reader may see it)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from django.db.models import QuerySet

from sheets.columns import (
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
