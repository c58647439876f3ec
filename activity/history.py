"""The history of every change of the plan's definitions, read for its reader, and undo.

Recorded by django-simple-history (a ``history`` field on each tracked model, see
``strategy.models.history_records``): one row per create, update and delete, with who
(``history_user``), when (``history_date``) and the value of every tracked field after the
change. Bulk writes record theirs with ``bulk_create_with_history`` /
``bulk_update_with_history`` (hand-over, demo builder). django-simple-history rather than
django-pghistory: pghistory records through PostgreSQL triggers, and SQLite is the embedded
default.

Reading (``history_for``) goes through ``strategy.access``:

* the object's history is shown to those who may see the object now (a deleted object: its
  last recorded version);
* a version recorded while the object belonged to a team the reader cannot see now, **or** to a
  team (or a team above it) that was private at that moment, is *sealed* for anyone without a
  role on that team: it shows that a change happened, by nobody named, with no values. So old
  values of a private object stay private even after its team was made public or it moved;
* names of related objects (parent objective, team) are rendered only when the reader may see
  them.

Undo (``history_restore``): the strategy office puts an earlier version's values back through
the object's own save service (validated, version-checked), which records the restore as a new
version with the reason "Restored the version of …".
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from decimal import Decimal
from typing import TYPE_CHECKING, Any, TypeAlias, cast

from django.contrib.auth import get_user_model
from django.core.exceptions import PermissionDenied
from django.db import models, transaction
from django.http import Http404
from django.utils import formats, timezone

from initiatives.models import Initiative, Milestone
from metrics.models import KPI, Webhook
from strategy.access import Access
from strategy.models import Membership, Objective, Period, Strategy, Team, Theme
from strategy.people import person_name

if TYPE_CHECKING:
    # The models with a ``history`` (django-simple-history's manager of their versions).
    TrackedModel: TypeAlias = (
        Strategy | Period | Theme | Team | Membership | Objective | Initiative | Milestone | KPI
    ) | Webhook

HIDDEN_NAME = "a part you cannot see"
SEALED = "sealed"


@dataclass(frozen=True)
class TrackedKind:
    """A tracked model as the history pages name it (``/history/<kind>/<pk>/``)."""

    kind: str
    model: type[TrackedModel]
    label: str

    @property
    def history_model(self) -> type[models.Model]:
        """The historical model that django-simple-history made for ``model``."""
        return self.model.history.model


TRACKED: dict[str, TrackedKind] = {
    k.kind: k
    for k in (
        TrackedKind("strategy", Strategy, "strategy"),
        TrackedKind("period", Period, "period"),
        TrackedKind("theme", Theme, "theme"),
        TrackedKind("team", Team, "team"),
        TrackedKind("membership", Membership, "membership"),
        TrackedKind("objective", Objective, "objective"),
        TrackedKind("initiative", Initiative, "initiative"),
        TrackedKind("milestone", Milestone, "milestone"),
        TrackedKind("kpi", KPI, "KPI"),
        TrackedKind("webhook", Webhook, "webhook"),
    )
}


def tracked_kind(kind: str) -> TrackedKind:
    """The tracked kind of this name; ``Http404`` for any other."""
    try:
        return TRACKED[kind]
    except KeyError:
        raise Http404("No history of that kind.") from None


def tracked_fields(model: type[TrackedModel]) -> list[models.Field]:
    """The model's fields that its history records (not the key, not the bookkeeping)."""
    recorded = {f.attname for f in model.history.model._meta.concrete_fields}
    return [
        f
        for f in model._meta.concrete_fields
        if not f.primary_key and f.attname in recorded and not f.name.startswith("history_")
    ]


def history_record_created(*, model: type[models.Model], ids: list[int], by) -> None:
    """Record the creation of rows just inserted in bulk, in one ``INSERT ... SELECT`` per
    chunk from the rows themselves: the same historical rows ``bulk_create_with_history``
    writes (type ``+``, every recorded field, ``by`` as the user, now as the date, no reason)
    without building a model instance per row (the plan import, issue #16). ``ids``: primary
    keys of rows of ``model`` (a tracked model)."""
    from django.db import connection

    history = model.history.model  # type: ignore[attr-defined]  # the caller passes tracked models only
    own = {"history_id", "history_date", "history_change_reason", "history_type", "history_user"}
    columns = [f.column for f in history._meta.concrete_fields if f.name not in own]
    quote = connection.ops.quote_name
    names = ", ".join(quote(c) for c in columns)
    now = connection.ops.adapt_datetimefield_value(timezone.now())
    user_id = getattr(by, "pk", None)
    pk = quote(cast(str, model._meta.pk.column))  # a concrete field has a column
    for start in range(0, len(ids), 1000):
        chunk = ids[start : start + 1000]
        # Table and column names come from the models' metadata, never from input.
        sql = (
            f"INSERT INTO {quote(history._meta.db_table)} "  # noqa: S608
            f"({names}, history_date, history_change_reason, history_type, history_user_id) "
            f"SELECT {names}, %s, NULL, '+', %s FROM {quote(model._meta.db_table)} "
            f"WHERE {pk} IN ({', '.join(['%s'] * len(chunk))})"
        )
        with connection.cursor() as cursor:
            cursor.execute(sql, [now, user_id, *chunk])


def tracked_m2m_fields(model: type[TrackedModel]) -> list[models.ManyToManyField]:
    """The model's many-to-many fields whose members its history records (``m2m_fields``)."""
    return list(getattr(model.history.model, "_history_m2m_fields", ()))


def _m2m_members(model: type[TrackedModel], records: list) -> dict[str, dict[int, frozenset]]:
    """``{field name: {history_id: member ids}}`` of the tracked many-to-many fields in these
    versions: one query per field."""
    members: dict[str, dict[int, frozenset]] = {}
    ids = [r.history_id for r in records]
    for m2m in tracked_m2m_fields(model):
        table = getattr(model.history.model, m2m.name).model
        target = m2m.m2m_reverse_field_name()
        found: dict[int, set] = {i: set() for i in ids}
        for history_id, member in table.objects.filter(history_id__in=ids).values_list(
            "history_id", f"{target}_id"
        ):
            found[history_id].add(member)
        members[m2m.name] = {i: frozenset(v) for i, v in found.items()}
    return members


# --- reading ----------------------------------------------------------------------------------
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


def _team_of(tracked: TrackedKind, record, initiative_teams: dict[int, int]) -> int | None:
    """The team a version belonged to (``None``: a kind no team owns)."""
    kind = tracked.kind
    if kind == "team":
        return record.id
    if kind in ("objective", "initiative", "kpi", "membership"):
        return record.team_id
    if kind == "milestone":
        return initiative_teams.get(record.initiative_id)
    return None


def _object_visible(tracked: TrackedKind, access: Access, record) -> bool:
    """May this reader see the object (its latest version)?"""
    if access.is_office:
        return True
    if not access.sees_anything:
        return False
    kind = tracked.kind
    if kind == "webhook":
        return record.owner_id is not None and record.owner_id == access.user_id
    # Team-owned kinds are decided by the caller with the team.
    return kind in ("strategy", "period", "theme")


def _private_then(team_ids: set[int]) -> Callable[[int, dt.datetime], bool]:
    """``private(team_id, at)``: whether the team or a team above it was private at ``at``,
    from the teams' own history (the earliest recorded state for times before it; the
    current state when a team has no history). Two queries: the teams' parents, their history.
    """
    parent_of, now_private = {}, {}
    for team_id, parent_id, is_private in Team.objects.values_list("id", "parent_id", "is_private"):
        parent_of[team_id], now_private[team_id] = parent_id, is_private
    chains: dict[int, set[int]] = {}
    for t in team_ids:
        chain: set[int] = set()
        step: int | None = t
        while step is not None and step not in chain:
            chain.add(step)
            step = parent_of.get(step)
        chains[t] = chain
    everyone = set().union(*chains.values()) if chains else set()
    timeline: dict[int, list[tuple[dt.datetime, bool]]] = {}
    for team_id, at, is_private in (
        Team.history.filter(id__in=everyone)
        .order_by("history_date", "history_id")
        .values_list("id", "history_date", "is_private")
    ):
        timeline.setdefault(team_id, []).append((at, is_private))

    def team_private(team_id: int, at: dt.datetime) -> bool:
        states = timeline.get(team_id)
        if not states:
            return now_private.get(team_id, False)
        state = states[0][1]
        for when, is_private in states:
            if when > at:
                break
            state = is_private
        # Private at any recorded moment up to and including ``at``'s state: the latest.
        return state

    def private(team_id: int, at: dt.datetime) -> bool:
        return any(team_private(t, at) for t in chains.get(team_id, {team_id}))

    return private


def _display(model_field: models.Field, value, names: dict) -> str:
    if value is None or value == "":
        return "—"
    if model_field.is_relation:
        return names.get((model_field.related_model, value), f"#{value}")
    if model_field.choices:
        return str(dict(model_field.flatchoices).get(value, value))
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, dt.datetime):
        return formats.date_format(timezone.localtime(value), "j M Y H:i")
    if isinstance(value, dt.date):
        return formats.date_format(value, "j M Y")
    if isinstance(value, Decimal):
        return format(value.normalize(), "f")
    return str(value)


def _related_names(
    fields: list[models.Field],
    records: list,
    access: Access,
    members: dict[type[models.Model], set[int]] | None = None,
) -> dict:
    """``{(model, id): name}`` for every related object named in these versions (and for the
    many-to-many ``members``, ``{model: ids}``), one query per related model; an object the
    reader may not see is named ``HIDDEN_NAME``."""
    User = get_user_model()
    wanted: dict[type[models.Model], set[int]] = {m: set(ids) for m, ids in (members or {}).items()}
    for f in fields:
        if f.is_relation:
            ids = {getattr(r, f.attname) for r in records} - {None}
            if ids:
                # A concrete relation names its model.
                wanted.setdefault(cast(type[models.Model], f.related_model), set()).update(ids)
    names: dict = {}
    for model, ids in wanted.items():
        if model is User:
            names.update(_people_names(ids))
            continue
        label_field = next(
            (n for n in ("title", "name") if any(f.name == n for f in model._meta.fields)),
            None,
        )
        # The related models' ``objects`` is their only manager (``_default_manager``).
        rows: Iterable[tuple[Any, Any, Any]]
        if model is Team:
            rows = Team.objects.filter(id__in=ids).values_list("id", "name", "id")
        elif label_field and any(f.name == "team" for f in model._meta.fields):
            rows = model._default_manager.filter(id__in=ids).values_list(
                "id", label_field, "team_id"
            )
        elif label_field:
            rows = (
                (pk, label, None)
                for pk, label in model._default_manager.filter(id__in=ids).values_list(
                    "id", label_field
                )
            )
        else:
            rows = (
                (pk, str(obj), None)
                for pk, obj in ((o.pk, o) for o in model._default_manager.filter(id__in=ids))
            )
        found = set()
        for pk, label, team_id in rows:
            found.add(pk)
            visible = team_id is None or access.can_view_team(team_id)
            names[(model, pk)] = label if visible else HIDDEN_NAME
        for pk in ids - found:
            names[(model, pk)] = f"a deleted {model._meta.verbose_name}"
    return names


def _people_names(ids: set[int]) -> dict:
    """``{(User, id): name}`` of these people (one query; none without ids)."""
    User = get_user_model()
    if not ids:
        return {}
    return {
        (User, pk): person_name(first_name=first, last_name=last, username=username)
        for pk, first, last, username in User.objects.filter(id__in=ids).values_list(
            "id", "first_name", "last_name", "username"
        )
    }


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


# --- undo -------------------------------------------------------------------------------------
def _save(tracked: TrackedKind, instance: TrackedModel, *, by, version: int | None, reason: str):
    from initiatives.services import initiative_save, milestone_save
    from metrics.services import kpi_plan, kpi_save, webhook_save
    from strategy.services import (
        objective_save,
        period_save,
        strategy_save,
        team_save,
        theme_save,
    )

    # The instance is one of ``tracked.model``, the model of its kind.
    kind = tracked.kind
    if kind == "objective" and isinstance(instance, Objective):
        return objective_save(objective=instance, version=version, by=by)
    if kind == "initiative" and isinstance(instance, Initiative):
        return initiative_save(initiative=instance, version=version, by=by)
    if kind == "kpi" and isinstance(instance, KPI):
        stored = KPI.objects.get(pk=instance.pk)
        return kpi_save(
            kpi=instance,
            changed_by=by,
            reason=reason,
            previous_plan=kpi_plan(kpi=stored),
            version=version,
        )
    if kind == "membership":
        instance.full_clean()
        instance.save()
        return instance
    if kind == "strategy" and isinstance(instance, Strategy):
        return strategy_save(strategy=instance, version=version)
    if kind == "period" and isinstance(instance, Period):
        return period_save(period=instance, version=version)
    if kind == "theme" and isinstance(instance, Theme):
        return theme_save(theme=instance, version=version)
    if kind == "team" and isinstance(instance, Team):
        return team_save(team=instance, version=version)
    if kind == "milestone" and isinstance(instance, Milestone):
        return milestone_save(milestone=instance, version=version, by=by)
    if kind == "webhook" and isinstance(instance, Webhook):
        return webhook_save(webhook=instance, version=version)
    raise KeyError(kind)


@transaction.atomic
def history_restore(
    *, kind: str, pk: int, history_id: int, by, access: Access, version: int | None = None
) -> models.Model | None:
    """Put back the values of an earlier version of a definition (undo).

    Only the strategy office restores (``PermissionDenied``). The object must still exist
    (``Http404`` otherwise, or for a version of another object). The values go through the
    object's own save service: validated (``ValidationError`` by field, e.g. a parent that
    was deleted since), version-checked against ``version`` when given (``VersionConflict``),
    and recorded as a new version by ``by`` with the reason "Restored the version of …".
    Returns the saved object, or ``None`` when the earlier version has the same values as the
    current state (nothing is written, no version is recorded).
    """
    if not access.is_office:
        raise PermissionDenied("Only the strategy office restores an earlier version.")
    tracked = tracked_kind(kind)
    record = tracked.model.history.filter(id=pk, history_id=history_id).first()
    instance = tracked.model._default_manager.filter(pk=pk).first()
    if record is None or instance is None or record.history_type == "-":
        raise Http404("No such version.")
    editable = [f for f in tracked_fields(tracked.model) if f.editable]
    if all(getattr(instance, f.attname) == getattr(record, f.attname) for f in editable):
        return None
    for f in editable:
        setattr(instance, f.attname, getattr(record, f.attname))
    when = formats.date_format(timezone.localtime(record.history_date), "j M Y H:i")
    reason = f"Restored the version of {when}"
    # Read by django-simple-history when the save records the version.
    instance._history_user = by  # type: ignore[union-attr]  # set for simple_history, not a field
    instance._change_reason = reason  # type: ignore[union-attr]  # set for simple_history, not a field
    return _save(tracked, instance, by=by, version=version, reason=reason)
