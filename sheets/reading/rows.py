"""A sheet's rows as read: ``SheetRows`` (its header, its rows with their numbers), a row the
reader could not split (``RowProblem``), and the checks every reader shares (the header, the
rows of a damaged file, a row with more fields than the header, a sheet by its title)."""

from __future__ import annotations

import zipfile
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from sheets.columns import SHEETS, Sheet
from sheets.reading.cells import _FORMULA_STARTS, cell_error


class FileUnreadable(Exception):
    """The file is not a plan file this reader understands; ``str()`` says why, plainly."""


@dataclass
class SheetRows:
    """One sheet of the file: its kind, its header as given, and an iterator of
    ``(row number, {column: value})`` (values: str, int, float, bool, date, datetime,
    ``CellError`` or None)."""

    sheet: Sheet
    headers: list[str]
    rows: Iterator[tuple[int, dict[str, Any]]]
    # A comma in a number is a decimal comma (a semicolon-separated CSV file); elsewhere a
    # comma in a number is ambiguous (a thousands separator or a decimal comma?).
    decimal_comma: bool = False
    # The places (0-based) of the columns without a name in the header that hold a value in
    # some row: filled while ``rows`` is read (the values are not imported; the report says so).
    unnamed: set[int] = field(default_factory=set)

    @classmethod
    def reading(
        cls, *, sheet: Sheet, headers: list[str], values, fields_checked: bool = False, **extra
    ) -> SheetRows:
        """The sheet whose rows are read from ``values`` (the rows after the header)."""
        sheet_rows = cls(sheet=sheet, headers=headers, rows=iter(()), **extra)
        sheet_rows.rows = _rows_of(
            headers, values, 2, fields_checked=fields_checked, unnamed=sheet_rows.unnamed
        )
        return sheet_rows


# The key of a row that cannot be read as its header says: ``{ROW_PROBLEM: RowProblem}`` and no
# other cell (no column is named "").
ROW_PROBLEM = ""


@dataclass(frozen=True)
class RowProblem:
    """A row read as a whole wrong: ``code`` and a plain ``message`` (more fields than the
    header, so that its cells cannot be told apart)."""

    code: str
    message: str


def _header(values) -> list[str]:
    """The column names of a header row, normalised, without the empty ones at its end."""
    names = [str(v).strip().lower().replace(" ", "_") if v is not None else "" for v in values]
    while names and not names[-1]:
        names.pop()
    return names


# What a damaged workbook raises while openpyxl parses it lazily (read-only mode), mid-sheet;
# xml.etree's ParseError is a SyntaxError.
_DAMAGED = (zipfile.BadZipFile, KeyError, ValueError, TypeError, SyntaxError, OSError)


def _rows_guarded(values_iter) -> Iterator:
    """``values_iter`` with a damaged workbook's parse errors as ``FileUnreadable``."""
    try:
        yield from values_iter
    except _DAMAGED as error:
        raise FileUnreadable(f"The workbook is damaged and cannot be read ({error}).") from None


def _rows_of(
    headers: list[str],
    values_iter,
    first: int,
    *,
    fields_checked: bool = False,
    unnamed: set[int] | None = None,
) -> Iterator[tuple[int, dict[str, Any]]]:
    """Each row as ``(number, {column: value})``. ``fields_checked`` (a CSV file): a row with
    more filled fields than the header is one ``RowProblem`` (a workbook's cells keep their
    columns: a filled cell past the header is not read, as an unknown column is not; its
    place is added to ``unnamed``, as that of a filled cell under an empty header cell)."""
    unnamed = set() if unnamed is None else unnamed
    width = len(headers)
    # The named columns' places, and those of the columns without a name (a filled cell there
    # is reported, not read), worked out once for the sheet rather than once per row.
    named = [(place, name) for place, name in enumerate(headers) if name]
    nameless = [place for place, name in enumerate(headers) if not name]
    for number, values in enumerate(_rows_guarded(values_iter), start=first):
        if values is None:
            continue
        count = len(values)
        if count > width:
            beyond = [i for i in range(width, count) if _filled(values[i])]
            if beyond and fields_checked:
                # A field separator inside an unquoted text (a ";" in a description): the cells
                # after it are shifted, and which is which cannot be told.
                problem = RowProblem("too_many_fields", _too_many(values, headers))
                yield number, {ROW_PROBLEM: problem}
                continue
            unnamed.update(beyond)
        for place in nameless:
            if place < count and _filled(values[place]):
                unnamed.add(place)
        row = {}
        blank = True
        # Every column of the header is in the row, None when its cell is empty or missing
        # (a workbook leaves trailing empty cells out): an emptied cell reads alike from an
        # ``.xlsx`` (either reader) and a ``.csv``.
        for place, name in named:
            value = values[place] if place < count else None
            if isinstance(value, str):
                value = value.strip()
                if value[:1] == "'" and value[1:2] in _FORMULA_STARTS:
                    value = value[1:]  # quoted against formulas by our CSV export
                if value == "":
                    value = None
                elif value[:1] in "#E":
                    value = cell_error(value) or value
            if value is not None:
                blank = False
            row[name] = value
        if not blank:
            yield number, row


def _filled(value: Any) -> bool:
    return value is not None and (not isinstance(value, str) or bool(value.strip()))


def _too_many(values, headers: list[str]) -> str:
    count = len(values)
    while count > len(headers) and (values[count - 1] is None or str(values[count - 1]) == ""):
        count -= 1
    return (
        f"This row has {count} fields; the header has {len(headers)}: a text holding the "
        "field separator must be in double quotes."
    )


def _sheet_named(title: str) -> Sheet | None:
    wanted = title.strip().lower().replace(" ", "_").replace("-", "")
    for sheet in SHEETS:
        if wanted in (sheet.name, sheet.title.lower().replace(" ", "_").replace("-", "")):
            return sheet
    return None
