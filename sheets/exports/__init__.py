"""Rows of the exports, in the columns of the import's sheets (``sheets.columns``), so that an
exported file imports back as updates that change nothing.

Each function takes a queryset the caller has already scoped to what the reader may see
(``strategy.access``; a list page passes its filtered selector) and names what the reader sees
on the pages: people by e-mail and name, teams by slug and name, parents and objectives by key
and title, with their ids. A parent, objective or initiative in a team hidden from the reader
is left empty, never named. A fixed number of queries whatever the number of rows.

The exports live in modules, each importing only those before it (one direction): ``rows``
(one row per object), ``history``, ``kinds`` (the exports by kind, the API's named columns, the
whole plan) and ``reviews`` (a pack's changes, a review's action items). Callers import from
``sheets.exports``; the names below are its public face.
"""

from sheets.exports.history import (
    EVERY_VERSION,
    HISTORY_KINDS,
    history_export,
    objects_history_dicts,
    objects_history_export,
)
from sheets.exports.kinds import (
    EXPORTS,
    Export,
    api_named_columns,
    api_named_columns_by_model,
    export_dicts,
    export_rows,
    plan_export,
)
from sheets.exports.reviews import action_items_export, pack_changes_export
from sheets.exports.rows import PRIORITY_NAME

__all__ = [
    "EVERY_VERSION",
    "EXPORTS",
    "HISTORY_KINDS",
    "PRIORITY_NAME",
    "Export",
    "action_items_export",
    "api_named_columns",
    "api_named_columns_by_model",
    "export_dicts",
    "export_rows",
    "history_export",
    "objects_history_dicts",
    "objects_history_export",
    "pack_changes_export",
    "plan_export",
]
