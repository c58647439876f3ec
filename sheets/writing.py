"""Writing sheets: CSV (UTF-8 with a byte-order mark, so that Excel on Windows reads "ÄÖÜ";
formula-safe as the API's CSV, ``execsupport.api.csv_cell_safe``) and XLSX (openpyxl's
write-only mode; text cells stay text, so ``=cmd|...`` is never a formula)."""

from __future__ import annotations

import csv
import datetime as dt
import io
from collections.abc import Iterable, Sequence
from decimal import Decimal
from typing import Any

from django.http import HttpResponse

from execsupport.api import csv_cell_safe

BOM = "\ufeff"
XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def csv_text(headers: list[str], rows: Iterable[Iterable[Any]]) -> str:
    """A CSV document: BOM, header row, the rows; formula-like cells quoted."""
    buffer = io.StringIO()
    buffer.write(BOM)
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(headers)
    for row in rows:
        writer.writerow([csv_cell_safe(_csv_value(v)) for v in row])
    return buffer.getvalue()


def _csv_value(value: Any) -> Any:
    if isinstance(value, dt.datetime):
        return value.isoformat()
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, bool):
        return "yes" if value else "no"
    return value


def xlsx_bytes(sheets: Sequence[tuple[str, Sequence[str], Iterable[Iterable[Any]]]]) -> bytes:
    """A workbook of ``(title, headers, rows)`` sheets. Dates stay dates (YYYY-MM-DD format),
    aware date-times become ISO text (Excel has no time zones), text never becomes a formula."""
    import openpyxl
    from openpyxl.cell import WriteOnlyCell
    from openpyxl.styles import Font

    book = openpyxl.Workbook(write_only=True)
    for title, headers, rows in sheets:
        sheet = book.create_sheet(title[:31])
        bold = Font(bold=True)
        header_cells = []
        for name in headers:
            cell = WriteOnlyCell(sheet, value=name)
            cell.font = bold
            header_cells.append(cell)
        sheet.append(header_cells)
        for row in rows:
            sheet.append([_xlsx_cell(sheet, value, WriteOnlyCell) for value in row])
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def _xlsx_cell(sheet, value: Any, cell_class) -> Any:
    if isinstance(value, dt.datetime):
        return value.isoformat() if value.tzinfo is not None else value
    if isinstance(value, dt.date):
        cell = cell_class(sheet, value=value)
        cell.number_format = "yyyy-mm-dd"
        return cell
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, Decimal):
        return float(value)
    if isinstance(value, str) and value[:1] in ("=", "+", "-", "@"):
        cell = cell_class(sheet, value=value)
        cell.data_type = "s"  # text, never a formula
        return cell
    return value


def csv_response(*, filename: str, headers: list[str], rows: Iterable[Iterable[Any]]):
    """An attachment ``filename.csv`` of the rows."""
    response = HttpResponse(csv_text(headers, rows), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{filename}.csv"'
    return response


def xlsx_response(*, filename: str, sheets: Sequence[tuple[str, Sequence[str], Iterable]]):
    """An attachment ``filename.xlsx`` of the sheets."""
    response = HttpResponse(xlsx_bytes(sheets), content_type=XLSX_TYPE)
    response["Content-Disposition"] = f'attachment; filename="{filename}.xlsx"'
    return response


def sheet_response(*, fmt: str, filename: str, sheet, rows: Iterable[Iterable[Any]]):
    """One ``sheets.columns.Sheet`` of rows as ``filename.csv`` (``fmt`` "csv") or
    ``filename.xlsx`` (anything else: the URL patterns give only these two)."""
    if fmt == "csv":
        return csv_response(filename=filename, headers=sheet.headers, rows=rows)
    return xlsx_response(filename=filename, sheets=[(sheet.title, sheet.headers, rows)])
