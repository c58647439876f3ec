"""The plan's common ground: timestamped and versioned models with their history, priorities
and the field validators the plan's models share.
"""

from __future__ import annotations

import copy
from collections.abc import Iterable
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from django.core.validators import MinValueValidator, RegexValidator
from django.db import models, router, transaction
from simple_history.models import HistoricalRecords
from typing_extensions import override

from execsupport.concurrency import VersionConflict
from execsupport.validation import (
    FieldConstraintsMixin,
)

if TYPE_CHECKING:
    from django.db.models.base import ModelBase


HEX_COLOUR = RegexValidator(r"^#[0-9a-fA-F]{6}$", "Enter a colour as #rrggbb.")
POSITIVE_WEIGHT = MinValueValidator(Decimal("0.01"))
# Bookkeeping that every save changes: not part of a definition's history (activity/history/).
HISTORY_BOOKKEEPING = ["created_at", "updated_at", "version"]


def history_records(
    *, excluded: tuple[str, ...] = (), m2m_fields: tuple[str, ...] = ()
) -> HistoricalRecords:
    """The history of a definition (django-simple-history): one row per create, update and
    delete with who, when and every tracked field's value; read through ``activity.history``.
    Its rows are kept when the object is deleted. ``m2m_fields``: many-to-many fields whose
    members each version records too; they are set through the model's service, which records
    one version per change (``initiatives.services.initiative_contributors_set``)."""
    return HistoricalRecords(
        excluded_fields=[*HISTORY_BOOKKEEPING, *excluded], m2m_fields=list(m2m_fields)
    )


def history_m2m_record(*, model: type[models.Model], records: list) -> None:
    """Write the current members of ``model``'s tracked many-to-many fields into these versions
    of its history (``records``: historical rows just created by a path that records fields
    only, e.g. ``bulk_history_create``, or by hand). Every field of the through row is copied
    (its id, and the extra fields of a custom through model, such as a dependency's note). One
    read and one insert per field."""
    history_model = model.history.model  # type: ignore[attr-defined]  # simple_history adds `history` to tracked models
    fields = getattr(history_model, "_history_m2m_fields", ())
    if not fields or not records:
        return
    object_ids = {record.id for record in records}
    for field in fields:
        table = getattr(history_model, field.name).model
        through = field.remote_field.through
        source = f"{field.m2m_field_name()}_id"
        names = [f.attname for f in through._meta.concrete_fields]
        members: dict[int, list[dict]] = {}
        for row in through.objects.filter(**{f"{source}__in": object_ids}).values(*names):
            members.setdefault(row[source], []).append(row)
        table.objects.bulk_create(
            table(history=record, **row) for record in records for row in members.get(record.id, ())
        )


class Priority(models.IntegerChoices):
    """The priority of an objective (and of the work under it): low 1 to critical 4."""

    LOW = 1, "Low"
    MEDIUM = 2, "Medium"
    HIGH = 3, "High"
    CRITICAL = 4, "Critical"


def _kept(value):
    # A JSON value read from the database is a fresh dict or list that the caller may change
    # in place: remember a copy, or the change would not be seen.
    return copy.deepcopy(value) if isinstance(value, dict | list) else value


class TimestampedModel(FieldConstraintsMixin, models.Model):
    """Created and updated times, and a save that writes only what changed.

    An instance read from the database remembers the values it was read with; ``save()``
    then writes only the fields whose value differs from them (and ``updated_at``), never the
    whole row as read. So two requests that change different fields of one row at the same
    time both keep their change (issue #12: writing the row as read lost 17 of 40 changes).
    An unchanged instance writes nothing. A new instance, an instance not read from the
    database, and a save with explicit ``update_fields`` save as Django always does.
    """

    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True, db_index=True)

    # Fields whose value ``save()`` sets itself rather than takes from the caller.
    UNTRACKED_FIELDS = frozenset({"created_at", "updated_at", "version"})
    # The values read from the database, by attname (set by ``from_db`` and ``_remember``).
    _loaded_values: dict[str, Any]

    class Meta:
        abstract = True

    @override
    def save(
        self,
        *,
        force_insert: bool | tuple[ModelBase, ...] = False,
        force_update: bool = False,
        using: str | None = None,
        update_fields: Iterable[str] | None = None,
        **options: Any,
    ) -> None:
        if update_fields is None and not (self._state.adding or force_insert):
            changed = self.changed_fields()
            if changed is not None:
                if not changed:
                    return  # nothing to write
                update_fields = [*changed, "updated_at"]
        self._save_row(
            force_insert=force_insert,
            force_update=force_update,
            using=using,
            update_fields=update_fields,
            **options,
        )
        self._remember(update_fields)

    @classmethod
    def from_db(cls, db, field_names, values, **kwargs: Any):
        """An instance as Django reads it, remembering the values it was read with (JSON values
        copied) so that ``save()`` writes only the fields changed since."""
        # ``**kwargs``: django-stubs already describes Django 6's ``fetch_mode`` keyword.
        instance = super().from_db(db, field_names, values, **kwargs)
        instance._loaded_values = {
            name: _kept(value)
            for name, value in zip(field_names, values, strict=True)
            if value is not models.DEFERRED
        }
        return instance

    @override
    def refresh_from_db(self, using=None, fields=None, from_queryset=None) -> None:
        super().refresh_from_db(using=using, fields=fields, from_queryset=from_queryset)
        self._remember(fields)

    def changed_fields(self) -> list[str] | None:
        """Names of the fields whose value differs from the one read from the database;
        ``None`` when the instance was not read from it (nothing to compare with)."""
        loaded = getattr(self, "_loaded_values", None)
        if loaded is None or self._state.adding:
            return None
        changed = []
        for field in self._meta.concrete_fields:
            if field.primary_key or field.name in self.UNTRACKED_FIELDS:
                continue
            if field.attname not in self.__dict__:
                continue  # deferred and never set
            if field.attname not in loaded or loaded[field.attname] != self.__dict__[field.attname]:
                changed.append(field.name)
        return changed

    def _save_row(self, **kwargs) -> None:
        super().save(**kwargs)

    def _remember(self, fields) -> None:
        """After a save or a refresh: what is now in the database for ``fields`` (all the
        loaded fields when ``None``) is what later changes are compared with."""
        loaded: dict[str, Any] | None = getattr(self, "_loaded_values", None)
        if loaded is None:
            loaded = self._loaded_values = {}
        names = set(fields) if fields is not None else None
        for field in self._meta.concrete_fields:
            if names is not None and field.name not in names and field.attname not in names:
                continue
            if field.attname in self.__dict__:
                loaded[field.attname] = _kept(self.__dict__[field.attname])


class VersionedModel(TimestampedModel):
    """A row with a version number, raised by one at each save (optimistic concurrency).

    ``save(expected_version=n)`` (a form's hidden version, the API's ``If-Match``) writes only
    if the row is still at version ``n``, else raises ``VersionConflict`` and writes nothing.
    Without it the save writes the changed fields whatever the version (and raises it).

    How: in the save's transaction the row is locked (``SELECT version ... FOR UPDATE``; on
    SQLite every write transaction is already exclusive) and its version compared, then the
    changed fields and the new version are written by one ``UPDATE``. A concurrent save of
    the same row waits for the lock and then sees the new version.
    """

    version = models.PositiveIntegerField(
        default=1,
        db_default=1,
        editable=False,
        help_text="Raised by one at every save; a form or API client that read an older version "
        "is told that someone else changed it meanwhile.",
    )

    class Meta:
        abstract = True

    def _save_row(self, *, expected_version: int | None = None, **kwargs) -> None:
        if self._state.adding or kwargs.get("force_insert"):
            super()._save_row(**kwargs)
            return
        using = kwargs.get("using") or router.db_for_write(type(self), instance=self)
        update_fields = kwargs.get("update_fields")
        with transaction.atomic(using=using):
            current = (
                type(self)
                ._base_manager.using(using)
                .select_for_update()
                .filter(pk=self.pk)
                .values_list("version", flat=True)
                .first()
            )
            if current is None or (expected_version is not None and current != expected_version):
                raise VersionConflict(
                    instance=self,
                    expected=self.version if expected_version is None else expected_version,
                    current=current,
                )
            self.version = current + 1
            if update_fields is not None:
                kwargs["update_fields"] = [*update_fields, "version"]
            super()._save_row(**kwargs)
