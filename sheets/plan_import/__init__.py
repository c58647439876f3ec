"""Import of a plan file: objectives, initiatives, KPIs, milestones, measurements, check-ins.

``plan_import()`` reads the file (``sheets.reading``), checks every row and, in one
transaction, creates and updates what the rows describe. The preview and the apply are the same
run: a preview (``apply=False``) or a file with any bad row is rolled back at the end, so the
preview's created / updated / unchanged counts and its errors are exactly what applying gives.
A good preview is kept (``sheets.models.PlanPreview``) with the version of the data it checked
(``plan_data_version``); the same person's apply of the same file refuses, writing nothing,
when that data changed since (someone else's edit would be overwritten, or a row previewed as
created would update theirs): the report's one error is ``CHANGED_SINCE_PREVIEW``, and the file
is to be previewed again. A file of keyed sheets only (objectives, initiatives, KPIs,
milestones) is checked once: its preview writes nothing and keeps the validated rows, which
the apply writes. An apply with no kept preview (the command without ``--dry-run`` first)
checks and writes the file in one run.

The rules are the models' and the services' own: every row becomes a model instance checked by
``full_clean()`` (the shared validators of ``execsupport.validation`` on the fields, the
model's ``clean()`` for rules between fields, such as a target equal to the baseline); updates
are saved by the save services (status transitions, target revisions with the file as their
reason); measurements go through the bulk ingestion (``metrics.services.measurements_ingest``:
its row checks, its upsert and its data-quality flag of implausible values). What only a
file can get wrong is checked here: references by key (a parent or objective not found), a key
twice in the file, and a cycle in the objective tree. Creations are inserted in bulk, level by
level of the tree. Every affected subject is marked dirty once (``subjects_dirty_batch``).

Who may do what is ``strategy.access``'s rule, row by row; an object the importer may not see
is "not found", and a key taken by one is "not available", never named.

The code lives in modules by concern, each importing only those before it (one direction):
``report`` (the report's shapes), ``cells`` (one row's bad cells and the cell conversions),
``base`` (what every sheet shares: lookups, row checks, writing keyed rows), one module per
sheet (``objectives``; ``initiatives`` with milestones and check-ins; ``kpis``;
``measurements``), ``run`` (the sheets together), ``preview`` (the kept preview and its replay)
and ``entry`` (``plan_import`` itself, the templates). Callers import from
``sheets.plan_import``; the names below are its public face. A test that replaces a name
replaces it in the module that uses it (``measurements.MEASUREMENT_CHUNK``,
``kpis.kpi_plan``, ``entry.file_read``).
"""

from sheets.plan_import.base import CLEARABLE
from sheets.plan_import.cells import (
    CHECK_IN_RAGS,
    INITIATIVE_STATUSES,
    KPI_DIRECTIONS,
    KPI_KINDS,
    OBJECTIVE_STATUSES,
    PRIORITY_CHOICES,
)
from sheets.plan_import.entry import plan_import, template_rows
from sheets.plan_import.measurements import MEASUREMENT_CHUNK
from sheets.plan_import.preview import KEYED_SHEETS, PREVIEW_SECONDS, plan_data_version
from sheets.plan_import.report import (
    CHANGED_SINCE_PREVIEW,
    CHANGED_SINCE_PREVIEW_MESSAGE,
    LISTED_ROWS_MAX,
    ImportReport,
    RowError,
    SheetReport,
)

__all__ = [
    "CHANGED_SINCE_PREVIEW",
    "CHANGED_SINCE_PREVIEW_MESSAGE",
    "CHECK_IN_RAGS",
    "CLEARABLE",
    "INITIATIVE_STATUSES",
    "KEYED_SHEETS",
    "KPI_DIRECTIONS",
    "KPI_KINDS",
    "LISTED_ROWS_MAX",
    "MEASUREMENT_CHUNK",
    "OBJECTIVE_STATUSES",
    "PREVIEW_SECONDS",
    "PRIORITY_CHOICES",
    "ImportReport",
    "RowError",
    "SheetReport",
    "plan_data_version",
    "plan_import",
    "template_rows",
]
