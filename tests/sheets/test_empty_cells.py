"""An emptied cell means the same in every file: a workbook leaves a row's trailing empty cells
out of its XML, and reading one used to take the missing cell for a missing column ("leave
as it is"), where the same row from a CSV file cleared the value."""

from __future__ import annotations

import datetime as dt
import io

import pytest

from sheets.plan_import import plan_import
from strategy.models import Objective
from tests.sheets.conftest import OBJECTIVES, csv_bytes, full_plan, xlsx_bytes

TODAY = dt.date(2026, 6, 1)


def run(data: bytes, user, name: str):
    return plan_import(stream=io.BytesIO(data), filename=name, user=user, apply=True, today=TODAY)


@pytest.mark.parametrize("kind", ["xlsx", "csv"])
def test_emptying_the_last_cell_of_a_row_clears_it(base, admin, kind):
    assert run(xlsx_bytes(full_plan()), admin, "plan.xlsx").ok
    assert Objective.objects.get(key="grow-smb").parent.key == "grow"
    # The objectives sheet with its parent column moved to the end and grow-smb's parent
    # emptied: the workbook's row 3 then ends before that column.
    last = OBJECTIVES[0].index("parent")
    rows = [row[:last] + row[last + 1 :] + [row[last]] for row in OBJECTIVES]
    rows[2][-1] = None
    data = xlsx_bytes({"Objectives": rows}) if kind == "xlsx" else csv_bytes(rows)
    result = run(data, admin, f"objectives.{kind}")
    assert result.ok, result.errors
    assert Objective.objects.get(key="grow-smb").parent is None
