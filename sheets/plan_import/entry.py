"""The entry point of the import (``plan_import``; the page, the API and the command call it) and
the sheets' templates (``template_rows``)."""

from __future__ import annotations

import datetime as dt
from typing import IO, Any

from django.db import transaction
from django.utils import timezone

from metrics.services import (
    subjects_dirty_batch,
)
from metrics.work import work_batch
from sheets.columns import Sheet
from sheets.plan_import.preview import (
    _CHANGED,
    KEYED_SHEETS,
    _file_digest,
    _preview_keep,
    _preview_replay,
    _preview_take,
    plan_data_version,
)
from sheets.plan_import.report import _SHEET_ORDER, ImportReport, _changed_since_preview
from sheets.plan_import.run import _Rollback, _Run
from sheets.reading import (
    file_read,
)
from strategy.access import access_for


def plan_import(
    *, stream: IO[bytes], filename: str, user, apply: bool, today: dt.date | None = None
) -> ImportReport:
    """Preview (``apply=False``) or apply a plan file as ``user``; see the module docstring.

    A good preview is kept (``sheets.models.PlanPreview``); the same person's apply of the same
    file is refused (one error, ``CHANGED_SINCE_PREVIEW``; nothing written) when anything the
    checks read has changed since (``plan_data_version``), or when writing a kept preview's
    rows fails. A file of keyed sheets only (objectives, initiatives, KPIs, milestones) is
    checked once: its preview writes nothing and keeps what it validated, and the apply writes
    those rows without reading or checking the file again. Without a kept preview the apply
    checks and writes the file in one run.

    Raises ``sheets.reading.FileUnreadable`` for a file that is no plan file at all; bad rows
    are in the report (``report.ok`` False) and then nothing is written."""
    today = today or timezone.localdate()
    digest = _file_digest(stream)
    if apply:
        kept = _preview_take(user=user, digest=digest, today=today)
        if kept is _CHANGED:
            return _changed_since_preview(filename)
        if kept is not None and kept[1] is not None:
            return _preview_replay(kept, user=user, today=today, filename=filename)
    sheets = file_read(stream=stream, filename=filename)
    keep = not apply and all(s.sheet.name in KEYED_SHEETS for s in sheets)
    # Read before the checks: a change made while they run makes the apply refuse too.
    version = "" if apply else plan_data_version(recorded=not keep)
    report = ImportReport(filename=filename)
    record: list | None = [] if keep else None
    run = _Run(
        access=access_for(user),
        user=user,
        report=report,
        today=today,
        filename=filename,
        apply=apply,
        write=not keep,
        record=record,
    )
    try:
        # Owners hear of the import once each when it is applied (metrics.work); a preview or
        # a file with bad rows ends in the block and tells nobody.
        with transaction.atomic(), work_batch():
            with subjects_dirty_batch():
                for sheet_rows in sheets:
                    run.sheet(sheet_rows)
            if report.errors or not apply:
                raise _Rollback
    except _Rollback:
        pass
    else:
        report.applied = True
    report.errors.sort(key=lambda e: (_SHEET_ORDER.get(e.sheet, 99), e.row, e.column))
    if not apply and report.ok:
        # A file with measurements or check-ins keeps no rows (``record`` None), only the
        # version: its apply checks it afresh, as they refer to what the database holds then.
        _preview_keep(
            user=user, digest=digest, today=today, version=version, report=report, steps=record
        )
    return report


def template_rows(sheet: Sheet) -> list[list[Any]]:
    """The header and the example row of a sheet's template (export-only columns left out)."""
    columns = [c for c in sheet.columns if not c.export_only]
    return [[c.name for c in columns], [c.example for c in columns]]
