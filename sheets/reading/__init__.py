"""Reading a plan file: ``.xlsx`` or ``.csv`` (UTF-8 with or without a byte-order mark, comma or
semicolon). Rows come out one at a time with their row number as the spreadsheet shows it (the
header is row 1).

A workbook is read by python-calamine (the Rust calamine reader) when none of its worksheets
holds a formula or an error cell, which calamine reads as empty; otherwise, and for a workbook
whose worksheets unpack to more than ``CALAMINE_MAX_BYTES``, by openpyxl in read-only
streaming mode, which keeps formulas and errors apart and never holds the sheet in memory.
Both give the same values (``tests/sheets/test_reading.py``).

The reader lives in modules, each importing only those before it (one direction): ``cells`` (a
cell's error value or date), ``rows`` (a sheet's rows and the checks every reader shares),
``openpyxl_lean`` (openpyxl tuned), ``workbook`` (calamine or openpyxl) and ``files``
(``file_read``, CSV). Callers import from ``sheets.reading``; the names below are its public
face. A test that replaces a name replaces it where it is used (``workbook._openpyxl_read``,
``workbook.CALAMINE_MAX_BYTES``).
"""

from sheets.reading.cells import (
    SPREADSHEET_ERRORS,
    XLSX_MAGIC,
    CellError,
    cell_date,
    cell_datetime_text,
    cell_error,
)
from sheets.reading.files import file_read, sheet_by_name
from sheets.reading.openpyxl_lean import openpyxl_tune
from sheets.reading.rows import ROW_PROBLEM, FileUnreadable, RowProblem, SheetRows
from sheets.reading.workbook import CALAMINE_MAX_BYTES, calamine_suits

__all__ = [
    "CALAMINE_MAX_BYTES",
    "ROW_PROBLEM",
    "SPREADSHEET_ERRORS",
    "XLSX_MAGIC",
    "CellError",
    "FileUnreadable",
    "RowProblem",
    "SheetRows",
    "calamine_suits",
    "cell_date",
    "cell_datetime_text",
    "cell_error",
    "file_read",
    "openpyxl_tune",
    "sheet_by_name",
]
