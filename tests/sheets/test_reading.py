"""Reading workbooks with the tuned openpyxl (``sheets.reading.openpyxl_tune``): the same rows,
and a hostile workbook neither reads an external entity nor expands a "billion laughs" (the
standard library's parser on expat 2.4.1+ refuses both, or bounds the expansion)."""

from __future__ import annotations

import datetime as dt
import io
import zipfile

import openpyxl
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from sheets.reading import CellError, FileUnreadable, file_read
from sheets.reading.workbook import _FORMULA_OR_ERROR, _formula_or_error_in

# "Billion laughs": ten times ten times ... 'lol', 10^9 of them once expanded.
_LAUGHS = (
    '<!DOCTYPE x [<!ENTITY l0 "lol">'
    + "".join(f'<!ENTITY l{i} "{("&l" + str(i - 1) + ";") * 10}">' for i in range(1, 10))
    + "]>"
)


def _workbook(rows: list[list]) -> bytes:
    book = openpyxl.Workbook(write_only=True)  # no <dimension>: the size is not pre-read
    sheet = book.create_sheet("Measurements")
    for row in rows:
        sheet.append(row)
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def test_rows_stream_out_as_written():
    rows = [["kpi", "as_of", "value", "note"]] + [
        ["nps", dt.date(2026, 1, 1) + dt.timedelta(days=d), d / 7, None if d % 2 else "ok"]
        for d in range(50)
    ]
    (sheet,) = file_read(stream=io.BytesIO(_workbook(rows)), filename="m.xlsx")
    read = list(sheet.rows)
    assert sheet.headers == ["kpi", "as_of", "value", "note"]
    assert [number for number, _ in read] == list(range(2, 52))
    assert read[3][1] == {
        "kpi": "nps",
        "as_of": dt.datetime(2026, 1, 4),
        "value": pytest.approx(3 / 7, rel=1e-15),
        "note": None,  # an empty last cell is in the row, as in a CSV file
    }
    assert read[4][1]["note"] == "ok"


@pytest.mark.parametrize(
    ("doctype", "reference"),
    [
        ('<!DOCTYPE x [<!ENTITY e SYSTEM "file:///etc/passwd">]>', "&e;"),
        (_LAUGHS, "&l9;"),
    ],
    ids=["external entity", "entity expansion"],
)
def test_a_hostile_workbook_reads_no_file_and_does_not_blow_up(doctype, reference):
    plain = _workbook([["kpi", "as_of", "value"], ["nps", "2026-01-01", 1]])
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(plain)) as source, zipfile.ZipFile(out, "w") as target:
        for item in source.infolist():
            data = source.read(item.filename)
            if item.filename.startswith("xl/worksheets/sheet"):
                text = doctype + data.decode().replace(">nps<", f">{reference}<")
                data = text.encode()
            target.writestr(item, data)
    try:
        (sheet,) = file_read(stream=io.BytesIO(out.getvalue()), filename="m.xlsx")
        values = [row for _, row in sheet.rows]
    except FileUnreadable:
        return  # refused: fine
    text = repr(values)
    assert "root:" not in text
    assert len(text) < 10_000_000  # expat's amplification limit, far below 10^9


def test_the_lean_cell_parser_reads_every_kind_of_cell_as_openpyxl_does():
    """``openpyxl_tune``'s lean path (numbers, dates, shared and inline strings) and its hand-over to
    openpyxl's own parser (booleans, errors, formulas, times), rich text included give the very
    values openpyxl's own parser gives, cell by cell, far columns included."""
    from openpyxl.cell.rich_text import CellRichText, TextBlock
    from openpyxl.cell.text import InlineFont
    from openpyxl.worksheet import _reader

    from sheets.reading import openpyxl_tune

    book = openpyxl.Workbook()
    sheet = book.active
    sheet.title = "Measurements"
    sheet.append(["kpi", "as_of", "value", "note"])
    sheet.append(["nps", dt.date(2026, 1, 31), 42, "text"])
    sheet.append(["nps", dt.datetime(2026, 2, 28, 13, 30), 4.25, True])
    sheet.append(["nps", "2026-03-31", -1e-7, "=1+1"])
    sheet.append([None, dt.time(12, 30), "#DIV/0!", 0])
    sheet["AB7"] = 7
    sheet["C7"] = CellRichText(["plain ", TextBlock(InlineFont(b=True), "bold"), " end"])
    sheet["D7"] = " spaced "
    sheet["AAA8"] = dt.date(1999, 12, 31)
    buffer = io.BytesIO()
    book.save(buffer)

    def cells(parse_cell) -> list:
        original = _reader.WorkSheetParser.parse_cell
        _reader.WorkSheetParser.parse_cell = parse_cell
        try:
            read = openpyxl.load_workbook(io.BytesIO(buffer.getvalue()), read_only=True,
                                          data_only=True)  # fmt: skip
            return list(read.worksheets[0].iter_rows(values_only=True))
        finally:
            _reader.WorkSheetParser.parse_cell = original

    openpyxl_tune()
    tuned = _reader.WorkSheetParser.parse_cell
    assert tuned.__name__ == "lean"
    own = tuned.__closure__[
        tuned.__code__.co_freevars.index("parse_cell")
    ].cell_contents  # openpyxl's own method, wrapped
    # The one difference: a formula never computed (openpyxl wrote it) says so, not None.
    theirs, ours = cells(own), cells(tuned)
    assert (theirs[3][3], ours[3][3]) == (None, CellError("", formula="=1+1"))
    assert ours[:3] + ours[4:] == theirs[:3] + theirs[4:]
    assert ours[3][:3] == theirs[3][:3]
    assert cells(tuned)[7][702] == dt.datetime(1999, 12, 31)
    assert cells(tuned)[6][2:4] == ("plain bold end", " spaced ")


def _sheet_xml_edit(data: bytes, edit) -> bytes:
    """The workbook with its first worksheet's XML passed through ``edit`` (str -> str)."""
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(data)) as source, zipfile.ZipFile(out, "w") as target:
        for info in source.infolist():
            content = source.read(info.filename)
            if info.filename == "xl/worksheets/sheet1.xml":
                content = edit(content.decode()).encode()
            target.writestr(info, content)
    return out.getvalue()


def test_a_formula_without_a_saved_result_reads_as_such_with_its_text():
    """openpyxl writes a formula with no result (``<f>A2*2</f><v/>``): it reads as a
    ``CellError`` naming the formula, in the lean path (a number cell) and in openpyxl's own
    (a text, boolean or error cell, a far column), a shared formula's later cell too; once a
    spreadsheet app saved the results (``<v>`` text, or a text result that is empty), the
    results are read."""
    rows = [["kpi", "as_of", "value", "note"], ["nps", "2026-01-31", 21, "=A2&B2"]]
    rows += [["nps", "2026-02-28", "=C2*2", None], ["=UPPER(A2)", "2026-03-31", 5, "x"]]
    data = _workbook(rows)
    (sheet,) = file_read(stream=io.BytesIO(data), filename="m.xlsx")
    read = dict(sheet.rows)
    assert read[2]["note"] == CellError("", formula="=A2&B2")
    assert read[3]["value"] == CellError("", formula="=C2*2")
    assert read[4]["kpi"] == CellError("", formula="=UPPER(A2)")
    assert read[3].get("note") is None  # an empty cell stays empty

    def typed(xml: str) -> str:  # as a spreadsheet app types and shares them, no results
        xml = xml.replace("<f>A2&amp;B2</f><v></v>", "<f>A2&amp;B2</f>").replace(
            '<c r="D2">', '<c r="D2" t="str">'
        )
        xml = xml.replace('<c r="A4"><f>UPPER(A2)</f>', '<c r="A4" t="e"><f t="shared" si="0"/>')
        return xml.replace('<c r="C3">', '<c r="C3" t="b">')

    (sheet,) = file_read(stream=io.BytesIO(_sheet_xml_edit(data, typed)), filename="m.xlsx")
    read = dict(sheet.rows)
    assert read[2]["note"] == CellError("", formula="=A2&B2")
    assert read[3]["value"] == CellError("", formula="=C2*2")
    assert read[4]["kpi"] == CellError("", formula="")

    def computed(xml: str) -> str:  # saved by a spreadsheet app: each with its result
        xml = xml.replace('<c r="D2">', '<c r="D2" t="str">')  # a text result: ""
        xml = xml.replace("<f>C2*2</f><v></v>", "<f>C2*2</f><v>42</v>")
        xml = xml.replace("<f>UPPER(A2)</f><v></v>", "<f>UPPER(A2)</f><v>NPS</v>")
        return xml.replace('<c r="A4">', '<c r="A4" t="str">')

    (sheet,) = file_read(stream=io.BytesIO(_sheet_xml_edit(data, computed)), filename="m.xlsx")
    read = dict(sheet.rows)
    assert (read[2]["note"], read[3]["value"], read[4]["kpi"]) == (None, 42, "NPS")


def _plain_book() -> bytes:
    """A workbook of every kind of value a plan file holds, without formulas or error cells:
    a blank first column and rows, far columns, dates, datetimes, times, whole and decimal
    numbers, booleans, rich and spaced text, and a second plan sheet."""
    from openpyxl.cell.rich_text import CellRichText, TextBlock
    from openpyxl.cell.text import InlineFont

    book = openpyxl.Workbook()
    sheet = book.active
    sheet.title = "Measurements"
    sheet.append(["kpi", "as_of", "value", "note"])
    sheet.append(["nps", dt.date(2026, 1, 31), 42, "text"])
    sheet.append(["nps", dt.datetime(2026, 2, 28, 13, 30), 4.25, True])
    sheet.append(["nps", "2026-03-31", -1e-7, "ÄÖÜ €"])
    sheet.append([None, dt.time(12, 30), 2**40, 0])
    sheet["C7"] = CellRichText(["plain ", TextBlock(InlineFont(b=True), "bold"), " end"])
    sheet["D7"] = " spaced "
    sheet["A9"] = "nps"
    sheet["B9"] = dt.datetime(2026, 4, 30)
    sheet["C9"] = 1e300
    sheet["AAA10"] = dt.date(1999, 12, 31)
    objectives = book.create_sheet("Objectives")
    objectives.append(["key", "title", "parent"])
    objectives.append(["grow", "Grow", None])
    objectives.append([2024, "A number as a key", "grow"])
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def _read_all(sheets) -> list:
    return [(s.sheet.name, s.headers, list(s.rows)) for s in sheets]


def test_calamine_reads_a_plain_workbook_as_openpyxl_does():
    """The fast reader (python-calamine) gives the very rows, row numbers and values (types
    included: whole numbers as int, dates as datetimes at midnight) that openpyxl's read-only
    mode gives, for every kind of value of a plan file."""
    from sheets.reading.workbook import _calamine_read, _openpyxl_read, calamine_suits

    data = _plain_book()
    assert calamine_suits(data)
    fast = _calamine_read(data)
    assert fast is not None
    slow = _read_all(_openpyxl_read(io.BytesIO(data)))
    assert _read_all(fast) == slow
    rows = dict(slow[0][2] if slow[0][0] == "measurements" else slow[1][2])
    assert rows[2]["as_of"] == dt.datetime(2026, 1, 31)
    assert type(rows[2]["value"]) is int
    assert rows[7]["value"] == "plain bold end"
    objectives = next(r for name, _, r in slow if name == "objectives")
    assert objectives[1] == (3, {"key": 2024, "title": "A number as a key", "parent": "grow"})


def test_calamine_is_used_for_a_plain_workbook(monkeypatch):
    """``file_read`` takes the fast path for a workbook without formulas or errors: openpyxl
    is never asked."""
    from sheets.reading import workbook as reading

    def refuse(stream):
        raise AssertionError("openpyxl read a plain workbook")

    monkeypatch.setattr(reading, "_openpyxl_read", refuse)
    sheets = file_read(stream=io.BytesIO(_plain_book()), filename="plan.xlsx")
    assert [s.sheet.name for s in sheets] == ["objectives", "measurements"]


@pytest.mark.parametrize(
    "cell",
    [
        '<c r="E2"><f>A2*2</f></c>',  # a formula never computed: no <v>
        '<c r="E2"><f>1+1</f><v>2</v></c>',  # a computed formula
        '<c r="E2"><f t="shared" ref="E2:E3" si="0"/></c>',
        '<c r="E2" t="e"><v>#DIV/0!</v></c>',
        "<c r='E2' t='e'><v>#N/A</v></c>",
    ],
    ids=["formula without value", "formula", "shared formula", "error", "error quoted"],
)
def test_a_workbook_with_a_formula_or_an_error_cell_is_read_by_openpyxl(cell, monkeypatch):
    """calamine reads a formula without a saved result and an error cell as empty, which would
    say "required" where the cell holds something else: such workbooks go to openpyxl, which
    tells them apart. The prefixed spelling of the elements is matched too."""
    from sheets.reading import workbook as reading

    def into_row_2(xml: str, text: str) -> str:
        end = xml.index("</row>", xml.index('<row r="2"'))
        return xml[:end] + text + xml[end:]

    data = _sheet_xml_edit(_plain_book(), lambda xml: into_row_2(xml, cell))
    assert not reading.calamine_suits(data)
    prefixed = cell.replace("<f", "<x:f").replace("</f>", "</x:f>")
    if prefixed != cell:
        assert not reading.calamine_suits(
            _sheet_xml_edit(_plain_book(), lambda xml: into_row_2(xml, prefixed))
        )
    asked = []
    monkeypatch.setattr(reading, "_calamine_read", lambda data: asked.append(1))
    file_read(stream=io.BytesIO(data), filename="plan.xlsx")
    assert asked == []


def test_a_workbook_unpacking_beyond_the_limit_is_streamed_by_openpyxl(monkeypatch):
    from sheets.reading import workbook as reading

    data = _plain_book()
    monkeypatch.setattr(reading, "CALAMINE_MAX_BYTES", 1000)
    assert not reading.calamine_suits(data)
    assert not reading.calamine_suits(b"PK\x03\x04 not a zip")


def test_a_chart_sheet_named_like_a_plan_sheet_is_not_read_as_one():
    """A chart sheet has no rows: both readers skip it, as openpyxl's ``book.worksheets`` does
    (calamine's sheet names include chart sheets; one named "KPIs" read as an empty KPI sheet
    with every column missing)."""
    from openpyxl.chart import BarChart, Reference

    book = openpyxl.Workbook()
    sheet = book.active
    sheet.title = "Measurements"
    sheet.append(["kpi", "as_of", "value"])
    sheet.append(["nps", dt.date(2026, 1, 31), 1])
    chart = BarChart()
    chart.add_data(Reference(sheet, min_col=3, min_row=1, max_row=2))
    book.create_chartsheet("KPIs").add_chart(chart)
    buffer = io.BytesIO()
    book.save(buffer)
    sheets = file_read(stream=io.BytesIO(buffer.getvalue()), filename="plan.xlsx")
    assert [s.sheet.name for s in sheets] == ["measurements"]


def test_a_damaged_worksheet_is_a_plain_error_not_a_crash():
    """A worksheet cut in half fails in its header row: ``FileUnreadable``, not a parse error
    escaping to a 500 or a traceback."""
    data = _sheet_xml_edit(_plain_book(), lambda xml: xml[: len(xml) // 2])

    def read() -> list:
        return [list(s.rows) for s in file_read(stream=io.BytesIO(data), filename="plan.xlsx")]

    with pytest.raises(FileUnreadable, match="damaged"):
        read()


_XML_BYTES = [b"<", b">", b"/", b":", b"f", b"x", b"t", b"e", b"=", b'"', b"'", b" ", b"\t"]


@settings(max_examples=150, deadline=None)
@given(
    st.one_of(
        st.from_regex(_FORMULA_OR_ERROR),
        st.lists(st.sampled_from(_XML_BYTES), max_size=40).map(b"".join),
    )
)
def test_the_quick_filter_for_formulas_and_errors_never_changes_the_answer(xml):
    """``calamine_suits`` searches a piece of worksheet XML with the full expression only when
    one of its hints is there: for any bytes, matching ones included, the answer is the full
    expression's."""
    assert _formula_or_error_in(xml) == bool(_FORMULA_OR_ERROR.search(xml))
