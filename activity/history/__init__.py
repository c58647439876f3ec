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

The code lives in modules, each importing only those before it (one direction): ``tracking``
(the tracked kinds and fields, bulk creations' history), ``visibility`` (sealed or visible),
``names`` (values and related objects in words), ``reading`` (``history_for``,
``histories_for``) and ``undo`` (``history_restore``). Callers import from
``activity.history``; the names below are its public face.
"""

from activity.history.reading import (
    ACTIONS,
    Change,
    History,
    Version,
    histories_for,
    history_for,
)
from activity.history.tracking import (
    HIDDEN_NAME,
    SEALED,
    TRACKED,
    TrackedKind,
    history_record_created,
    tracked_fields,
    tracked_kind,
    tracked_m2m_fields,
)
from activity.history.undo import history_restore

__all__ = [
    "ACTIONS",
    "HIDDEN_NAME",
    "SEALED",
    "TRACKED",
    "Change",
    "History",
    "TrackedKind",
    "Version",
    "histories_for",
    "history_for",
    "history_record_created",
    "history_restore",
    "tracked_fields",
    "tracked_kind",
    "tracked_m2m_fields",
]
