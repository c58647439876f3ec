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
"""

from __future__ import annotations

import datetime as dt
import functools
import hashlib
import pickle
import re
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from typing import IO, Any

from django.contrib.auth import get_user_model
from django.core.exceptions import NON_FIELD_ERRORS, ValidationError
from django.db import IntegrityError, models, transaction
from django.db.models import prefetch_related_objects
from django.utils import timezone
from django.utils.crypto import constant_time_compare, salted_hmac

from activity.history import history_record_created
from initiatives.models import CheckIn, Initiative, Milestone, blocker_tags_join
from initiatives.services import (
    checkin_append,
    initiative_save,
    initiative_status_follow,
    milestone_save,
)
from metrics.models import KPI, Measurement, SubjectType
from metrics.services import (
    BatchRejected,
    kpi_plan,
    kpi_save,
    measurement_rows_check,
    measurements_ingest,
    subjects_dirty_batch,
    subjects_mark_dirty,
)
from metrics.work import work_batch, work_milestone_notify
from sheets.columns import Sheet
from sheets.reading import (
    ROW_PROBLEM,
    CellError,
    RowProblem,
    SheetRows,
    cell_date,
    cell_datetime_text,
    file_read,
)
from strategy.access import Access, access_for, assignees_check
from strategy.keys import KEY_TAKEN, keys_taken_ignoring_case
from strategy.models import (
    Objective,
    Period,
    Priority,
    Strategy,
    Team,
    Theme,
    VersionConflict,
)
from strategy.people import people_choosable
from strategy.services import objective_save

# Columns whose empty cell clears the value of an existing row; any other empty cell leaves an
# existing row's value as it is (and gives a new row the default).
CLEARABLE = frozenset(
    {"parent", "owner", "description", "completed_on", "range_low", "range_high", "unit",
     "data_source", "blockers", "next_steps"}
)  # fmt: skip
# Measurements handed to the bulk ingestion at once (as the API's largest request).
MEASUREMENT_CHUNK = 10_000
# Rows listed one by one in the report (the measurements sheet: its first ones, with values).
LISTED_ROWS_MAX = 5000


def _duplicate_message(rows: list[dict], index: int, numbers: list[int]) -> str:
    """A measurement row giving a KPI a second value for a date: both rows by their number in
    the file (``numbers[i]`` is the file row of ``rows[i]``)."""
    row = rows[index]
    first = next(
        (
            i
            for i in range(index)
            if (rows[i]["kpi"], rows[i]["as_of"]) == (row["kpi"], row["as_of"])
        ),
        None,
    )
    if first is None:  # the same date written two ways: the ingest's own words
        return f"KPI '{row['kpi']}' already has a value for {row['as_of']} in this file."
    return (
        f"Rows {numbers[first]} and {numbers[index]} both give KPI '{row['kpi']}' a value for "
        f"{row['as_of']}: keep one."
    )


@dataclass
class RowError:
    """A bad row: where (sheet, row number as the spreadsheet shows it, column) and why."""

    sheet: str
    row: int
    column: str
    code: str
    message: str


@dataclass
class SheetReport:
    """What one sheet does: counts, and each row's key and action (created / updated /
    unchanged), in file order."""

    sheet: str
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    rows: list[dict] = field(default_factory=list)
    ignored_columns: list[str] = field(default_factory=list)

    def count(self, action: str, row: int, key: str) -> None:
        """Count a row as ``created``, ``updated`` or ``unchanged``; the first
        ``LISTED_ROWS_MAX`` rows are also listed (file row, key, action)."""
        setattr(self, action, getattr(self, action) + 1)
        if len(self.rows) < LISTED_ROWS_MAX:
            self.rows.append({"row": row, "key": key, "action": action})


@dataclass
class ImportReport:
    """The preview, or the result of applying: per sheet what is created, updated and left
    alone, every bad row, and the measurements flagged as implausible (accepted)."""

    filename: str
    applied: bool = False
    sheets: list[SheetReport] = field(default_factory=list)
    errors: list[RowError] = field(default_factory=list)
    implausible: list[dict] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        """No bad row: the file may be applied (or was)."""
        return not self.errors

    @property
    def changed_since_preview(self) -> bool:
        """The apply was refused: the data changed since this person's preview of the file."""
        return any(e.code == CHANGED_SINCE_PREVIEW for e in self.errors)

    @property
    def changes(self) -> int:
        """Rows created or updated, all sheets together."""
        return sum(s.created + s.updated for s in self.sheets)

    def as_dict(self) -> dict:
        """The JSON shape of the API and of the command's ``--json``."""
        return {
            "filename": self.filename,
            "applied": self.applied,
            "ok": self.ok,
            "sheets": [
                {
                    "sheet": s.sheet,
                    "created": s.created,
                    "updated": s.updated,
                    "unchanged": s.unchanged,
                    "rows": s.rows,
                    "ignored_columns": s.ignored_columns,
                }
                for s in self.sheets
            ],
            "errors": [e.__dict__ for e in self.errors],
            "implausible": self.implausible,
        }


CHANGED_SINCE_PREVIEW = "changed_since_preview"
CHANGED_SINCE_PREVIEW_MESSAGE = (
    "The plan changed since your preview of this file (someone else changed what it "
    "checked): nothing was imported. Preview the file again, check it, then apply it."
)


def _changed_since_preview(filename: str) -> ImportReport:
    """The report of an apply refused because the data changed since its preview."""
    return ImportReport(
        filename=filename,
        errors=[RowError("", 0, "", CHANGED_SINCE_PREVIEW, CHANGED_SINCE_PREVIEW_MESSAGE)],
    )


class _Rollback(Exception):
    """Ends the transaction of a preview or of a file with bad rows."""


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


# The sheets whose preview writes nothing and is kept for its apply: rows with a key (or a
# milestone's initiative and title), checked in full before any is written. Measurements and
# check-ins refer to rows by what the database holds, so a file with them is checked and written
# in one run, its preview rolled back.
KEYED_SHEETS = frozenset({"objectives", "initiatives", "kpis", "milestones"})
# How long a kept preview may be applied (as the page keeps the uploaded file).
PREVIEW_SECONDS = 3600
_PREVIEW_SALT = "sheets.plan_import.preview"


def _file_digest(stream: IO[bytes]) -> str:
    """The SHA-256 of the whole stream (read in blocks; the stream is rewound)."""
    stream.seek(0)
    digest = hashlib.sha256()
    for block in iter(lambda: stream.read(1 << 20), b""):
        digest.update(block)
    stream.seek(0)
    return digest.hexdigest()


def plan_data_version(*, recorded: bool = False) -> str:
    """A fingerprint of everything a plan file's checks read, in one query plus the people:
    for the plan's models (teams, memberships, periods, strategies, themes, objectives,
    initiatives, milestones, KPIs) their count, latest change and latest history entry, the
    people (name, e-mail, active, flags) and the office group's members. Any create, update
    or delete of those changes it (SHA-256 hex). ``recorded``: the measurements (count, latest
    change) and check-ins (count, latest id) too, for a file that has them (an unindexed
    maximum over the measurements: only then)."""
    from django.db import connection

    from strategy.models import Membership

    parts = []
    for model in (Team, Membership, Period, Strategy, Theme, Objective, Initiative, Milestone,
                  KPI):  # fmt: skip
        table, history = model._meta.db_table, model.history.model._meta.db_table
        parts += [
            f"SELECT COUNT(*) FROM {table}",  # noqa: S608 (names from model metadata)
            f"SELECT MAX(updated_at) FROM {table}",  # noqa: S608
            f"SELECT MAX(history_id) FROM {history}",  # noqa: S608
        ]
    groups = User.groups.through._meta.db_table
    parts += [f"SELECT COUNT(*) FROM {groups}", f"SELECT MAX(id) FROM {groups}"]  # noqa: S608
    if recorded:
        measurements, checkins = Measurement._meta.db_table, CheckIn._meta.db_table
        parts += [
            f"SELECT COUNT(*) FROM {measurements}",  # noqa: S608
            f"SELECT MAX(updated_at) FROM {measurements}",  # noqa: S608
            f"SELECT COUNT(*) FROM {checkins}",  # noqa: S608
            f"SELECT MAX(id) FROM {checkins}",  # noqa: S608
        ]
    digest = hashlib.sha256()
    with connection.cursor() as cursor:
        cursor.execute("SELECT " + ", ".join(f"({part})" for part in parts))
        digest.update(repr(cursor.fetchone()).encode())
    people = User.objects.order_by("id").values_list(
        "id", "username", "email", "is_active", "is_superuser"
    )
    digest.update(repr(list(people)).encode())
    return digest.hexdigest()


def _preview_keep(*, user, digest: str, today, version: str, report, steps) -> None:
    """Keep a good preview for its apply (signed pickle; this person's older ones and every
    expired one are dropped)."""
    from sheets.models import PlanPreview

    plan = pickle.dumps((report, steps), protocol=pickle.HIGHEST_PROTOCOL)
    signature = salted_hmac(_PREVIEW_SALT, plan, algorithm="sha256").hexdigest()
    expired = timezone.now() - dt.timedelta(seconds=PREVIEW_SECONDS)
    PlanPreview.objects.filter(models.Q(user=user) | models.Q(created_at__lt=expired)).delete()
    PlanPreview.objects.create(
        user=user, file_sha256=digest, data_version=version, today=today, plan=plan,
        signature=signature,
    )  # fmt: skip


# What ``_preview_take`` answers for a kept preview whose data changed since.
_CHANGED = ("changed", None)


def _preview_take(*, user, digest: str, today) -> tuple | None:
    """The kept preview of this file by this person, consumed: ``(report, steps)`` (``steps``
    None: a preview that kept no rows), ``_CHANGED`` when what it checked changed since; None
    when there is none (or none of ours that loads)."""
    from sheets.models import PlanPreview

    expired = timezone.now() - dt.timedelta(seconds=PREVIEW_SECONDS)
    kept = (
        PlanPreview.objects.filter(
            user=user, file_sha256=digest, today=today, created_at__gte=expired
        )
        .order_by("-id")
        .first()
    )
    if kept is None:
        return None
    PlanPreview.objects.filter(pk=kept.pk).delete()
    plan = bytes(kept.plan)
    signature = salted_hmac(_PREVIEW_SALT, plan, algorithm="sha256").hexdigest()
    if not constant_time_compare(signature, kept.signature):
        return None
    try:
        loaded = pickle.loads(plan)  # noqa: S301 (signed above: our own pickle only)
    except Exception:  # kept by an older release whose classes changed: check afresh
        return None
    # A preview that kept no rows had measurements or check-ins: their version too.
    version = plan_data_version(recorded=loaded[1] is None)
    if not constant_time_compare(kept.data_version, version):
        return _CHANGED
    return loaded


def _preview_replay(kept: tuple, *, user, today, filename: str) -> ImportReport:
    """Write a kept preview's rows, all or nothing, and return its report as applied. When a
    write fails (a row changed or created by someone else between the version check and the
    write, a rule only the database knew) nothing is written and the apply is refused as
    changed since the preview: checking afresh could turn a previewed creation into an
    update of someone else's row."""
    report, steps = kept
    run = _Run(
        access=access_for(user), user=user, report=ImportReport(filename=filename),
        today=today, filename=filename, apply=True,
    )  # fmt: skip
    try:
        with transaction.atomic(), work_batch(), subjects_dirty_batch():
            for sheet, good in steps:
                run._write(sheet, good, SheetReport(sheet=sheet))
            if run.report.errors:
                raise _Rollback
    except (IntegrityError, VersionConflict, ValidationError, _Rollback):
        return _changed_since_preview(filename)
    report.filename = filename
    report.applied = True
    return report


_SHEET_ORDER = {
    name: i
    for i, name in enumerate(
        ["objectives", "initiatives", "kpis", "milestones", "measurements", "checkins"]
    )
}


class _BadCell(Exception):
    def __init__(self, column: str, code: str, message: str):
        super().__init__(message)
        self.column, self.code, self.message = column, code, message


class _Skip(Exception):
    """A check needs a cell already reported bad: it waits for a good value (no second error
    about the same cell, such as "not found" after "required")."""


class _Cells:
    """One row's bad cells, all of them: each independent check of a row runs in its own
    ``step()``, so a bad date does not hide an unknown owner or a bad number in the same row.

    ``get(column)`` is a cell's value for a check, raising ``_Skip`` (ending that step quietly)
    when the cell is already reported bad."""

    def __init__(self, row: dict):
        self.row = row
        self.bad: list[_BadCell] = []
        self.columns: set[str] = set()
        self.column = ""

    def add(self, bad: _BadCell) -> None:
        self.bad.append(bad)
        self.columns.add(bad.column)

    def get(self, column: str) -> Any:
        if column in self.columns:
            raise _Skip
        return self.row.get(column)

    def step(self, column: str = "") -> _Cells:
        """Run one check (``with cells.step(): ...``): a bad cell it finds is recorded, and the
        row's next checks still run. The row itself is the context manager: no generator per
        check (a 5,000-row plan makes about 60,000 checks). A ``ValidationError`` raised by a
        helper or validator the check calls is a bad cell too: of the field it names, else of
        ``column``."""
        self.column = column
        return self

    def __enter__(self) -> _Cells:
        return self

    def __exit__(self, kind, error, traceback) -> bool:
        if kind is None:
            return False
        if issubclass(kind, _BadCell):
            self.add(error)
            return True
        if issubclass(kind, ValidationError):
            for column, code, message in _validation_items(error):
                self.add(_BadCell(column or self.column, code, message))
            return True
        return issubclass(kind, _Skip)


def _validation_items(error: ValidationError) -> Iterator[tuple[str, str, str]]:
    """A ``ValidationError`` as ``(field or "", code, message)``, one per message."""
    if hasattr(error, "error_dict"):
        for name, errors in error.error_dict.items():
            for item in errors:
                message = item.message % item.params if item.params else item.message
                yield (
                    ("" if name == NON_FIELD_ERRORS else name),
                    item.code or "invalid",
                    str(message),
                )
    else:
        for item in error.error_list:
            message = item.message % item.params if item.params else item.message
            yield "", item.code or "invalid", str(message)


def _choice(column: str, value: Any, choices: tuple[tuple[Any, str], ...]) -> Any:
    """The stored value of a choice given by its stored value, its label or the label's first
    word, in any case (``"in progress"`` for ``in_progress`` too); the first choice in
    ``choices`` order wins. ``_BadCell`` (``invalid_choice``) naming the allowed labels."""
    text = str(value).strip().lower()
    by_text, by_stored = _choice_tables(choices)
    found = [hit for hit in (by_text.get(text), by_stored.get(text.replace(" ", "_"))) if hit]
    if found:
        return min(found)[1]
    # The labels, as the template's About sheet lists them ("low, medium, high or critical"),
    # not the stored values (a priority is stored as 1 to 4).
    labels = [str(label).lower() for _, label in choices]
    allowed = ", ".join(labels[:-1]) + f" or {labels[-1]}" if len(labels) > 1 else labels[0]
    raise _BadCell(column, "invalid_choice", f"“{value}” is not one of: {allowed}.")


@functools.cache
def _choice_tables(choices: tuple[tuple[Any, str], ...]) -> tuple[dict, dict]:
    """``choices`` as two lookups of ``(place, stored)``: by each spelling a cell may give
    (stored value, label, the label's first word; lower case) and by the stored value alone
    (lower case), each keeping the first choice that has it."""
    by_text: dict[str, tuple[int, Any]] = {}
    by_stored: dict[str, tuple[int, Any]] = {}
    for place, (stored, label) in enumerate(choices):
        for text in (str(stored).lower(), str(label).lower(), str(label).split(" ")[0].lower()):
            by_text.setdefault(text, (place, stored))
        by_stored.setdefault(str(stored).lower(), (place, stored))
    return by_text, by_stored


def _date(column: str, value: Any) -> dt.date:
    try:
        return cell_date(value)
    except ValueError:
        raise _BadCell(
            column, "bad_date", f"“{value}” is not a date: enter it as YYYY-MM-DD."
        ) from None


def _datetime(column: str, value: Any) -> dt.datetime:
    if isinstance(value, dt.datetime):
        moment = value
    elif isinstance(value, dt.date):
        moment = dt.datetime.combine(value, dt.time(12))
    else:
        try:
            parsed = cell_datetime_text(str(value))
        except ValueError:
            raise _BadCell(
                column,
                "bad_date",
                f"“{value}” is not a date: enter YYYY-MM-DD or YYYY-MM-DDTHH:MM.",
            ) from None
        if isinstance(parsed, dt.datetime):
            moment = parsed
        else:
            moment = dt.datetime.combine(parsed, dt.time(12))
    if timezone.is_naive(moment):
        moment = timezone.make_aware(moment)
    return moment


# Whether the sheet being read writes numbers with a decimal comma (a semicolon-separated CSV
# file); set by ``_Run.sheet`` for each sheet.
_decimal_comma: ContextVar[bool] = ContextVar("decimal_comma", default=False)
# Digits grouped by thousands with commas (``1,500``, ``120,000``, ``1,500,000``) or with dots
# (``1.500``): a grouping or a decimal separator? The same reading of such a text can mean
# another number in another locale, so it is refused, never guessed.
_GROUPED_COMMA = re.compile(r"[+-]?[1-9]\d{0,2}(?:,\d{3})+")
_GROUPED_DOT = re.compile(r"[+-]?[1-9]\d{0,2}(?:\.\d{3})+")
_DECIMAL_COMMA = re.compile(r"[+-]?\d*,\d+")


def _number_text(column: str, value: Any) -> str:
    """A number cell's text with a decimal point, spaces (a thousands separator nobody reads as
    a decimal one) taken out. A decimal comma is read only in a file that uses one (a
    semicolon-separated CSV); a text whose separators can be read two ways (``1,500``,
    ``1.500,5``, ``1.500`` in such a file) is ``_BadCell`` (``ambiguous_number``)."""
    text = str(value).strip().replace("\u00a0", "").replace("\u202f", "").replace(" ", "")
    if "," not in text and not (_decimal_comma.get() and _GROUPED_DOT.fullmatch(text)):
        return text
    if "," in text and "." in text:
        raise _BadCell(
            column,
            "ambiguous_number",
            f"“{value}” mixes a comma and a dot: write the number without thousands "
            "separators and with a decimal point, such as 1500.5.",
        )
    grouped = _GROUPED_COMMA.fullmatch(text) or _GROUPED_DOT.fullmatch(text)
    if grouped:
        separator = "," if "," in text else "."
        whole = text.replace(separator, "")
        if text.count(separator) > 1:
            message = f"“{value}” is ambiguous: write {whole} without separators."
        else:
            fraction = f"{Decimal(text.replace(separator, '.')).normalize():f}"
            message = f"“{value}” is ambiguous: write {whole} or {fraction}."
        raise _BadCell(column, "ambiguous_number", message)
    if _DECIMAL_COMMA.fullmatch(text):
        if _decimal_comma.get():
            return text.replace(",", ".")
        raise _BadCell(
            column,
            "ambiguous_number",
            f"“{value}” has a decimal comma in a file that separates its fields by commas: "
            f"write {text.replace(',', '.')}.",
        )
    return text  # no number: the caller says so


def _decimal(column: str, value: Any) -> Decimal:
    if isinstance(value, bool):
        raise _BadCell(column, "invalid", "Enter a number.")
    try:
        number = (
            Decimal(str(value))
            if isinstance(value, int | float)
            else Decimal(_number_text(column, value))
        )
    except InvalidOperation:
        raise _BadCell(column, "invalid", f"“{value}” is not a number.") from None
    if not number.is_finite():
        raise _BadCell(column, "invalid", f"“{value}” is not a number.")
    return number


def _float(column: str, value: Any) -> float:
    if isinstance(value, int | float) and not isinstance(value, bool):
        return float(value)
    try:
        return float(_number_text(column, value))
    except ValueError:
        raise _BadCell(column, "invalid", f"“{value}” is not a number.") from None


def _int(column: str, value: Any) -> int:
    number = _decimal(column, value)
    if number != number.to_integral_value():
        raise _BadCell(column, "invalid", f"“{value}” is not a whole number.")
    return int(number)


def _bool(column: str, value: Any) -> bool:
    if isinstance(value, bool):
        return value
    text = str(value).strip().lower()
    if text in ("yes", "y", "true", "1", "x"):
        return True
    if text in ("no", "n", "false", "0"):
        return False
    raise _BadCell(column, "invalid", f"“{value}” is neither yes nor no.")


def _text(column: str, value: Any) -> str:
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return str(value).strip()


def _measurement_date_text(as_of: Any) -> str:
    """A measurement's date cell as the ingest takes it: a date or datetime (the time left out,
    as is a text's date and time) as ``YYYY-MM-DD``; any other text as it is, for the ingest's
    date check to refuse with its message."""
    if isinstance(as_of, dt.datetime):
        return as_of.date().isoformat()
    if isinstance(as_of, dt.date):
        return as_of.isoformat()
    text = str(as_of).strip()
    try:
        moment = cell_datetime_text(text)
    except ValueError:
        return text
    return moment.date().isoformat() if isinstance(moment, dt.datetime) else text


# Each model's choices, once: ``X.choices`` builds its list on every use.
PRIORITY_CHOICES = tuple(Priority.choices)
OBJECTIVE_STATUSES = tuple(Objective.Status.choices)
INITIATIVE_STATUSES = tuple(Initiative.Status.choices)
KPI_KINDS = tuple(KPI.Kind.choices)
KPI_DIRECTIONS = tuple(KPI.Direction.choices)
CHECK_IN_RAGS = tuple(CheckIn.Rag.choices)


@contextmanager
def _unsaved_references_named(instance: models.Model, names: Iterable[str]) -> Iterator[None]:
    """While checking ``instance``: a reference to a row of the file not yet written (a
    preview writes nothing) counts as given, as its id will be once written. The model's
    ``clean()`` tests such ids for being set only (a KPI measures an objective or an
    initiative); the id is put back to None afterwards."""
    stood_in = []
    for name in names:
        field_ = instance._meta.get_field(name)
        assert isinstance(field_, models.ForeignKey)  # names of foreign keys only
        related = instance._state.fields_cache.get(name)
        if related is not None and related.pk is None and getattr(instance, field_.attname) is None:
            instance.__dict__[field_.attname] = -1
            stood_in.append(field_.attname)
    try:
        yield
    finally:
        for attname in stood_in:
            instance.__dict__[attname] = None


class _Run:
    """One import: the lookups (read once), then each sheet in turn."""

    def __init__(
        self,
        *,
        access: Access,
        user,
        report: ImportReport,
        today,
        filename: str,
        apply: bool,
        write: bool = True,
        record: list | None = None,
    ):
        self.access = access
        self.apply = apply
        # ``write`` False: the sheets are checked and counted, nothing is written (the preview
        # of a file of keyed sheets only). ``record``: each sheet's validated rows are appended
        # to it as ``(sheet name, rows)``, what ``_write`` replays when the preview is applied.
        self.write = write
        self.record = record
        self.user = user
        self.report = report
        self.today = today
        self.filename = filename
        self._people: dict[str, Any] | None = None
        self._teams: tuple[dict, dict] | None = None
        self.objectives: dict[str, Objective] = {}
        self.initiatives: dict[str, Initiative] = {}
        self.kpis: dict[str, KPI] = {}
        self._loaded_keys: set[tuple[str, str]] = set()
        # The keys each keyed sheet of the file gives (objectives, initiatives, KPIs): a later
        # sheet's reference to one of them that was not written names the row's errors.
        self.file_keys: dict[str, set[str]] = {}
        self._all_parent_keys: dict[str, str | None] = {}

    def bulk_create(self, model: type[models.Model], rows: list) -> None:
        """Insert new rows in bulk; the plan's definitions with their history (created, by the
        importer: ``activity.history.history_record_created``, set-based). A preview, rolled
        back at its end, writes no history: the history rows would be discarded unread, and
        they change no count or error."""
        if not rows or not self.write:
            return
        model._default_manager.bulk_create(rows, batch_size=1000)
        if self.apply and hasattr(model, "history") and hasattr(model.history, "model"):
            if rows[0].pk is None:  # a database that returns no ids from a bulk insert
                raise RuntimeError("bulk_create returned no primary keys")
            history_record_created(model=model, ids=[r.pk for r in rows], by=self.user)

    # --- lookups -----------------------------------------------------------------------------
    def person(self, column: str, email: Any):
        if self._people is None:
            self._people = {}
            for person in people_choosable(access=self.access).order_by("-id"):
                self._people[person.username.lower()] = person
            for person in people_choosable(access=self.access).order_by("-id"):
                if person.email:  # an e-mail address wins over a username that looks like one
                    self._people[person.email.strip().lower()] = person
        found = self._people.get(str(email).strip().lower())
        if found is None:
            raise _BadCell(column, "unknown_person", f"No person with the e-mail “{email}”.")
        return found

    def owner(self, column: str, email: Any, subject: models.Model, role: str = "own it"):
        """The person ``email`` names in ``column``, who must be able to see ``subject`` (its
        team already set): ``strategy.access.assignees_check``, as a bad cell."""
        person = self.person(column, email)
        changed = getattr(subject, "changed_fields", None)
        named_anew = (
            subject.pk is None
            or getattr(subject, f"{column}_id", None) != person.pk
            or "team" in ((changed() if changed is not None else None) or [])
        )
        if not named_anew:  # as the services: only naming someone is checked
            return person
        try:
            assignees_check(field=column, people=[person], subject=subject, role=role)
        except ValidationError as error:
            raise _BadCell(column, "cannot_see", error.message_dict[column][0]) from error
        return person

    def team(self, column: str, name: Any) -> Team:
        if self._teams is None:
            by_slug: dict[str, Team] = {}
            by_name: dict[str, Team] = {}
            for team in self.access.scope(Team.objects.all(), "id"):
                by_slug[team.slug.lower()] = team
                by_name.setdefault(team.name.strip().lower(), team)
            self._teams = (by_slug, by_name)
        text = str(name).strip().lower()
        found = self._teams[0].get(text) or self._teams[1].get(text)
        if found is None:
            raise _BadCell(column, "unknown_team", f"No team “{name}”.")
        return found

    def load(self, kind: str, keys: set[str]) -> None:
        """Read the visible objectives, initiatives or KPIs with these keys (once)."""
        into: dict[str, Any]
        model: type[Objective | Initiative | KPI]
        if kind == "objectives":
            model, into = Objective, self.objectives
        elif kind == "initiatives":
            model, into = Initiative, self.initiatives
        else:
            model, into = KPI, self.kpis
        wanted = {k for k in keys if k and (kind, k) not in self._loaded_keys}
        if not wanted:
            return
        queryset = self.access.scope(model._default_manager.filter(key__in=wanted))
        if model is Objective:
            queryset = queryset.select_related("theme", "strategy", "team", "parent")
        for instance in queryset:
            into[instance.key] = instance
        self._loaded_keys.update((kind, k) for k in wanted)

    def error(self, sheet: str, row: int, column: str, code: str, message: str) -> None:
        self.report.errors.append(RowError(sheet, row, column, code, message))

    def not_found(self, kind: str, column: str, key: str) -> _BadCell:
        """The error of a reference to an objective or initiative that is not there: the file
        gives that key on a row with errors (not written), or nobody has it (or it is hidden)."""
        noun = {"objectives": "objective", "initiatives": "initiative"}[kind]
        if key in self.file_keys.get(kind, ()):
            return _BadCell(column, "not_found", f"The row of the {noun} “{key}” has errors.")
        return _BadCell(column, "not_found", f"No {noun} has the key “{key}”.")

    def model_errors(self, sheet: str, row: int, error: ValidationError, columns: dict) -> None:
        """A model's ``ValidationError`` as row errors, its fields named as the sheet's columns."""
        for name, code, message in _validation_items(error):
            self.error(sheet, row, columns.get(name, name), code, message)

    # --- sheets ------------------------------------------------------------------------------
    def sheet(self, sheet_rows: SheetRows) -> None:
        """Check and write one sheet's rows (the writes of good rows happen even when other rows
        are bad, so that later sheets resolve what they refer to; the caller rolls back)."""
        sheet = sheet_rows.sheet
        sheet_report = SheetReport(sheet=sheet.name)
        sheet_report.ignored_columns = sorted(
            {h for h in sheet_rows.headers if h} - set(sheet.headers)
        )
        self.report.sheets.append(sheet_report)
        missing = sheet.required - set(sheet_rows.headers)
        for column in sorted(missing):
            self.error(
                sheet.name, 1, column, "missing_column", f"The column “{column}” is missing."
            )
        named = [h for h in sheet_rows.headers if h]
        twice = sorted({h for h in named if named.count(h) > 1})
        for column in twice:
            self.error(
                sheet.name, 1, column, "duplicate_column",
                f"The column “{column}” is in the header {named.count(column)} times: keep one.",
            )  # fmt: skip
        if missing or twice:
            return
        token = _decimal_comma.set(sheet_rows.decimal_comma)
        try:
            with transaction.atomic():
                getattr(self, f"_{sheet.name}")(sheet, sheet_rows, sheet_report)
        except (IntegrityError, VersionConflict) as error:
            # A rule only the database knew, or a row changed meanwhile: the sheet as a whole.
            self.error(sheet.name, 1, "", "not_written", f"The sheet could not be written: {error}")
        except ValidationError as error:
            # Never a crash: a rule no row check caught (each row's are caught where it is
            # built) is the sheet's error.
            self.model_errors(sheet.name, 1, error, {})
        finally:
            _decimal_comma.reset(token)
        # Values under no column name are not imported: the report lists their columns with
        # the ignored ones (known once the rows are read).
        if sheet_rows.unnamed:
            from openpyxl.utils import get_column_letter

            sheet_report.ignored_columns += [
                f"column {get_column_letter(place + 1)} (no name)"
                for place in sorted(sheet_rows.unnamed)
            ]

    def _rows(self, sheet: Sheet, sheet_rows: SheetRows) -> list[tuple[int, dict, _Cells]]:
        """Every row with its ``_Cells``, in which the spreadsheet errors and the empty required
        cells are already reported (the row's other cells are still checked)."""
        rows = []
        for number, row in self._readable(sheet, sheet_rows):
            cells = _Cells(row)
            for column, value in row.items():
                if isinstance(value, CellError):
                    row[column] = None
                    if column in sheet.import_headers:
                        cells.add(_BadCell(column, value.report_code, value.message(column)))
            for column in sorted(sheet.required - cells.columns):
                if row.get(column) is None:
                    cells.add(_BadCell(column, "required", f"The {column} is required."))
            rows.append((number, row, cells))
        return rows

    def _readable(self, sheet: Sheet, sheet_rows: SheetRows) -> Iterator[tuple[int, dict]]:
        """The sheet's rows, but a row the reader could not split into its columns
        (``RowProblem``: more fields than the header) is reported and left out."""
        for number, row in sheet_rows.rows:
            problem = row.get(ROW_PROBLEM)
            if isinstance(problem, RowProblem):
                self.error(sheet.name, number, "", problem.code, problem.message)
                continue
            yield number, row

    def _keys_once(self, sheet: Sheet, rows: list[tuple[int, dict, _Cells]]) -> list:
        first: dict[str, int] = {}
        kept = []
        for number, row, cells in rows:
            if row.get("key") is None:  # reported as required; its other cells are checked
                kept.append((number, row, cells))
                continue
            key = _text("key", row["key"])
            row["key"] = key
            if key.lower() in first:  # keys are unique whatever their case
                self.error(
                    sheet.name, number, "key", "duplicate_key",
                    f"Row {first[key.lower()]} already has the key “{key}”: a key names one row.",
                )  # fmt: skip
                continue
            first[key.lower()] = number
            kept.append((number, row, cells))
        self.file_keys.setdefault(sheet.name, set()).update(
            row["key"] for _, row, _ in kept if row.get("key") is not None
        )
        return kept

    def _row_bad(
        self,
        sheet: str,
        number: int,
        cells: _Cells,
        instance: models.Model,
        *,
        exclude: list[str],
        columns: dict[str, str] | None = None,
    ) -> bool:
        """Report a row's bad cells, with the model's own field checks of its other cells
        (``clean_fields``, the shared validators); True when the row is bad. ``columns``:
        the model's fields named otherwise in the sheet (field: column). The rules between
        fields (the model's ``clean()``) wait for a row whose every cell is good."""
        if not cells.bad:
            return False
        columns = columns or {}
        field_of = {column: name for name, column in columns.items()}
        for bad in cells.bad:
            self.error(sheet, number, bad.column, bad.code, bad.message)
        try:
            instance.clean_fields(exclude=[*exclude, *(field_of.get(c, c) for c in cells.columns)])
        except ValidationError as error:
            self.model_errors(sheet, number, error, columns)
        return True

    def _taken_invisible(self, model: type[models.Model], keys: set[str], seen: dict) -> set[str]:
        """Keys of the file held by another row: one the importer may not see, or one spelt
        in another case ("nps" holds "NPS": keys are unique whatever their case)."""
        held = keys_taken_ignoring_case(model=model, keys=keys)
        return {key for key in keys if key and key.lower() in held and key not in seen}

    def _set(self, cells: _Cells, instance, name: str, convert, *, new: bool) -> None:
        """Set ``name`` from the row's cell of that name (converted) when the cell is filled;
        an empty cell clears a clearable field, else leaves the value (a new row: the
        default). A bad cell is recorded in ``cells``."""
        if name not in cells.row:
            return
        with cells.step(name):
            value = cells.get(name)
            if value is None:
                if name in CLEARABLE:
                    field_ = instance._meta.get_field(name)
                    empty = None if field_.null else ""
                    setattr(instance, field_.attname if field_.is_relation else name, empty)
                return
            setattr(instance, name, convert(name, value))

    # objectives ------------------------------------------------------------------------------
    def _objectives(self, sheet: Sheet, sheet_rows: SheetRows, out: SheetReport) -> None:
        rows = self._keys_once(sheet, self._rows(sheet, sheet_rows))
        keys = {row["key"] for _, row, _ in rows if row.get("key") is not None}
        parents = {_text("parent", row["parent"]) for _, row, _ in rows if row.get("parent")}
        self.load("objectives", keys | parents)
        taken = self._taken_invisible(Objective, keys, self.objectives)
        strategies = {s.name.strip().lower(): s for s in Strategy.objects.all()}
        active = next((s for s in strategies.values() if s.status == Strategy.Status.ACTIVE), None)
        themes = {(t.strategy_id, t.name.strip().lower()): t for t in Theme.objects.all()}
        periods = {p.name.strip().lower(): p for p in Period.objects.all()}
        in_file: dict[str, tuple[int, Objective, bool]] = {}
        # The rows with bad cells already reported (key: their bad columns): never written.
        reported: dict[str, set[str]] = {}
        parent_of: dict[str, str | None] = {}
        columns = {"theme": "theme", "period": "period", "team": "team"}
        for number, row, cells in rows:
            key = row.get("key")
            if key is not None and key in taken:
                self.error(sheet.name, number, "key", "unique", KEY_TAKEN)
                continue
            existing = self.objectives.get(key) if key is not None else None
            new = existing is None
            objective = existing or Objective(key=key or "")
            if existing is not None and not self.access.can_edit_objective(existing):
                self.error(
                    sheet.name, number, "key", "permission_denied",
                    "You may not change this objective.",
                )  # fmt: skip
                continue
            self._set(cells, objective, "title", _text, new=new)
            self._set(cells, objective, "description", _text, new=new)
            with cells.step():
                parent_key = _text("parent", cells.get("parent")) if row.get("parent") else None
                if "parent" not in row and existing is not None:
                    parent_key = existing.parent.key if existing.parent is not None else None
                if key is not None:
                    parent_of[key] = parent_key
            with cells.step():
                strategy = None
                if cells.get("strategy"):
                    strategy = strategies.get(_text("strategy", row["strategy"]).lower())
                    if strategy is None:
                        raise _BadCell("strategy", "not_found", f"No strategy “{row['strategy']}”.")
                elif existing is not None:
                    strategy = existing.strategy
                objective._import_strategy = strategy
            with cells.step():
                objective._import_theme = _text("theme", cells.get("theme"))
            with cells.step():
                period = periods.get(_text("period", cells.get("period")).lower())
                if period is None:
                    raise _BadCell("period", "not_found", f"No period “{row['period']}”.")
                objective.period = period
            with cells.step():
                team = self.team("team", cells.get("team"))
                if team.pk != objective.team_id and not self.access.can_create_objective_for(
                    team.pk
                ):
                    raise _BadCell(
                        "team", "permission_denied",
                        f"You may not place objectives in the team “{team.name}”.",
                    )  # fmt: skip
                objective.team = team
            with cells.step():
                if cells.get("owner") is not None:
                    objective.owner = self.owner("owner", row["owner"], objective)
                elif "owner" in row:
                    objective.owner = None
            self._set(
                cells, objective, "status",
                lambda c, v: _choice(c, v, OBJECTIVE_STATUSES), new=new,
            )  # fmt: skip
            self._set(
                cells, objective, "priority", lambda c, v: _choice(c, v, PRIORITY_CHOICES), new=new
            )
            self._set(cells, objective, "weight", _decimal, new=new)
            self._set(cells, objective, "start_date", _date, new=new)
            self._set(cells, objective, "due_date", _date, new=new)
            if self._row_bad(
                sheet.name, number, cells, objective,
                exclude=["strategy", "theme", "period", "team", "parent", "owner"],
            ):  # fmt: skip
                if key is not None:
                    # Still in the file: its references (parent, strategy, theme) are checked
                    # below and reported with its other cells, and the rows under it hear
                    # that their parent's row has errors, not that it is missing.
                    in_file[key] = (number, objective, new)
                    reported[key] = set(cells.columns)
                continue
            in_file[key] = (number, objective, new)
        # References: the parent (in the file or existing), the strategy, the theme; cycles.
        known_parents = {
            key: (o.parent.key if o.parent is not None else None)
            for key, o in self.objectives.items()
            if key not in parent_of
        }
        chain = {**known_parents, **parent_of}
        self._objective_parents_load(chain)
        chain = {**self._all_parent_keys, **chain}
        good: list[tuple[int, Objective, bool]] = []
        for key, (number, objective, new) in in_file.items():
            bad_columns = reported.get(key, set())
            parent_key = parent_of.get(key) if "parent" not in bad_columns else None
            parent = None
            if parent_key:
                parent = in_file[parent_key][1] if parent_key in in_file else None
                parent = parent or self.objectives.get(parent_key)
                if parent is None:
                    self.error(
                        sheet.name, number, "parent", "parent_not_found",
                        f"No objective has the key “{parent_key}”: the parent was not found.",
                    )  # fmt: skip
                    continue
                seen: set[str] = {key}
                step: str | None = parent_key
                cycle = False
                while step is not None:
                    if step in seen:
                        cycle = True
                        break
                    seen.add(step)
                    step = chain.get(step)
                if cycle:
                    self.error(
                        sheet.name, number, "parent", "cycle",
                        f"“{parent.title}” is aligned under “{objective.title}”: choosing it "
                        "as parent would make a cycle in the tree.",
                    )  # fmt: skip
                    continue
            objective.parent = parent
            if "strategy" in bad_columns:
                continue  # reported: the theme cannot be looked up without it
            strategy = objective._import_strategy
            if strategy is None:
                strategy = getattr(parent, "_import_strategy", None) or (
                    parent.strategy if parent is not None and parent.strategy_id else None
                )
                strategy = strategy or active
            if strategy is None:
                self.error(
                    sheet.name, number, "strategy", "required",
                    "Name the strategy: there is no active strategy to default to.",
                )  # fmt: skip
                continue
            objective._import_strategy = strategy
            objective.strategy = strategy
            if "theme" not in bad_columns:
                theme = themes.get((strategy.pk, objective._import_theme.lower()))
                if theme is None:
                    self.error(
                        sheet.name, number, "theme", "not_found",
                        f"The strategy “{strategy.name}” has no theme "
                        f"“{objective._import_theme}”.",
                    )  # fmt: skip
                    continue
                objective.theme = theme
            if parent is not None and parent.strategy_id and parent.strategy_id != strategy.pk:
                self.error(
                    sheet.name, number, "parent", "inconsistent",
                    "The parent objective belongs to another strategy.",
                )  # fmt: skip
                continue
            if key in reported:
                continue  # its bad cells are reported; the rules between fields wait for them
            try:
                objective.full_clean(
                    exclude=["strategy", "theme", "period", "team", "parent", "owner"],
                    validate_unique=False,
                    validate_constraints=False,
                )
            except ValidationError as error:
                self.model_errors(sheet.name, number, error, columns)
                continue
            good.append((number, objective, new))
        bad_keys = set(in_file) - {o.key for _, o, _ in good}
        # A row whose parent's row is bad cannot be written either (its parent would be missing).
        kept = []
        for number, objective, new in good:
            if objective.parent is not None and self._under_bad(objective, bad_keys):
                self.error(
                    sheet.name, number, "parent", "parent_not_found",
                    f"The row of the parent “{objective.parent.key}” has errors.",
                )  # fmt: skip
                bad_keys.add(objective.key)
            else:
                kept.append((number, objective, new))
        self._write("objectives", kept, out)

    def _objective_parents_load(self, chain: dict) -> None:
        """Every objective's parent key, for the cycle test (ids only; names nothing)."""
        rows = Objective.objects.values_list("id", "key", "parent_id")
        key_of = {pk: key for pk, key, _ in rows}
        self._all_parent_keys = {key: key_of.get(parent_id) for _, key, parent_id in rows}

    def _under_bad(self, objective: Objective, bad_keys: set[str]) -> bool:
        step, seen = objective.parent, set()
        while step is not None and step.key not in seen:
            if step.key in bad_keys:
                return True
            seen.add(step.key)
            step = step.parent if step._state.adding else None
        return False

    def _objectives_write(self, rows: list[tuple[int, Objective, bool]], out: SheetReport):
        depth: dict[str, int] = {}

        def level(objective: Objective) -> int:
            if objective.key in depth:
                return depth[objective.key]
            parent = objective.parent
            depth[objective.key] = (
                level(parent) + 1 if parent is not None and parent._state.adding else 0
            )
            return depth[objective.key]

        creates = [(n, o) for n, o, new in rows if new]
        by_level: dict[int, list[Objective]] = {}
        for _, objective in creates:
            by_level.setdefault(level(objective), []).append(objective)
        for lvl in sorted(by_level):
            self.bulk_create(Objective, by_level[lvl])
        if self.write:
            subjects_mark_dirty(
                subjects=[(SubjectType.OBJECTIVE, o.pk) for _, o in creates]
                + [(SubjectType.TEAM, o.team_id) for _, o in creates]
            )
        self._save_each(
            [(number, objective, new, None) for number, objective, new in rows],
            out,
            save=lambda objective, _: objective_save(objective=objective, by=self.user),
            store=self.objectives,
        )

    # writing, every sheet of keyed rows ------------------------------------------------------
    def _write(self, sheet: str, good: list[tuple], out: SheetReport) -> None:
        """Write a keyed sheet's validated rows (``_<sheet>_write``), recording them first when
        the run records (a preview kept for its apply)."""
        if self.record is not None:
            self.record.append((sheet, good))
        getattr(self, f"_{sheet}_write")(good, out)

    def _create_new(self, model, good: list[tuple], *, dirty) -> None:
        """Insert the new rows of ``good`` (``(number, object, new, extra)``) at once, their
        history included, and mark ``dirty(object)``'s subjects for recompute."""
        creates = [obj for _, obj, new, _ in good if new]
        self.bulk_create(model, creates)
        if self.write:
            subjects_mark_dirty(subjects=[subject for obj in creates for subject in dirty(obj)])

    def _save_each(self, good: list[tuple], out: SheetReport, *, save, label=None, store=None):
        """Count each row of ``good`` (``(number, object, new, extra)``) created, updated or
        unchanged; a changed existing object goes through its service, ``save(object, extra)``.
        ``store``: the run's objects by key, which later sheets refer to."""
        for number, obj, new, extra in good:
            name = label(obj) if label else obj.key
            if new:
                out.count("created", number, name)
            elif obj.changed_fields():
                if self.write:
                    try:
                        save(obj, extra)
                    except ValidationError as error:  # a rule the service adds: this row's
                        self.model_errors(out.sheet, number, error, {})
                        continue
                out.count("updated", number, name)
            else:
                out.count("unchanged", number, name)
            if store is not None:
                store[obj.key] = obj

    # initiatives -----------------------------------------------------------------------------
    def _initiatives(self, sheet: Sheet, sheet_rows: SheetRows, out: SheetReport) -> None:
        rows = self._keys_once(sheet, self._rows(sheet, sheet_rows))
        keys = {row["key"] for _, row, _ in rows if row.get("key") is not None}
        self.load("initiatives", keys)
        self.load(
            "objectives", {_text("o", r["objective"]) for _, r, _ in rows if r.get("objective")}
        )
        taken = self._taken_invisible(Initiative, keys, self.initiatives)
        good: list[tuple[int, Initiative, bool, str | None]] = []
        for number, row, cells in rows:
            key = row.get("key")
            if key is not None and key in taken:
                self.error(sheet.name, number, "key", "unique", KEY_TAKEN)
                continue
            existing = self.initiatives.get(key) if key is not None else None
            new = existing is None
            initiative = existing or Initiative(key=key or "")
            from_status = None if existing is None else existing.status
            if existing is not None and not self.access.can_edit_initiative(existing):
                self.error(
                    sheet.name, number, "key", "permission_denied",
                    "You may not change this initiative.",
                )  # fmt: skip
                continue
            with cells.step():
                objective_key = _text("objective", cells.get("objective"))
                objective = self.objectives.get(objective_key)
                if objective is None:
                    raise self.not_found("objectives", "objective", objective_key)
                initiative.objective = objective
            with cells.step():
                if cells.get("team") is not None:
                    initiative.team = self.team("team", row["team"])
                elif new:
                    cells.get("objective")  # the team follows the objective's, once found
                    initiative.team = initiative.objective.team
                if not self.access.leads(initiative.team_id or initiative.team.pk):
                    raise _BadCell(
                        "team", "permission_denied",
                        f"You may not place initiatives in the team “{initiative.team.name}”.",
                    )  # fmt: skip
            with cells.step():
                if cells.get("owner") is not None:
                    initiative.owner = self.owner("owner", row["owner"], initiative)
                elif "owner" in row:
                    initiative.owner = None
            for name, convert in (
                ("title", _text),
                ("description", _text),
                ("status", lambda c, v: _choice(c, v, INITIATIVE_STATUSES)),
                ("priority", lambda c, v: _choice(c, v, PRIORITY_CHOICES)),
                ("start_date", _date),
                ("due_date", _date),
                ("progress", _int),
                ("budget_planned", _decimal),
                ("effort_planned_fte", _decimal),
                ("checkin_cadence_days", _int),
                ("weight", _decimal),
            ):
                self._set(cells, initiative, name, convert, new=new)
            exclude = ["objective", "team", "owner", "contributors"]
            if self._row_bad(sheet.name, number, cells, initiative, exclude=exclude):
                continue
            try:
                if new:
                    initiative_status_follow(
                        initiative=initiative, from_status=None, today=self.today
                    )
                initiative.full_clean(
                    exclude=exclude, validate_unique=False, validate_constraints=False
                )
            except ValidationError as error:
                self.model_errors(sheet.name, number, error, {})
                continue
            good.append((number, initiative, new, from_status))
        self._write("initiatives", good, out)

    def _initiatives_write(self, good: list[tuple], out: SheetReport) -> None:
        self._create_new(
            Initiative,
            good,
            dirty=lambda i: [
                (SubjectType.INITIATIVE, i.pk),
                (SubjectType.OBJECTIVE, i.objective_id),
            ],
        )
        self._save_each(
            good,
            out,
            save=lambda initiative, _: initiative_save(initiative=initiative, by=self.user),
            store=self.initiatives,
        )

    # KPIs ------------------------------------------------------------------------------------
    def _kpis(self, sheet: Sheet, sheet_rows: SheetRows, out: SheetReport) -> None:
        rows = self._keys_once(sheet, self._rows(sheet, sheet_rows))
        keys = {row["key"] for _, row, _ in rows if row.get("key") is not None}
        self.load("kpis", keys)
        self.load(
            "objectives", {_text("o", r["objective"]) for _, r, _ in rows if r.get("objective")}
        )
        self.load(
            "initiatives", {_text("i", r["initiative"]) for _, r, _ in rows if r.get("initiative")}
        )
        taken = self._taken_invisible(KPI, keys, self.kpis)
        good: list[tuple[int, KPI, bool, dict | None]] = []
        for number, row, cells in rows:
            key = row.get("key")
            if key is not None and key in taken:
                self.error(sheet.name, number, "key", "unique", KEY_TAKEN)
                continue
            existing = self.kpis.get(key) if key is not None else None
            new = existing is None
            kpi = existing or KPI(key=key or "")
            previous = None if existing is None else kpi_plan(kpi=existing)
            if existing is not None and not self.access.can_edit_kpi(existing):
                self.error(
                    sheet.name, number, "key", "permission_denied", "You may not change this KPI."
                )
                continue
            subject: Objective | Initiative | None = None
            if "objective" in row or "initiative" in row:
                kpi.objective = kpi.initiative = None
            with cells.step():
                if cells.get("objective") is not None:
                    objective_key = _text("objective", row["objective"])
                    kpi.objective = subject = self.objectives.get(objective_key)
                    if subject is None:
                        raise self.not_found("objectives", "objective", objective_key)
            with cells.step():
                if cells.get("initiative") is not None:
                    initiative_key = _text("initiative", row["initiative"])
                    kpi.initiative = subject = self.initiatives.get(initiative_key)
                    if subject is None:
                        raise self.not_found("initiatives", "initiative", initiative_key)
            with cells.step():
                if cells.get("team") is not None:
                    kpi.team = self.team("team", row["team"])
                elif new:
                    cells.get("objective"), cells.get("initiative")  # the team follows theirs
                    if subject is not None:
                        kpi.team = subject.team
                team = kpi.team if kpi.team_id or "team" in kpi._state.fields_cache else None
                if team is None:
                    raise _BadCell(
                        "team", "required", "The team is required (or an objective or initiative)."
                    )
                if not self.access.leads(team.pk):
                    raise _BadCell(
                        "team", "permission_denied",
                        f"You may not place KPIs in the team “{kpi.team.name}”.",
                    )  # fmt: skip
            with cells.step():
                if cells.get("owner") is not None:
                    kpi.owner = self.owner("owner", row["owner"], kpi)
                elif "owner" in row:
                    kpi.owner = None
            for name, convert in (
                ("name", _text),
                ("description", _text),
                ("unit", _text),
                ("kind", lambda c, v: _choice(c, v, KPI_KINDS)),
                ("direction", lambda c, v: _choice(c, v, KPI_DIRECTIONS)),
                ("baseline_value", _float),
                ("baseline_date", _date),
                ("target_value", _float),
                ("target_date", _date),
                ("range_low", _float),
                ("range_high", _float),
                ("cadence_days", _int),
                ("weight", _decimal),
                ("data_source", _text),
                ("is_active", _bool),
            ):
                self._set(cells, kpi, name, convert, new=new)
            exclude = ["team", "owner", "objective", "initiative"]
            if self._row_bad(sheet.name, number, cells, kpi, exclude=exclude):
                continue
            try:
                with _unsaved_references_named(kpi, ("objective", "initiative")):
                    kpi.full_clean(
                        exclude=exclude, validate_unique=False, validate_constraints=False
                    )
            except ValidationError as error:
                self.model_errors(sheet.name, number, error, {})
                continue
            good.append((number, kpi, new, previous))
        self._write("kpis", good, out)

    def _kpis_write(self, good: list[tuple], out: SheetReport) -> None:
        self._create_new(KPI, good, dirty=lambda k: [(SubjectType.KPI, k.pk)])
        reason = f"Imported from {self.filename or 'a spreadsheet'}."
        self._save_each(
            good,
            out,
            save=lambda kpi, previous: kpi_save(
                kpi=kpi, changed_by=self.user, reason=reason, previous_plan=previous
            ),
            store=self.kpis,
        )

    # milestones ------------------------------------------------------------------------------
    def _milestones(self, sheet: Sheet, sheet_rows: SheetRows, out: SheetReport) -> None:
        rows = self._rows(sheet, sheet_rows)
        self.load(
            "initiatives", {_text("i", r["initiative"]) for _, r, _ in rows if r.get("initiative")}
        )
        ids = [i.pk for i in self.initiatives.values() if i.pk]
        existing = {
            (m.initiative_id, m.title.strip().lower()): m
            for m in Milestone.objects.filter(initiative_id__in=ids)
        }
        first: dict[tuple[str, str], int] = {}
        good: list[tuple[int, Milestone, bool, None]] = []
        for number, _row, cells in rows:
            initiative = title = None
            with cells.step():
                title = _text("title", cells.get("title"))
            with cells.step():
                initiative_key = _text("initiative", cells.get("initiative"))
                initiative = self.initiatives.get(initiative_key)
                if initiative is None:
                    raise self.not_found("initiatives", "initiative", initiative_key)
                if not self.access.can_edit_initiative(initiative):
                    raise _BadCell(
                        "initiative", "permission_denied", "You may not change this initiative."
                    )
            milestone = None
            if initiative is not None and title is not None and not cells.bad:
                label = f"{initiative_key} / {title}"
                ident = (initiative_key, title.lower())
                if ident in first:
                    self.error(
                        sheet.name, number, "title", "duplicate_key",
                        f"Row {first[ident]} already has the milestone “{title}” of this "
                        "initiative.",
                    )  # fmt: skip
                    continue
                first[ident] = number
                milestone = existing.get((initiative.pk, title.lower())) if initiative.pk else None
                if milestone is not None:
                    milestone.initiative = initiative  # read once, for the notices too
            new = milestone is None
            milestone = milestone or Milestone(initiative=initiative, title=title or "")
            for name, convert in (
                ("due_date", _date),
                ("completed_on", _date),
                ("weight", _decimal),
            ):
                self._set(cells, milestone, name, convert, new=new)
            if self._row_bad(sheet.name, number, cells, milestone, exclude=["initiative"]):
                continue
            try:
                milestone.full_clean(
                    exclude=["initiative"], validate_unique=False, validate_constraints=False
                )
            except ValidationError as error:
                self.model_errors(sheet.name, number, error, {})
                continue
            milestone._import_label = label
            good.append((number, milestone, new, None))
        self._write("milestones", good, out)

    def _milestones_write(self, good: list[tuple], out: SheetReport) -> None:
        """New milestones at once, changed ones through ``milestone_save``; the initiatives'
        people hear of both (``metrics.work``, in the import's batch: their contributors are
        read in one query)."""
        if self.write:
            initiatives = {m.initiative_id: m.initiative for _, m, _, _ in good}
            prefetch_related_objects(list(initiatives.values()), "contributors")
        self._create_new(
            Milestone, good, dirty=lambda m: [(SubjectType.INITIATIVE, m.initiative_id)]
        )
        if self.write:
            for _, milestone, new, _ in good:
                if new:
                    work_milestone_notify(milestone=milestone, by=self.user, created=True)
        self._save_each(
            good,
            out,
            save=lambda milestone, _: milestone_save(milestone=milestone, by=self.user),
            label=lambda milestone: milestone._import_label,
        )

    # measurements ----------------------------------------------------------------------------
    def _measurements(self, sheet: Sheet, sheet_rows: SheetRows, out: SheetReport) -> None:
        """Through the bulk ingestion: its row checks, upsert, corrections and data-quality
        flag. Rows stream from the file into the ingest's plain rows."""
        batch: list[dict] = []
        numbers: list[int] = []
        # A sheet has a few distinct dates in many rows: each date cell's ISO text, once.
        iso_dates: dict[dt.datetime, str] = {}
        for number, row in self._readable(sheet, sheet_rows):
            bad: dict[str, tuple[str, str]] = {}  # column: (code, message)
            for column, cell in row.items():
                if cell.__class__ is CellError:
                    row[column] = None
                    if column in sheet.import_headers:
                        bad[column] = (cell.report_code, cell.message(column))
            value = row.get("value")
            # A TRUE or FALSE cell is an int to Python (a bool is neither class below): it gets
            # the number columns' message.
            if value is not None and value.__class__ is not float and value.__class__ is not int:
                try:
                    value = _float("value", value)
                except _BadCell as bad_value:
                    bad["value"] = (bad_value.code, bad_value.message)
            as_of = row.get("as_of")
            if as_of.__class__ is dt.datetime:
                iso = iso_dates.get(as_of)
                if iso is None:
                    iso = iso_dates[as_of] = _measurement_date_text(as_of)
                as_of = iso
            elif as_of is not None:
                as_of = _measurement_date_text(as_of)
            kpi = row.get("kpi")
            # The reader strips texts; a number in the kpi column is a key written as one.
            if kpi is not None and kpi.__class__ is not str:
                kpi = _text("kpi", kpi)
            item = {"kpi": kpi, "as_of": as_of, "value": value}
            if row.get("note") is not None:
                item["note"] = _text("note", row["note"])
            if bad:
                self._measurement_row_bad(sheet, number, item, bad)
                continue
            batch.append(item)
            numbers.append(number)
        if not batch:
            return
        done: list[tuple[int, int, str]] = []  # (row number, place in the batch, action)
        # In chunks of about MEASUREMENT_CHUNK rows, as the API's requests are (one batch of
        # 100,000 rows is slower than ten of 10,000); each KPI's rows stay in one chunk, so the
        # ingest still finds a KPI and date given twice.
        by_key: dict[Any, list[int]] = {}
        for index, item in enumerate(batch):
            by_key.setdefault(item["kpi"], []).append(index)
        chunks: list[list[int]] = [[]]
        for indexes in by_key.values():
            if chunks[-1] and len(chunks[-1]) + len(indexes) > MEASUREMENT_CHUNK:
                chunks.append([])
            chunks[-1].extend(indexes)
        for chunk in chunks:
            rows = [batch[i] for i in chunk]
            try:
                result = measurements_ingest(
                    rows=rows,
                    access=self.access,
                    entered_by=self.user,
                    source=Measurement.Source.IMPORT,
                    max_rows=len(rows),
                    today=self.today,
                )
            except BatchRejected as rejected:
                for problem in rejected.errors:
                    at = problem.get("index")
                    number = numbers[chunk[at]] if at is not None else 1
                    message = problem["message"]
                    if problem["code"] == "duplicate" and at is not None:
                        # The ingest names the first row by its place in the batch: name both
                        # by their row in the file.
                        message = _duplicate_message(rows, at, [numbers[i] for i in chunk])
                    self.error(
                        sheet.name, number, problem.get("field", ""), problem["code"], message
                    )
                continue
            out.created += result.created
            out.updated += result.updated
            out.unchanged += result.unchanged
            done += [(numbers[chunk[i]], chunk[i], action) for i, action in result.actions]
            for flag in result.implausible:
                self.report.implausible.append(
                    {"sheet": sheet.name, "row": numbers[chunk[flag["index"]]],
                     **{k: v for k, v in flag.items() if k != "index"}}
                )  # fmt: skip
        self.report.implausible.sort(key=lambda flag: (flag["sheet"], flag["row"]))
        # The first rows of the file with their values, as the other sheets list theirs.
        for number, place, action in sorted(done)[:LISTED_ROWS_MAX]:
            item = batch[place]
            out.rows.append(
                {"row": number, "key": f"{item['kpi']} / {item['as_of']}", "action": action,
                 "value": item["value"]}
            )  # fmt: skip

    def _measurement_row_bad(
        self, sheet: Sheet, number: int, item: dict, bad: dict[str, tuple[str, str]]
    ) -> None:
        """Report a measurement row's bad cells with the ingest's own checks of its other cells
        (``measurement_rows_check``; placeholders stand in for the bad ones). The row is not
        handed to the ingest (its KPI is not looked up)."""
        for column, (code, message) in bad.items():
            self.error(sheet.name, number, column, code, message)
        stand_in = {"kpi": "x", "as_of": self.today.isoformat(), "value": 0.0, "note": ""}
        probe = {**item, **{column: stand_in[column] for column in bad if column in stand_in}}
        _, problems = measurement_rows_check([probe], today=self.today)
        for problem in problems:
            if problem["field"] not in bad:
                self.error(
                    sheet.name, number, problem["field"], problem["code"], problem["message"]
                )

    # check-ins -------------------------------------------------------------------------------
    def _checkins(self, sheet: Sheet, sheet_rows: SheetRows, out: SheetReport) -> None:
        rows = self._rows(sheet, sheet_rows)
        self.load(
            "initiatives", {_text("i", r["initiative"]) for _, r, _ in rows if r.get("initiative")}
        )
        ids = [i.pk for i in self.initiatives.values() if i.pk]
        existing = set(
            CheckIn.objects.filter(initiative_id__in=ids).values_list(
                "initiative_id", "author_id", "created_at"
            )
        )
        good: list[tuple[int, CheckIn, str]] = []
        first: dict[tuple, int] = {}
        columns = {"rag": "status"}
        for number, row, cells in rows:
            checkin = CheckIn(
                blockers=_text("blockers", row["blockers"]) if row.get("blockers") else "",
                next_steps=_text("next_steps", row["next_steps"]) if row.get("next_steps") else "",
            )
            with cells.step("blocker_tags"):
                checkin.blocker_tags = blocker_tags_join(
                    tag.strip().lower()
                    for tag in re.split(r"[,;]", str(cells.get("blocker_tags") or ""))
                    if tag.strip()
                )
            with cells.step():
                initiative_key = _text("initiative", cells.get("initiative"))
                initiative = self.initiatives.get(initiative_key)
                if initiative is None:
                    raise self.not_found("initiatives", "initiative", initiative_key)
                if not self.access.can_update_initiative(initiative):
                    raise _BadCell(
                        "initiative", "permission_denied",
                        "You may not post check-ins on this initiative.",
                    )  # fmt: skip
                checkin.initiative = initiative
            with cells.step():
                if checkin.initiative_id is not None:
                    checkin.author = self.owner(
                        "author", cells.get("author"), checkin, role="have written it"
                    )
                else:
                    checkin.author = self.person("author", cells.get("author"))
            with cells.step():
                checkin.created_at = _datetime("created_at", cells.get("created_at"))
            for field_name, column, convert in (
                ("rag", "status", lambda c, v: _choice(c, v, CHECK_IN_RAGS)),
                ("confidence", "confidence", _int),
                ("progress", "progress", _int),
                ("summary", "summary", _text),
            ):
                with cells.step():
                    setattr(checkin, field_name, convert(column, cells.get(column)))
            exclude = ["initiative", "author"]
            if self._row_bad(sheet.name, number, cells, checkin, exclude=exclude, columns=columns):
                continue
            label = f"{initiative_key} / {checkin.created_at:%Y-%m-%d %H:%M}"
            ident = (initiative_key, checkin.author.pk, checkin.created_at)
            if ident in first:
                self.error(
                    sheet.name, number, "created_at", "duplicate_key",
                    f"Row {first[ident]} already has a check-in by this author at this time.",
                )  # fmt: skip
                continue
            first[ident] = number
            initiative = checkin.initiative  # set: the row has no bad cell
            if initiative.pk and (initiative.pk, checkin.author.pk, checkin.created_at) in existing:
                out.count("unchanged", number, label)
                continue
            try:
                checkin.full_clean(
                    exclude=exclude, validate_unique=False, validate_constraints=False
                )
            except ValidationError as error:
                self.model_errors(sheet.name, number, error, columns)
                continue
            good.append((number, checkin, label))
        written = []
        for number, checkin, label in sorted(good, key=lambda g: g[1].created_at):
            try:
                checkin_append(checkin=checkin)  # the initiative's progress follows the newest
            except ValidationError as error:
                self.model_errors(sheet.name, number, error, columns)
            else:
                written.append((number, label))
        for number, label in sorted(written):
            out.count("created", number, label)


def template_rows(sheet: Sheet) -> list[list[Any]]:
    """The header and the example row of a sheet's template (export-only columns left out)."""
    columns = [c for c in sheet.columns if not c.export_only]
    return [[c.name for c in columns], [c.example for c in columns]]


User = get_user_model()
