"""Reading a plan file: ``.xlsx`` or ``.csv`` (UTF-8 with or without a byte-order mark, comma or
semicolon). Rows come out one at a time with their row number as the spreadsheet shows it (the
header is row 1).

A workbook is read by python-calamine (the Rust calamine reader) when none of its worksheets
holds a formula or an error cell, which calamine reads as empty; otherwise, and for a workbook
whose worksheets unpack to more than ``CALAMINE_MAX_BYTES``, by openpyxl in read-only
streaming mode, which keeps formulas and errors apart and never holds the sheet in memory.
Both give the same values (``tests/sheets/test_reading.py``)."""

from __future__ import annotations

import csv
import datetime as dt
import io
import re
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import IO, Any

from sheets.columns import SHEETS, SHEETS_BY_NAME, Sheet, sheet_for_headers

XLSX_MAGIC = b"PK\x03\x04"
_FORMULA_STARTS = ("=", "+", "-", "@")


# The error values a spreadsheet puts in a cell whose formula failed: Excel's (openpyxl's
# ERROR_CODES and the newer dynamic-array and data-type ones) and LibreOffice's "Err:502" kind.
# An error-typed cell of a workbook reads as its code, and a spreadsheet saves it as that text
# in a CSV file, so both come out of the reader as a ``CellError``.
SPREADSHEET_ERRORS = frozenset(
    {"#NULL!", "#DIV/0!", "#VALUE!", "#REF!", "#NAME?", "#NUM!", "#N/A", "#GETTING_DATA",
     "#SPILL!", "#CALC!", "#FIELD!", "#BLOCKED!", "#CONNECT!", "#BUSY!", "#UNKNOWN!",
     "#PYTHON!", "#EXTERNAL!"}
)  # fmt: skip
_LIBREOFFICE_ERROR = re.compile(r"Err:\d{3}")


@dataclass(frozen=True)
class CellError:
    """A cell holding no usable value: a spreadsheet error (``code`` as the spreadsheet shows
    it: ``#DIV/0!``, ``#N/A``, ``Err:502`` ...), or a formula saved without its result
    (``code`` empty, ``formula``: its text, ``=A2*2``; empty for a shared formula's later
    cells, which hold no text): a workbook written by a program (openpyxl) and never opened
    in a spreadsheet app has no result to read."""

    code: str
    formula: str | None = None

    @property
    def report_code(self) -> str:
        """The error code of the import report: ``spreadsheet_error`` or
        ``formula_without_result``."""
        return "spreadsheet_error" if self.formula is None else "formula_without_result"

    def message(self, column: str) -> str:
        """The plain message of the bad cell, naming its column."""
        if self.formula is not None:
            shown = f" ({self.formula})" if self.formula else ""
            return (
                f"Column “{column}” holds a formula with no saved result{shown}; open and save "
                "the file in a spreadsheet app, or enter the value."
            )
        return f"Column “{column}” holds the spreadsheet error {self.code}; enter a value."


def _formula_unsaved(element, formula_tag: str, value_tag: str) -> CellError | None:
    """The ``CellError`` of a worksheet cell element (``<c>``) without value text that holds a
    formula (``<f>``), else None. A text result (``t="str"``) with an empty ``<v>`` is a
    formula that gave "" (an empty cell, as a spreadsheet app shows it); openpyxl writes a
    formula with no ``t`` and an empty ``<v>``, and a number, boolean or error result is never
    empty text."""
    formula = element.find(formula_tag)
    if formula is None:
        return None
    if element.get("t") == "str" and element.find(value_tag) is not None:
        return None
    text = formula.text
    return CellError("", formula=f"={text}" if text else "")


def cell_error(text: str) -> CellError | None:
    """The ``CellError`` of a stripped text cell that is a spreadsheet error code, else None
    (case-insensitive: "#n/a" typed by hand is the same error)."""
    if text[:1] == "#":
        code = text.upper()
        return CellError(code) if code in SPREADSHEET_ERRORS else None
    if text[:4] == "Err:" and _LIBREOFFICE_ERROR.fullmatch(text):
        return CellError(text)
    return None


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


def file_read(*, stream: IO[bytes], filename: str = "") -> list[SheetRows]:
    """The plan sheets of an uploaded file, in the order the import applies them.

    ``.xlsx``: every worksheet named like a plan sheet (``objectives``, ``KPIs``, ...); other
    worksheets (the template's explanations) are skipped. ``.csv``: one sheet, told by its
    header row. ``FileUnreadable`` when neither works."""
    head = stream.read(4)
    stream.seek(0)
    if head == XLSX_MAGIC or filename.lower().endswith(".xlsx"):
        return _xlsx_read(stream)
    return [_csv_read(stream)]


def openpyxl_tune() -> None:
    """Make openpyxl's read-only worksheets cheaper to stream (about half the CPU time of
    reading a 100,000-row sheet, issue #16); applied once, on the first workbook read.

    * The C parser of the standard library for the worksheets' XML instead of defusedxml's,
      which is the pure-Python one with entity handlers added (every element then costs
      several Python calls). With expat 2.4.1 or newer the standard library's parser expands
      no external entities and is not vulnerable to "billion laughs" or quadratic blowup
      (Python docs, "XML vulnerabilities"); with an older expat defusedxml's stays.
    * No pre-read of a worksheet's size: a sheet without a ``<dimension>`` element (every sheet
      written by openpyxl's write-only mode, as our exports and templates are) was parsed
      twice, once only to learn ``max_row`` / ``max_column``. Nothing here reads those of a
      read-only sheet: ``iter_rows`` streams the rows to the sheet's end either way.
    """
    global _TUNED
    if _TUNED:
        return
    import pyexpat
    import xml.etree.ElementTree as ElementTree

    from openpyxl.worksheet import _read_only, _reader

    if pyexpat.version_info >= (2, 4, 1):
        _reader.iterparse = ElementTree.iterparse  # type: ignore[attr-defined]  # private name the stubs omit
    _read_only.ReadOnlyWorksheet._get_size = lambda self: None  # type: ignore[attr-defined]  # private method the stubs omit
    _reader.WorkSheetParser.parse_cell = _parse_cell_lean(_reader.WorkSheetParser.parse_cell)  # type: ignore[method-assign]  # the patch is the point
    _TUNED = True


def _parse_cell_lean(parse_cell):
    """openpyxl's ``WorkSheetParser.parse_cell`` with a lean path for the cells of nearly every
    sheet, numbers (dates included), shared strings and inline strings (openpyxl writes every
    text so) of a workbook read for its values (issue #16): the coordinate is split without a
    regular expression, the column letters converted once each (openpyxl's
    ``column_index_from_string``), an inline string's text taken from its elements without
    building openpyxl's ``Text`` object. Every other cell (booleans, errors, ISO dates, rich
    text kept as such, formulas kept) and any coordinate the lean path does not know goes to
    openpyxl's own method; the result is the same dict.

    A formula cell without a saved result (``<f>`` and no ``<v>`` text: nothing to read with
    ``data_only``) reads as a ``CellError`` naming the formula, not as an empty cell. Only a
    cell with no value is looked at for its ``<f>`` (one more ``find`` on an element without
    children, in C), so the numbers and texts of a large sheet cost nothing more."""
    from warnings import warn

    from openpyxl.utils.cell import column_index_from_string
    from openpyxl.utils.datetime import from_excel
    from openpyxl.worksheet._reader import (  # type: ignore[attr-defined]  # _cast_number: private, not in the stubs
        FORMULA_TAG,
        INLINE_STRING,
        VALUE_TAG,
        _cast_number,
    )
    from openpyxl.xml.constants import SHEET_MAIN_NS

    TEXT_TAG, RUN_TAG = f"{{{SHEET_MAIN_NS}}}t", f"{{{SHEET_MAIN_NS}}}r"

    columns: dict[str, int] = {}

    def unsaved(self, element) -> dict:
        # openpyxl's own reading, but a formula without its result is said as such.
        cell = parse_cell(self, element)
        if cell["value"] is None and self.data_only:
            cell["value"] = _formula_unsaved(element, FORMULA_TAG, VALUE_TAG)
        return cell

    def lean(self, element):
        get = element.get
        data_type = get("t", "n")
        coordinate = get("r")
        if data_type not in _LEAN_TYPES or not self.data_only or not coordinate:
            return unsaved(self, element)
        if data_type == "inlineStr" and self.rich_text:
            return parse_cell(self, element)
        letters = coordinate.rstrip("0123456789")
        column = columns.get(letters)
        digits = coordinate[len(letters) :]
        if column is None:
            if not letters.isalpha() or not letters.isupper() or len(letters) > 3:
                return unsaved(self, element)
            column = columns[letters] = column_index_from_string(letters)
        if not digits.isdigit():
            return unsaved(self, element)
        row = int(digits)
        self.col_counter = column
        style_id = get("s", 0)
        if style_id:
            style_id = int(style_id)
        if data_type == "inlineStr":
            value: Any = None  # text, number, date or CellError, as openpyxl's own cell dict
            inline = element.find(INLINE_STRING)
            if inline is not None:  # the text of the plain part and of each formatted run
                data_type = "s"
                texts = [inline.findtext(TEXT_TAG)]
                texts += [run.findtext(TEXT_TAG) for run in inline.iterfind(RUN_TAG)]
                value = "".join(text for text in texts if text is not None)
            return {"row": row, "column": column, "value": value, "data_type": data_type,
                    "style_id": style_id}  # fmt: skip
        value = element.findtext(VALUE_TAG, None) or None
        if value is not None:
            if data_type == "n":
                value = _cast_number(value)
                if style_id in self.date_formats:
                    data_type = "d"
                    try:
                        value = from_excel(
                            value, self.epoch, timedelta=style_id in self.timedelta_formats
                        )
                    except (OverflowError, ValueError):
                        warn(
                            f"Cell {coordinate} is marked as a date but the serial value {value} "
                            "is outside the limits for dates. The cell will be treated as an "
                            "error.",
                            stacklevel=2,
                        )
                        data_type, value = "e", "#VALUE!"
            else:
                value = self.shared_strings[int(value)]
        else:
            value = _formula_unsaved(element, FORMULA_TAG, VALUE_TAG)
        return {"row": row, "column": column, "value": value, "data_type": data_type,
                "style_id": style_id}  # fmt: skip

    return lean


_LEAN_TYPES = frozenset({"n", "s", "inlineStr"})


_TUNED = False


# Above this many bytes of worksheet XML in all, a workbook is streamed by openpyxl rather than
# read whole by calamine (a 100,000-row measurements sheet is about 7 MB; a zip bomb's worksheet
# unpacks to gigabytes and is then refused by openpyxl's parser or streamed).
CALAMINE_MAX_BYTES = 256 * 1024 * 1024
# A formula element (``<f>``, ``<f t="shared" .../>``, with or without a namespace prefix) or an
# error-typed cell (``t="e"``): what calamine reads as an empty cell.
_FORMULA_OR_ERROR = re.compile(rb"""<(?:[A-Za-z_][\w.-]*:)?f[\s>/]|\st\s*=\s*["']e["']""")
# What every match of ``_FORMULA_OR_ERROR`` contains: a piece of XML holding none of these
# (found at memchr speed) is not searched by the slower expression (7 MB in 0.5 s).
_FORMULA_OR_ERROR_HINTS = (b"<f", b":f", b'"e"', b"'e'", b"\"e'", b"'e\"")


def _formula_or_error_in(xml: bytes) -> bool:
    return any(hint in xml for hint in _FORMULA_OR_ERROR_HINTS) and bool(
        _FORMULA_OR_ERROR.search(xml)
    )


def calamine_suits(data: bytes) -> bool:
    """True when the ``.xlsx`` bytes can be read by calamine with the values openpyxl gives:
    no worksheet holds a formula or an error cell (matched in the XML, each worksheet unpacked
    in 1 MB pieces that overlap by 64 bytes) and the worksheets unpack to at most
    ``CALAMINE_MAX_BYTES`` in all. A damaged zip is False (openpyxl then says why)."""
    total = 0
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            for item in archive.infolist():
                if not item.filename.startswith("xl/worksheets/"):
                    continue
                with archive.open(item) as member:
                    tail = b""
                    while piece := member.read(1 << 20):
                        total += len(piece)
                        if total > CALAMINE_MAX_BYTES or _formula_or_error_in(tail + piece):
                            return False
                        tail = piece[-64:]
    except (zipfile.BadZipFile, OSError, EOFError, ValueError, RuntimeError):
        return False
    return total > 0


def _calamine_row(row: list[Any]) -> list[Any]:
    """A calamine row with its cells as openpyxl gives them: a whole number as an int (openpyxl
    reads ``42`` so), a date as a datetime at midnight, an empty cell as None; everything else
    as it is (str, float, bool, datetime, time, timedelta). One call per row, not per cell:
    this runs for each of a measurements sheet's 100,000 rows (issue #16)."""
    cells = []
    for value in row:
        cls = value.__class__
        if cls is str:
            cells.append(value or None)
        elif cls is float:
            cells.append(int(value) if value.is_integer() and abs(value) < 2**53 else value)
        elif cls is dt.date:  # openpyxl reads every date-formatted cell as a datetime
            cells.append(dt.datetime(value.year, value.month, value.day))
        else:
            cells.append(value)
    return cells


def _calamine_read(data: bytes) -> list[SheetRows] | None:
    """The plan sheets of the workbook through calamine (see the module's docstring); None
    when calamine cannot read it (openpyxl then reads it, or says why it cannot)."""
    from python_calamine import CalamineError, CalamineWorkbook, SheetTypeEnum

    try:
        book = CalamineWorkbook.from_filelike(io.BytesIO(data))
        found: dict[str, SheetRows] = {}
        # Worksheets only, as openpyxl's ``book.worksheets``: a chart sheet has no rows.
        titles = [m.name for m in book.sheets_metadata if m.typ == SheetTypeEnum.WorkSheet]
        for title in titles:
            sheet = _sheet_named(title)
            if sheet is None:
                continue
            # From cell A1 (``skip_empty_area=False``), so that the header is row 1 and every
            # row keeps the number the spreadsheet shows.
            table = book.get_sheet_by_name(title).to_python(skip_empty_area=False)
            values = (_calamine_row(row) for row in table)
            headers = _header(next(values, ()) or ())
            found[sheet.name] = SheetRows.reading(sheet=sheet, headers=headers, values=values)
    except (CalamineError, ValueError, TypeError, OSError):
        return None
    return _sheets_found(found)


def _sheets_found(found: dict[str, SheetRows]) -> list[SheetRows]:
    if not found:
        names = ", ".join(sheet.title for sheet in SHEETS)
        raise FileUnreadable(f"No sheet of the workbook is named like a plan sheet ({names}).")
    return [found[sheet.name] for sheet in SHEETS if sheet.name in found]


def _xlsx_read(stream: IO[bytes]) -> list[SheetRows]:
    data = stream.read()
    if calamine_suits(data):
        sheets = _calamine_read(data)
        if sheets is not None:
            return sheets
    return _openpyxl_read(io.BytesIO(data))


def _openpyxl_read(stream: IO[bytes]) -> list[SheetRows]:
    import openpyxl
    from openpyxl.utils.exceptions import InvalidFileException

    openpyxl_tune()
    try:
        book = openpyxl.load_workbook(stream, read_only=True, data_only=True)
    except (
        zipfile.BadZipFile, KeyError, OSError, ValueError, TypeError, SyntaxError,
        InvalidFileException,
    ) as error:  # fmt: skip
        raise FileUnreadable(f"This is not a readable .xlsx workbook ({error}).") from None
    found: dict[str, SheetRows] = {}
    for worksheet in book.worksheets:
        sheet = _sheet_named(worksheet.title)
        if sheet is None:
            continue
        values = worksheet.iter_rows(values_only=True)
        try:  # the header row is parsed here, outside ``_rows``: a damaged sheet fails on it
            headers = _header(next(values, ()) or ())
        except _DAMAGED as error:
            raise FileUnreadable(f"The workbook is damaged and cannot be read ({error}).") from None
        found[sheet.name] = SheetRows.reading(sheet=sheet, headers=headers, values=values)
    return _sheets_found(found)


def _csv_read(stream: IO[bytes]) -> SheetRows:
    text = io.TextIOWrapper(stream, encoding="utf-8-sig", newline="")
    try:
        first = text.readline()
    except UnicodeDecodeError:
        raise FileUnreadable(
            "The CSV file is not UTF-8 text: save it as “CSV UTF-8” and upload it again."
        ) from None
    delimiter = ";" if first.count(";") > first.count(",") else ","
    headers = _header(next(csv.reader([first], delimiter=delimiter), []))
    sheet = sheet_for_headers(headers)
    if sheet is None:
        raise FileUnreadable(
            "The header row does not match any plan sheet: download a template and keep its "
            "column names in the first row."
        )

    def values() -> Iterator[list[str]]:
        try:
            yield from csv.reader(text, delimiter=delimiter)
        except UnicodeDecodeError:
            raise FileUnreadable(
                "The CSV file is not UTF-8 text: save it as “CSV UTF-8” and upload it again."
            ) from None

    return SheetRows.reading(
        sheet=sheet,
        headers=headers,
        values=values(),
        fields_checked=True,
        decimal_comma=delimiter == ";",
    )


def sheet_by_name(name: str) -> Sheet:
    """The sheet of that name (``KeyError`` when none)."""
    return SHEETS_BY_NAME[name]


# A date, optionally with a time (``T`` or a space, then ``HH:MM``, seconds, fraction, offset):
# the whole text, so that "2026-01-011" is not read as 2026-01-01.
_ISO_DATE_TIME = re.compile(
    r"\d{4}-\d{2}-\d{2}(?:[T ]\d{2}:\d{2}(?::\d{2}(?:[.,]\d{1,6})?)?(?:Z|[+-]\d{2}:?\d{2})?)?"
)


def cell_datetime_text(text: str) -> dt.datetime | dt.date:
    """Text ``YYYY-MM-DD`` as a date, ``YYYY-MM-DD[T ]HH:MM[:SS[.f]][offset]`` as a datetime,
    the whole text and nothing else (``20260101``, ``2026-W01-1`` or ``2026-01-011`` are no
    dates). ``ValueError`` else."""
    text = text.strip()
    if not _ISO_DATE_TIME.fullmatch(text):
        raise ValueError(text)
    if len(text) == 10:
        return dt.date.fromisoformat(text)
    return dt.datetime.fromisoformat(text.replace("Z", "+00:00"))


def cell_date(value: Any) -> dt.date:
    """A cell as a date: a spreadsheet date, or text ``YYYY-MM-DD`` (a time after it is
    allowed, as a spreadsheet saves a date cell in a CSV file). ``ValueError`` else."""
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    parsed = cell_datetime_text(str(value))
    return parsed.date() if isinstance(parsed, dt.datetime) else parsed
