"""Reading the history for a reader: its shapes (``History``, ``Version``, ``Change``) and
``history_for`` / ``histories_for``, sealed versions and hidden names included."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass, field

from django.db import models
from django.http import Http404

from activity.history.names import _display, _related_names
from activity.history.tracking import (
    HIDDEN_NAME,
    TrackedKind,
    _m2m_members,
    tracked_fields,
    tracked_kind,
    tracked_m2m_fields,
)
from activity.history.visibility import _object_visible, _private_then, _team_of
from initiatives.models import Initiative
from strategy.access import Access
from strategy.people import person_name


@dataclass
class Change:
    """One field's change: ``before`` / ``after`` as display text (``None``: nothing before)."""

    field: str
    label: str
    before: str | None
    after: str


@dataclass
class Version:
    """One recorded version as its reader may see it. A sealed version has no values, no
    changes and no author."""

    history_id: int
    at: dt.datetime
    action: str  # "created", "changed", "deleted"
    by: str | None
    reason: str
    sealed: bool
    changes: list[Change] = field(default_factory=list)
    restorable: bool = False


@dataclass
class History:
    """The history of one object for one reader, newest first (at most ``limit`` versions)."""

    tracked: TrackedKind
    object_id: int
    title: str
    current: models.Model | None  # None: deleted
    versions: list[Version]
    total: int
    can_restore: bool


ACTIONS = {"+": "created", "~": "changed", "-": "deleted"}


def history_for(*, kind: str, pk: int, access: Access, limit: int = 200) -> History:
    """The object's history as this reader may see it, newest first, at most ``limit``
    versions (``total`` says how many there are). ``Http404`` when the reader may not see
    the object (or it never existed). ``histories_for`` of one object."""
    found = histories_for(kind=kind, pks=[pk], access=access, limit=limit)
    if pk not in found:
        raise Http404("No such object.")
    return found[pk]


def histories_for(
    *, kind: str, pks: Iterable[int], access: Access, limit: int = 200
) -> dict[int, History]:
    """The histories of these objects of one kind as this reader may see them (``{pk:
    History}``, see ``history_for``); an object the reader may not see, or that never existed,
    is left out. For the exports of lists (issue #16: history is exported with the object).

    Queries: the versions (with their authors), the objects, the teams (their chains) and their
    history, the names of related objects (one per related model), the versions' many-to-many
    members (one per field); a milestone's initiatives (two): the same whatever the number of
    objects and versions.
    """
    tracked = tracked_kind(kind)
    # An id out of the database's range is no object (``__in`` would fail on it, not miss).
    pks = [pk for pk in dict.fromkeys(pks) if -(2**63) <= pk < 2**63]
    if not pks:
        return {}
    by_object: dict[int, list] = {}
    for record in (
        tracked.model.history.filter(id__in=pks)
        .select_related("history_user")
        .order_by("history_date", "history_id")
    ):
        by_object.setdefault(record.id, []).append(record)
    currents = tracked.model._default_manager.in_bulk(pks)
    initiative_teams: dict[int, int] = {}
    if tracked.kind == "milestone":
        ids = {r.initiative_id for records in by_object.values() for r in records}
        initiative_teams = dict(Initiative.objects.filter(id__in=ids).values_list("id", "team_id"))
        for r in Initiative.history.filter(id__in=ids - set(initiative_teams)).order_by(
            "history_date"
        ):
            initiative_teams[r.id] = r.team_id  # a deleted initiative: its last team
    visible: list[int] = []
    for pk in pks:
        records, current = by_object.get(pk, []), currents.get(pk)
        if not records and current is None:
            continue
        # An object older than the history (before ``populate_history``) has no version yet.
        shown_as = current or records[-1]
        now_team = _team_of(tracked, shown_as, initiative_teams)
        if now_team is not None:
            if access.is_office or (access.sees_anything and access.can_view_team(now_team)):
                visible.append(pk)
        elif _object_visible(tracked, access, shown_as):
            visible.append(pk)
    every = [r for pk in visible for r in by_object.get(pk, [])]
    team_ids = {t for r in every if (t := _team_of(tracked, r, initiative_teams)) is not None}
    private = _private_then(team_ids) if team_ids and not access.is_office else None

    def sealed(record) -> bool:
        if private is None:
            return False
        team_id = _team_of(tracked, record, initiative_teams)
        if team_id is None:
            return False
        if not access.can_view_team(team_id):
            return True
        return private(team_id, record.history_date) and team_id not in access.roles

    fields = tracked_fields(tracked.model)
    is_sealed = {r.history_id: sealed(r) for r in every}
    shown = [r for r in every if not is_sealed[r.history_id]]
    m2m_fields = tracked_m2m_fields(tracked.model)
    members = _m2m_members(tracked.model, shown) if m2m_fields else {}
    # Contributors by name, dependencies by title (hidden when the reader may not see them).
    member_ids: dict[type[models.Model], set[int]] = {}
    for m2m in m2m_fields:
        member_ids.setdefault(m2m.related_model, set()).update(
            p for ids in members[m2m.name].values() for p in ids
        )
    names = _related_names(fields, shown, access, member_ids)
    return {
        pk: _history_of(
            tracked=tracked,
            pk=pk,
            records=by_object.get(pk, []),
            current=currents.get(pk),
            sealed=is_sealed,
            fields=fields,
            m2m_fields=m2m_fields,
            members=members,
            names=names,
            access=access,
            limit=limit,
        )
        for pk in visible
    }


def _history_of(
    *,
    tracked: TrackedKind,
    pk: int,
    records: list,
    current,
    sealed: dict[int, bool],
    fields: list,
    m2m_fields: list,
    members: dict,
    names: dict,
    access: Access,
    limit: int,
) -> History:
    """One object's ``History`` from the versions and names read for several (no query)."""
    latest = records[-1] if records else None

    def people(m2m, record) -> str:
        listed = sorted(
            names.get((m2m.related_model, p), f"#{p}")
            for p in members[m2m.name].get(record.history_id, ())
        )
        return ", ".join(listed) or "—"

    versions: list[Version] = []
    previous = None
    previous_sealed = False
    for record in records:
        is_sealed = sealed[record.history_id]
        action = ACTIONS.get(record.history_type, record.history_type)
        if is_sealed:
            versions.append(Version(record.history_id, record.history_date, action, None, "", True))
        else:
            changes = []
            if record.history_type != "-":
                for f in fields:
                    after = getattr(record, f.attname)
                    before = None if previous is None else getattr(previous, f.attname)
                    if previous is not None and before == after:
                        continue
                    if previous is None and record.history_type == "+" and after in (None, ""):
                        continue
                    changes.append(
                        Change(
                            field=f.name,
                            label=str(f.verbose_name),
                            before=(
                                HIDDEN_NAME
                                if previous_sealed
                                else None
                                if previous is None
                                else _display(f, before, names)
                            ),
                            after=_display(f, after, names),
                        )
                    )
                for m2m in m2m_fields:
                    after_ids = members[m2m.name].get(record.history_id, frozenset())
                    before_ids: frozenset[int] = (
                        frozenset()
                        if previous is None or previous_sealed
                        else members[m2m.name].get(previous.history_id, frozenset())
                    )
                    if after_ids == before_ids and not previous_sealed:
                        continue
                    if previous_sealed and not after_ids:
                        continue
                    changes.append(
                        Change(
                            field=m2m.name,
                            label=str(m2m.verbose_name),
                            before=HIDDEN_NAME
                            if previous_sealed
                            else None
                            if previous is None
                            else people(m2m, previous),
                            after=people(m2m, record),
                        )
                    )
            user = record.history_user
            versions.append(
                Version(
                    history_id=record.history_id,
                    at=record.history_date,
                    action=action,
                    by=person_name(
                        first_name=user.first_name,
                        last_name=user.last_name,
                        username=user.get_username(),
                    )
                    if user is not None
                    else None,
                    reason=record.history_change_reason or "",
                    sealed=False,
                    changes=changes,
                    restorable=(
                        access.is_office
                        and current is not None
                        and record.history_type != "-"
                        and record is not latest
                    ),
                )
            )
        previous, previous_sealed = record, is_sealed
    versions.reverse()
    # Listed: it still exists, or it has versions (``history_for``).
    title = str(current) if current is not None else str(records[-1].instance)
    return History(
        tracked=tracked,
        object_id=pk,
        title=title,
        current=current,
        versions=versions[:limit],
        total=len(versions),
        can_restore=access.is_office and current is not None,
    )
