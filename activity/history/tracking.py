"""What the history tracks: the tracked models by kind (``TRACKED``), the fields and many-to-many
fields their versions record, and the history of rows created in bulk."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, TypeAlias, cast

from django.db import models
from django.http import Http404
from django.utils import timezone

from initiatives.models import Initiative, Milestone
from metrics.models import KPI, Webhook
from strategy.models import Membership, Objective, Period, Strategy, Team, Theme

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
