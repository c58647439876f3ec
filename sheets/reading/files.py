"""Reading a plan file (``file_read``): a workbook or a CSV file (UTF-8, with or without a
byte-order mark, comma or semicolon), and a sheet by its name."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from typing import IO

from sheets.columns import SHEETS_BY_NAME, Sheet, sheet_for_headers
from sheets.reading.cells import XLSX_MAGIC
from sheets.reading.rows import FileUnreadable, SheetRows, _header
from sheets.reading.workbook import _xlsx_read


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
