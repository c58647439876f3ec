"""One row's cells: the bad-cell bookkeeping (``_Cells``: every bad cell of a row, each check in
its own step) and the conversions of a cell to a date, number, choice or text as the models
take them; the models' choices, read once."""

from __future__ import annotations

import datetime as dt
import functools
import re
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from decimal import Decimal, InvalidOperation
from typing import Any

from django.core.exceptions import NON_FIELD_ERRORS, ValidationError
from django.db import models
from django.utils import timezone

from initiatives.models import CheckIn, Initiative
from metrics.models import KPI
from sheets.reading import (
    cell_date,
    cell_datetime_text,
)
from strategy.models import (
    Objective,
    Priority,
)


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
