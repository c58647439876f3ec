"""The run of one import, what every sheet shares: the lookups (people, teams, the plan's rows by
key, read once), the row checks (bad cells, keys given twice, keys held by a row the importer
may not see), the errors, and the writing of a keyed sheet's validated rows (bulk creations,
each update through its save service). Each sheet's own checks are a subclass in their module
(``objectives``, ``initiatives``, ``kpis``, ``measurements``); ``run._Run`` puts them together."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from django.core.exceptions import ValidationError
from django.db import IntegrityError, models, transaction

from activity.history import history_record_created
from initiatives.models import Initiative
from metrics.models import KPI
from metrics.services import (
    subjects_mark_dirty,
)
from sheets.columns import Sheet
from sheets.plan_import.cells import _BadCell, _Cells, _decimal_comma, _text, _validation_items
from sheets.plan_import.report import ImportReport, RowError, SheetReport
from sheets.reading import (
    ROW_PROBLEM,
    CellError,
    RowProblem,
    SheetRows,
)
from strategy.access import Access, assignees_check
from strategy.keys import keys_taken_ignoring_case
from strategy.models import (
    Objective,
    Team,
    VersionConflict,
)
from strategy.people import people_choosable

# Columns whose empty cell clears the value of an existing row; any other empty cell leaves an
# existing row's value as it is (and gives a new row the default).
CLEARABLE = frozenset(
    {"parent", "owner", "description", "completed_on", "range_low", "range_high", "unit",
     "data_source", "blockers", "next_steps"}
)  # fmt: skip
# Measurements handed to the bulk ingestion at once (as the API's largest request).


class _RunBase:
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
