"""openpyxl tuned for the plan's workbooks (``openpyxl_tune``): a leaner parse of the cells of
the types a plan file holds, formulas and errors kept apart, once per process."""

from __future__ import annotations

from typing import Any

from sheets.reading.cells import _formula_unsaved


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
