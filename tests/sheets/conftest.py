"""A plan to import into: an active strategy with a theme and a period, the Sales team."""

from __future__ import annotations

import csv
import datetime as dt
import io

import openpyxl
import pytest

from strategy.models import Period, Strategy, Theme
from tests.factories import member_of


@pytest.fixture
def base(team, admin, leader):
    strategy = Strategy.objects.create(
        name="Strategy 2026",
        horizon_start=dt.date(2026, 1, 1),
        horizon_end=dt.date(2028, 12, 31),
        status=Strategy.Status.ACTIVE,
    )
    Theme.objects.create(strategy=strategy, name="Growth")
    Period.objects.create(
        name="FY2026", kind="year", start_date=dt.date(2026, 1, 1), end_date=dt.date(2026, 12, 31)
    )
    # A member of Sales: she may own its work (strategy.access.assignees_check).
    member_of(team, username="ada", email="ada@example.com")
    leader.email = "leader@example.com"
    leader.save()
    return strategy


def xlsx_bytes(sheets: dict[str, list[list]]) -> bytes:
    """A workbook with one worksheet per entry (title -> rows, header first)."""
    book = openpyxl.Workbook()
    book.remove(book.active)
    for title, rows in sheets.items():
        sheet = book.create_sheet(title)
        for row in rows:
            sheet.append(row)
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def csv_bytes(rows: list[list], *, delimiter: str = ",", bom: bool = False) -> bytes:
    buffer = io.StringIO()
    csv.writer(buffer, delimiter=delimiter, lineterminator="\r\n").writerows(rows)
    return (b"\xef\xbb\xbf" if bom else b"") + buffer.getvalue().encode()


OBJECTIVES = [
    ["key", "title", "parent", "theme", "period", "team", "owner", "start_date", "due_date"],
    ["grow", "Grow the business", None, "Growth", "FY2026", "sales", "ada@example.com",
     "2026-01-01", "2026-12-31"],
    ["grow-smb", "Grow small business", "grow", "Growth", "FY2026", "sales", None,
     "2026-01-01", "2026-12-31"],
]  # fmt: skip
INITIATIVES = [
    ["key", "title", "objective", "owner", "status", "start_date", "due_date", "budget_planned",
     "effort_planned_fte"],
    ["crm", "Roll out the CRM", "grow-smb", "ada@example.com", "active", "2026-02-01",
     "2026-09-30", "120000", "2.5"],
]  # fmt: skip
KPIS = [
    ["key", "name", "objective", "initiative", "owner", "direction", "baseline_value",
     "baseline_date", "target_value", "target_date", "cadence_days", "kind"],
    ["smb-revenue", "SMB revenue", "grow-smb", None, "ada@example.com", "increase", "100",
     "2026-01-01", "150", "2026-12-31", "30", "lagging"],
    ["crm-adoption", "CRM adoption", None, "crm", None, "increase", "0", "2026-02-01", "90",
     "2026-09-30", "7", "leading"],
]  # fmt: skip
MILESTONES = [
    ["initiative", "title", "due_date", "completed_on"],
    ["crm", "Pilot live", "2026-04-30", None],
]
MEASUREMENTS = [
    ["kpi", "as_of", "value", "note"],
    ["smb-revenue", "2026-01-31", "104", None],
    ["smb-revenue", "2026-02-28", "108", "after campaign"],
    ["crm-adoption", "2026-02-28", "12", None],
]
CHECKINS = [
    ["initiative", "created_at", "author", "status", "confidence", "progress", "summary"],
    ["crm", "2026-02-15", "ada@example.com", "green", "80", "10", "Vendor chosen."],
]


def full_plan() -> dict[str, list[list]]:
    return {
        "Objectives": OBJECTIVES,
        "Initiatives": INITIATIVES,
        "KPIs": KPIS,
        "Milestones": MILESTONES,
        "Measurements": MEASUREMENTS,
        "Check-ins": CHECKINS,
    }
