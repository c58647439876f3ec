"""Every bad cell of a row is reported (not only the first), in the preview, the page, the API's
JSON and the command; a cell holding a spreadsheet error (``#DIV/0!``, ``#N/A``, LibreOffice's
``Err:502``) says so, for every column of every sheet, in ``.xlsx`` and ``.csv``."""

from __future__ import annotations

import copy
import io

import openpyxl
import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.test import Client
from openpyxl.cell.cell import ERROR_CODES
from rest_framework.test import APIClient

from sheets.columns import SHEETS
from sheets.plan_import import plan_import
from sheets.reading import SPREADSHEET_ERRORS, CellError, cell_error
from strategy.models import Objective
from tests.sheets.conftest import csv_bytes, full_plan, xlsx_bytes

# A KPI row with a bad date, an unknown owner and a bad number; an initiative row likewise.
BAD_CELLS = {
    ("kpis", 2, "owner"): ("unknown_person", "No person with the e-mail “nobody@example.com”"),
    ("kpis", 2, "baseline_date"): ("bad_date", "“31/01/2026” is not a date"),
    ("kpis", 2, "target_value"): ("invalid", "“lots” is not a number"),
    ("initiatives", 2, "owner"): ("unknown_person", "No person with the e-mail “x@example.com”"),
    ("initiatives", 2, "start_date"): ("bad_date", "“next spring” is not a date"),
    ("initiatives", 2, "budget_planned"): ("invalid", "“much” is not a number"),
}


def bad_plan() -> bytes:
    plan = copy.deepcopy(full_plan())
    plan["KPIs"][1][4] = "nobody@example.com"
    plan["KPIs"][1][7] = "31/01/2026"
    plan["KPIs"][1][8] = "lots"
    plan["Initiatives"][1][3] = "x@example.com"
    plan["Initiatives"][1][5] = "next spring"
    plan["Initiatives"][1][7] = "much"
    return xlsx_bytes(plan)


def assert_every_bad_cell(errors: list[dict]) -> None:
    found = {(e["sheet"], e["row"], e["column"]): e for e in errors}
    for where, (code, words) in BAD_CELLS.items():
        assert where in found, (where, errors)
        assert found[where]["code"] == code
        assert words in found[where]["message"]


def test_a_row_lists_every_bad_cell(base, admin):
    report = plan_import(
        stream=io.BytesIO(bad_plan()), filename="plan.xlsx", user=admin, apply=True
    )
    assert not report.applied
    assert_every_bad_cell([e.__dict__ for e in report.errors])
    assert Objective.objects.count() == 0


def test_a_row_lists_its_bad_cells_with_the_models_field_checks(base, admin):
    """A format error does not hide a field the model's own validators refuse (a progress over
    100) in the same row."""
    plan = copy.deepcopy(full_plan())
    plan["Initiatives"][0].append("progress")
    plan["Initiatives"][1] += [250]
    plan["Initiatives"][1][6] = "soon"  # due_date
    report = plan_import(
        stream=io.BytesIO(xlsx_bytes(plan)), filename="plan.xlsx", user=admin, apply=False
    )
    row = {(e.column, e.code) for e in report.errors if e.sheet == "initiatives" and e.row == 2}
    assert ("due_date", "bad_date") in row
    assert any(column == "progress" for column, _ in row), report.errors


def test_the_page_the_api_and_the_command_list_every_bad_cell(base, admin, tmp_path, capsys):
    data = bad_plan()
    upload = io.BytesIO(data)
    upload.name = "plan.xlsx"
    client = Client()
    client.force_login(admin)
    html = client.post("/plan/import/", {"file": upload}).content.decode()
    for _code, words in BAD_CELLS.values():
        assert words in html.replace("&ldquo;", "“").replace("&rdquo;", "”")

    api = APIClient()
    api.force_authenticate(admin)
    upload = io.BytesIO(data)
    upload.name = "plan.xlsx"
    body = api.post("/api/v1/plan-import/", {"file": upload}, format="multipart").json()
    assert body["ok"] is False
    assert_every_bad_cell(body["errors"])

    path = tmp_path / "plan.xlsx"
    path.write_bytes(data)
    with pytest.raises(CommandError) as failed:
        call_command("import_plan", str(path), "--dry-run", "--user", "office")
    assert failed.value.returncode == 1
    assert "12 error(s) in 8 row(s)" in str(failed.value)  # the later sheets: not found
    err = capsys.readouterr().err
    for sheet, row, column in BAD_CELLS:
        assert f"{sheet} row {row}, column {column}:" in err


CODES = sorted(SPREADSHEET_ERRORS)


def error_rows(sheet) -> tuple[list[str], list[str]]:
    """Every import column of the sheet, each cell a spreadsheet error (cycling the codes)."""
    header = sorted(sheet.import_headers)
    return header, [CODES[i % len(CODES)] for i in range(len(header))]


def assert_every_cell_is_a_spreadsheet_error(report, sheets) -> None:
    errors = {(e.sheet, e.row, e.column): e for e in report.errors}
    for sheet in sheets:
        header, row = error_rows(sheet)
        for column, code in zip(header, row, strict=True):
            error = errors[(sheet.name, 2, column)]
            assert error.code == "spreadsheet_error"
            assert error.message == (
                f"Column “{column}” holds the spreadsheet error {code}; enter a value."
            )
    assert "required" not in {e.code for e in report.errors}


def test_spreadsheet_errors_in_every_column_of_a_workbook(base, admin):
    book = {sheet.title: list(error_rows(sheet)) for sheet in SHEETS}
    data = xlsx_bytes(book)
    typed = openpyxl.load_workbook(io.BytesIO(data))
    # openpyxl writes Excel's codes as error-typed cells ("t=e"), as Excel saves a failed formula
    kinds = {c.value: c.data_type for ws in typed.worksheets for c in ws[2]}
    assert {kinds[code] for code in ERROR_CODES} == {"e"}
    report = plan_import(stream=io.BytesIO(data), filename="p.xlsx", user=admin, apply=False)
    assert_every_cell_is_a_spreadsheet_error(report, SHEETS)


@pytest.mark.parametrize("sheet", SHEETS, ids=lambda s: s.name)
def test_spreadsheet_errors_in_every_column_of_a_csv(base, admin, sheet):
    data = csv_bytes(list(error_rows(sheet)), delimiter=";")
    report = plan_import(stream=io.BytesIO(data), filename="s.csv", user=admin, apply=False)
    assert_every_cell_is_a_spreadsheet_error(report, [sheet])


def test_a_libreoffice_error_in_a_csv(base, admin):
    plan = copy.deepcopy(full_plan())
    plan["KPIs"][1][8] = "Err:502"
    data = csv_bytes(plan["KPIs"])
    report = plan_import(stream=io.BytesIO(data), filename="k.csv", user=admin, apply=False)
    assert [(e.column, e.message) for e in report.errors if e.column == "target_value"] == [
        (
            "target_value",
            "Column “target_value” holds the spreadsheet error Err:502; enter a value.",
        )
    ]


@pytest.mark.parametrize(
    ("text", "expected"),
    [("#DIV/0!", CellError("#DIV/0!")), ("#n/a", CellError("#N/A")), ("Err:502", CellError(
        "Err:502")), ("#hashtag", None), ("Error", None), ("Err:5020", None), ("#", None)],
)  # fmt: skip
def test_cell_error(text, expected):
    assert cell_error(text) == expected


def test_a_measurement_row_lists_every_bad_cell(base, admin):
    """A value that is no number, a spreadsheet error in the note and a future date: three
    errors of one row (the date by the bulk ingestion's own row check)."""
    plan = copy.deepcopy(full_plan())
    plan["Measurements"][1][1:4] = ["2031-01-31", "lots", "#REF!"]
    report = plan_import(
        stream=io.BytesIO(xlsx_bytes(plan)), filename="plan.xlsx", user=admin, apply=False
    )
    row = {(e.column, e.code) for e in report.errors if e.sheet == "measurements" and e.row == 2}
    assert row == {("value", "invalid"), ("note", "spreadsheet_error"), ("as_of", "future")}


def test_formulas_without_saved_results_in_every_column_of_every_sheet(base, admin):
    """A workbook written by a program (openpyxl: ``ws["B2"] = "=A2*2"``) and never opened in a
    spreadsheet app holds formulas without results: each cell says so, with its formula, in
    every column of every sheet, instead of "required"."""
    book = {}
    for sheet in SHEETS:
        header = sorted(sheet.import_headers)
        book[sheet.title] = [header, [f"=A1*{i + 2}" for i in range(len(header))]]
    report = plan_import(
        stream=io.BytesIO(xlsx_bytes(book)), filename="p.xlsx", user=admin, apply=False
    )
    errors = {(e.sheet, e.row, e.column): e for e in report.errors}
    for sheet in SHEETS:
        for i, column in enumerate(sorted(sheet.import_headers)):
            error = errors[(sheet.name, 2, column)]
            assert (error.code, error.message) == (
                "formula_without_result",
                f"Column “{column}” holds a formula with no saved result (=A1*{i + 2}); open "
                "and save the file in a spreadsheet app, or enter the value.",
            )
    assert "required" not in {e.code for e in report.errors}


@pytest.mark.parametrize("reader", ["xlsx", "csv"])
def test_a_true_or_false_measurement_value_is_no_number_in_the_sheets_words(base, admin, reader):
    """A TRUE cell (a boolean in a workbook, the text "TRUE" in a CSV) says what any number
    column of the import says, not the API ingest's "must be a JSON number"."""
    plan = copy.deepcopy(full_plan())
    plan["Measurements"][1][2] = True if reader == "xlsx" else "TRUE"
    data = xlsx_bytes(plan) if reader == "xlsx" else csv_bytes(plan["Measurements"])
    report = plan_import(
        stream=io.BytesIO(data), filename=f"plan.{reader}", user=admin, apply=False
    )
    [error] = [e for e in report.errors if e.sheet == "measurements" and e.row == 2]
    assert (error.column, error.code) == ("value", "invalid")
    assert error.message in ("“True” is not a number.", "“TRUE” is not a number.")


def test_a_bad_row_also_lists_its_unknown_theme_and_its_children_hear_of_its_errors(base, admin):
    # An outside tester's row: an unknown owner and an unknown theme. The theme was reported only
    # once the owner was fixed, and the row under it read "No objective has the key" although
    # the file defines it.
    plan = copy.deepcopy(full_plan())
    plan["Objectives"][1][3] = "Growht"  # the theme, mistyped
    plan["Objectives"][1][6] = "nobody@example.com"  # the owner
    report = plan_import(
        stream=io.BytesIO(xlsx_bytes(plan)), filename="p.xlsx", user=admin, apply=False
    )
    found = {(e.sheet, e.row, e.column): e.message for e in report.errors}
    assert "No person with the e-mail “nobody@example.com”" in found[("objectives", 2, "owner")]
    # The theme as it was typed, not lower-cased.
    assert found[("objectives", 2, "theme")] == (
        f"The strategy “{base.name}” has no theme “Growht”."
    )
    assert found[("objectives", 3, "parent")] == "The row of the parent “grow” has errors."
    assert not any("No objective has the key" in m for m in found.values())
    assert Objective.objects.count() == 0


def test_a_bad_choice_names_the_labels_the_sheet_explains():
    # "urgent" as a priority said: is not one of: 1, 2, 3, 4 (the stored values).
    from sheets.plan_import.cells import PRIORITY_CHOICES, _BadCell, _choice

    with pytest.raises(_BadCell) as refused:
        _choice("priority", "urgent", PRIORITY_CHOICES)
    assert refused.value.message == "“urgent” is not one of: low, medium, high or critical."
    assert _choice("priority", "High", PRIORITY_CHOICES) == 3
