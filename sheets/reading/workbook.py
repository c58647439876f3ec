"""Reading an ``.xlsx`` workbook: by calamine when it holds no formula or error cell and is not
too large (``calamine_suits``), otherwise by openpyxl in read-only streaming mode."""

from __future__ import annotations

import datetime as dt
import io
import re
import zipfile
from typing import IO, Any

from sheets.columns import SHEETS
from sheets.reading.openpyxl_lean import openpyxl_tune
from sheets.reading.rows import _DAMAGED, FileUnreadable, SheetRows, _header, _sheet_named

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
