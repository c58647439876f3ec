"""One cell as read: a spreadsheet's error values (``CellError``, ``cell_error``), a formula saved
without its value, and a cell's date or date and time."""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from typing import Any

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
