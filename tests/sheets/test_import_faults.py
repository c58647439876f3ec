"""Faults found in the plan import by an outside tester (issue #16): a validator's error is a row
error, never a crash; numbers with a comma are never read as another number; a row with more
fields than its header, a header naming a column twice and a date with characters after it are
refused; the future is refused alike by every door; an apply refuses what changed since its
preview; the preview lists the measurement rows."""

from __future__ import annotations

import copy
import datetime as dt
import io
from decimal import Decimal

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.test import Client
from django.utils import timezone
from rest_framework.test import APIClient

from initiatives.models import CheckIn, Initiative, Milestone
from initiatives.services import initiative_save
from metrics.models import Measurement
from sheets.plan_import import plan_import
from tests.sheets.conftest import (
    INITIATIVES,
    KPIS,
    OBJECTIVES,
    csv_bytes,
    xlsx_bytes,
)

CHECKIN_HEADER = [
    "initiative", "created_at", "author", "status", "confidence", "progress", "summary",
    "blockers", "blocker_tags", "next_steps",
]  # fmt: skip


def run(data: bytes, user, *, apply: bool, filename: str = "plan.csv"):
    return plan_import(stream=io.BytesIO(data), filename=filename, user=user, apply=apply)


def errors_of(report) -> dict[tuple, tuple[str, str]]:
    return {(e.sheet, e.row, e.column): (e.code, e.message) for e in report.errors}


@pytest.fixture
def plan(base, admin):
    """The objectives, initiatives and KPIs of the test plan, applied."""
    data = xlsx_bytes(
        copy.deepcopy({"Objectives": OBJECTIVES, "Initiatives": INITIATIVES, "KPIs": KPIS})
    )
    report = run(data, admin, apply=True, filename="plan.xlsx")
    assert report.applied, report.errors
    return report


def client_for(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


# 1. A validator's ValidationError is a row error ----------------------------------------------
def checkin_row(**cells) -> list:
    row = dict.fromkeys(CHECKIN_HEADER, None)
    row.update(initiative="crm", created_at="2026-11-20", author="leader@example.com",
               status="amber", confidence="70", progress="60", summary="Waiting")  # fmt: skip
    row.update(cells)
    return [row[c] for c in CHECKIN_HEADER]


def test_an_unknown_blocker_tag_is_a_row_error(plan, admin):
    data = csv_bytes([CHECKIN_HEADER, checkin_row(blockers="Budget", blocker_tags="budget")])
    report = run(data, admin, apply=True)
    assert not report.applied
    _, message = errors_of(report)[("checkins", 2, "blocker_tags")]
    assert "Unknown blocker tag 'budget'" in message
    assert CheckIn.objects.count() == 0


def test_an_unknown_blocker_tag_on_the_page_and_the_api_names_its_row(plan, admin):
    data = csv_bytes([CHECKIN_HEADER, checkin_row(blocker_tags="budget")])
    page = client_for(admin).post("/plan/import/", {"file": _upload(data)})
    assert page.status_code == 200
    assert "Unknown blocker tag" in page.content.decode()
    api = APIClient()
    api.force_authenticate(admin)
    answer = api.post("/api/v1/plan-import/?apply=1", {"file": _upload(data)}, format="multipart")
    assert answer.status_code == 400
    (error,) = answer.json()["errors"]
    assert (error["field"], error["index"]) == ("checkins.blocker_tags", 2)


def test_a_validation_error_from_any_helper_never_escapes(plan, admin, monkeypatch):
    """A helper outside the row's checks that raises ``ValidationError`` (here the KPI's plan
    read before its update) ends in the report, never in a server error."""
    from django.core.exceptions import ValidationError

    from sheets.plan_import import kpis

    def refuse(**kwargs):
        raise ValidationError({"target_value": "Refused by a helper."})

    monkeypatch.setattr(kpis, "kpi_plan", refuse)
    report = run(csv_bytes(copy.deepcopy(KPIS)), admin, apply=True)
    assert not report.applied
    assert ("target_value", "Refused by a helper.") in {
        (e.column, e.message) for e in report.errors
    }


def _upload(data: bytes, name: str = "plan.csv"):
    from django.core.files.uploadedfile import SimpleUploadedFile

    return SimpleUploadedFile(name, data)


# 2. Numbers with a comma ----------------------------------------------------------------------
INITIATIVE_HEADER = ["key", "title", "objective", "status", "start_date", "due_date",
                     "budget_planned", "effort_planned_fte"]  # fmt: skip


def initiative_file(budget: str, *, delimiter: str = ",", fte: str = "2") -> bytes:
    row = ["crm", "Roll out the CRM", "grow-smb", "active", "2026-02-01", "2026-09-30", budget,
           fte]  # fmt: skip
    return csv_bytes([INITIATIVE_HEADER, row], delimiter=delimiter)


@pytest.mark.parametrize(
    ("budget", "delimiter"),
    [("1,500", ","), ("120,000", ","), ("1,5", ","), ("1.500,5", ","), ("1,500", ";"),
     ("120,000", ";"), ("1.500,5", ";"), ("1.500", ";"), ("1,500,000", ";")],
)  # fmt: skip
def test_a_number_with_an_ambiguous_separator_is_refused(plan, admin, budget, delimiter):
    report = run(initiative_file(budget, delimiter=delimiter), admin, apply=True)
    assert not report.applied
    code, message = errors_of(report)[("initiatives", 2, "budget_planned")]
    assert code == "ambiguous_number"
    assert f"“{budget}”" in message
    assert Initiative.objects.get(key="crm").budget_planned == Decimal("120000")


def test_the_ambiguous_message_names_both_readings(plan, admin):
    report = run(initiative_file("1,500"), admin, apply=False)
    _, message = errors_of(report)[("initiatives", 2, "budget_planned")]
    assert message == "“1,500” is ambiguous: write 1500 or 1.5."


@pytest.mark.parametrize(
    ("budget", "fte", "expected"),
    [("1,5", "2,25", Decimal("1.5")), ("0,25", "1", Decimal("0.25")),
     ("1500,5", "1", Decimal("1500.5")), ("1.5", "1", Decimal("1.5"))],
)  # fmt: skip
def test_a_decimal_comma_is_read_in_a_semicolon_file(plan, admin, budget, fte, expected):
    report = run(initiative_file(budget, delimiter=";", fte=fte), admin, apply=True)
    assert report.applied, report.errors
    assert Initiative.objects.get(key="crm").budget_planned == expected


def test_a_text_cell_with_a_thousands_comma_in_a_workbook_is_refused(plan, admin):
    rows = [INITIATIVE_HEADER, ["crm", "Roll out the CRM", "grow-smb", "active", "2026-02-01",
                                "2026-09-30", "120,000", "2"]]  # fmt: skip
    report = run(xlsx_bytes({"Initiatives": rows}), admin, apply=True, filename="plan.xlsx")
    assert errors_of(report)[("initiatives", 2, "budget_planned")][0] == "ambiguous_number"


@pytest.mark.parametrize("column", ["cadence_days", "target_value", "weight"])
def test_every_number_column_refuses_an_ambiguous_number(plan, admin, column):
    header, row = copy.deepcopy(KPIS[:2])
    if column in header:
        row[header.index(column)] = "1,000"
    else:
        header, row = [*header, column], [*row, "1,000"]
    report = run(csv_bytes([header, row]), admin, apply=True)
    assert errors_of(report)[("kpis", 2, column)][0] == "ambiguous_number"


def test_a_measurement_value_with_a_thousands_comma_is_refused(plan, admin):
    rows = [["kpi", "as_of", "value"], ["smb-revenue", "2026-01-31", "1,500"]]
    report = run(csv_bytes(rows), admin, apply=True)
    assert errors_of(report)[("measurements", 2, "value")][0] == "ambiguous_number"
    assert not Measurement.objects.exists()
    rows[1][2] = "1,5"
    assert run(csv_bytes(rows, delimiter=";"), admin, apply=True).applied
    assert Measurement.objects.get().value == 1.5


# 3. Extra fields, a column twice --------------------------------------------------------------
def test_a_row_with_more_fields_than_the_header_is_refused(plan, admin):
    header = "key;title;objective;start_date;due_date;description"
    row = "crm;Roll out the CRM;grow-smb;2026-02-01;2026-09-30;Phase 1; then phase 2"
    report = run(f"{header}\r\n{row}\r\n".encode(), admin, apply=True)
    assert not report.applied
    code, message = errors_of(report)[("initiatives", 2, "")]
    assert code == "too_many_fields"
    assert "This row has 7 fields; the header has 6" in message
    assert Initiative.objects.get(key="crm").description == ""


def test_empty_fields_after_the_header_s_columns_are_allowed(plan, admin):
    text = (
        "key;title;objective;start_date;due_date\r\n"
        "crm;Roll out the CRM;grow-smb;2026-02-01;2026-09-30;;\r\n"
    )
    assert run(text.encode(), admin, apply=True).ok


@pytest.mark.parametrize("filename", ["plan.csv", "plan.xlsx"])
def test_a_column_named_twice_is_refused(plan, admin, filename):
    rows = [["key", "title", "objective", "start_date", "due_date", "title"],
            ["crm", "First", "grow-smb", "2026-02-01", "2026-09-30", "Second"]]  # fmt: skip
    data = csv_bytes(rows) if filename.endswith("csv") else xlsx_bytes({"Initiatives": rows})
    report = run(data, admin, apply=True, filename=filename)
    assert not report.applied
    code, message = errors_of(report)[("initiatives", 1, "title")]
    assert code == "duplicate_column"
    assert "“title”" in message
    assert Initiative.objects.get(key="crm").title == "Roll out the CRM"


def test_values_under_no_column_name_are_listed_as_ignored(plan, admin):
    rows = [["key", "title", "objective", "start_date", "due_date", None, "description"],
            ["crm", "Roll out the CRM", "grow-smb", "2026-02-01", "2026-09-30", "lost?", "Ours",
             "also lost?"]]  # fmt: skip
    report = run(xlsx_bytes({"Initiatives": rows}), admin, apply=False, filename="plan.xlsx")
    assert report.ok, report.errors
    assert report.sheets[0].ignored_columns == ["column F (no name)", "column H (no name)"]


# 4. Dates with characters after them ----------------------------------------------------------
@pytest.mark.parametrize("text", ["2026-01-011", "2026-06-3099", "20260601", "2026-W01-1"])
def test_a_date_with_more_characters_is_not_a_date(plan, admin, text):
    rows = [["initiative", "title", "due_date"], ["crm", "Pilot live", text]]
    report = run(csv_bytes(rows), admin, apply=True)
    assert errors_of(report)[("milestones", 2, "due_date")][0] == "bad_date"
    assert not Milestone.objects.exists()


@pytest.mark.parametrize("text", ["2026-06-3099", "2026-06-30T99", "2026-06-30x"])
def test_a_check_in_or_measurement_date_with_more_characters_is_refused(plan, admin, text):
    report = run(csv_bytes([CHECKIN_HEADER, checkin_row(created_at=text)]), admin, apply=True)
    assert errors_of(report)[("checkins", 2, "created_at")][0] == "bad_date"
    rows = [["kpi", "as_of", "value"], ["smb-revenue", text, "104"]]
    report = run(csv_bytes(rows), admin, apply=True)
    assert ("measurements", 2, "as_of") in errors_of(report), report.errors
    assert not Measurement.objects.exists()
    assert not CheckIn.objects.exists()


def test_a_date_with_a_time_is_still_read(plan, admin):
    rows = [["initiative", "title", "due_date"], ["crm", "Pilot live", "2026-04-30 00:00:00"]]
    assert run(csv_bytes(rows), admin, apply=True).applied
    assert Milestone.objects.get().due_date == dt.date(2026, 4, 30)


# 5. The future, alike everywhere --------------------------------------------------------------
def future() -> dt.date:
    return timezone.localdate() + dt.timedelta(days=60)


def test_an_imported_milestone_cannot_be_completed_in_the_future(plan, admin):
    rows = [["initiative", "title", "due_date", "completed_on"],
            ["crm", "Pilot live", "2026-04-30", future().isoformat()]]  # fmt: skip
    report = run(csv_bytes(rows), admin, apply=True)
    _, message = errors_of(report)[("milestones", 2, "completed_on")]
    assert message == "A milestone cannot be completed in the future."
    assert not Milestone.objects.exists()


def test_the_milestone_form_refuses_a_completion_in_the_future(plan, admin):
    initiative = Initiative.objects.get(key="crm")
    milestone = Milestone.objects.create(
        initiative=initiative, title="Pilot live", due_date=dt.date(2026, 4, 30)
    )
    page = client_for(admin).post(
        f"/initiatives/{initiative.pk}/milestones/{milestone.pk}/edit/",
        {"title": "Pilot live", "due_date": "2026-04-30", "completed_on": future().isoformat(),
         "weight": "1", "version": milestone.version},
    )  # fmt: skip
    assert page.status_code == 200
    assert "A milestone cannot be completed in the future." in page.content.decode()
    milestone.refresh_from_db()
    assert milestone.completed_on is None


def test_the_api_refuses_a_completion_in_the_future_with_the_same_words(plan, admin):
    milestone = Milestone.objects.create(
        initiative=Initiative.objects.get(key="crm"),
        title="Pilot live",
        due_date=dt.date(2026, 4, 30),
    )
    api = APIClient()
    api.force_authenticate(admin)
    answer = api.patch(
        f"/api/v1/milestones/{milestone.pk}/", {"completed_on": future().isoformat()}, format="json"
    )
    assert answer.status_code == 400
    assert "A milestone cannot be completed in the future." in answer.content.decode()
    milestone.refresh_from_db()
    assert milestone.completed_on is None


def test_an_imported_check_in_cannot_be_dated_in_the_future(plan, admin):
    data = csv_bytes([CHECKIN_HEADER, checkin_row(created_at=future().isoformat())])
    report = run(data, admin, apply=True)
    code, _ = errors_of(report)[("checkins", 2, "created_at")]
    assert code == "future"
    assert not CheckIn.objects.exists()
    today = csv_bytes([CHECKIN_HEADER, checkin_row(created_at=timezone.localdate().isoformat())])
    assert run(today, admin, apply=True).applied  # today, at noon, is not the future


# 6. An apply refuses what changed since its preview ------------------------------------------
DATES = [["start_date", "due_date"], ["2026-02-01", "2026-09-30"]]


def description_file(description: str) -> bytes:
    return csv_bytes([["key", "title", "objective", *DATES[0], "description"],
                      ["crm", "Roll out the CRM", "grow-smb", *DATES[1], description]])  # fmt: skip


def someone_else_changes_crm(leader, description: str = "Theirs") -> None:
    initiative = Initiative.objects.get(key="crm")
    initiative.description = description
    initiative_save(initiative=initiative, by=leader)


def test_an_apply_refuses_a_change_made_since_the_preview(plan, admin, leader):
    data = description_file("Ours")
    assert run(data, admin, apply=False).sheets[0].rows[0]["action"] == "updated"
    someone_else_changes_crm(leader)
    report = run(data, admin, apply=True)
    assert not report.applied
    (error,) = report.errors
    assert error.code == "changed_since_preview"
    assert "preview" in error.message
    assert Initiative.objects.get(key="crm").description == "Theirs"
    assert run(data, admin, apply=True).applied  # no preview pending: applied as checked now


def test_an_apply_refuses_a_row_created_by_someone_else_since_the_preview(plan, admin, leader):
    rows = [["key", "title", "objective", *DATES[0]], ["new-one", "Ours", "grow-smb", *DATES[1]]]
    data = csv_bytes(rows)
    assert run(data, admin, apply=False).sheets[0].rows[0]["action"] == "created"
    theirs = Initiative.objects.get(key="crm")
    theirs.pk, theirs.key, theirs.title = None, "new-one", "Theirs"
    theirs._state.adding = True
    initiative_save(initiative=theirs, by=leader)
    report = run(data, admin, apply=True)
    assert [e.code for e in report.errors] == ["changed_since_preview"]
    assert Initiative.objects.get(key="new-one").title == "Theirs"


def test_an_apply_of_a_file_with_check_ins_refuses_a_change_since_its_preview(plan, admin, leader):
    rows = [["key", "title", "objective", *DATES[0]], ["crm", "Ours", "grow-smb", *DATES[1]]]
    plan_file = xlsx_bytes({"Initiatives": rows, "Check-ins": [CHECKIN_HEADER, checkin_row()]})
    assert run(plan_file, admin, apply=False, filename="p.xlsx").ok
    someone_else_changes_crm(leader)
    report = run(plan_file, admin, apply=True, filename="p.xlsx")
    assert [e.code for e in report.errors] == ["changed_since_preview"]
    assert not CheckIn.objects.exists()


def test_an_apply_of_measurements_refuses_a_value_recorded_since_its_preview(plan, admin, leader):
    from metrics.services import measurements_ingest
    from strategy.access import access_for

    rows = [["kpi", "as_of", "value"], ["smb-revenue", "2026-01-31", "110"]]
    assert run(csv_bytes(rows), admin, apply=False).ok
    measurements_ingest(
        rows=[{"kpi": "smb-revenue", "as_of": "2026-01-31", "value": 105.0}],
        access=access_for(admin),
        entered_by=leader,
    )
    report = run(csv_bytes(rows), admin, apply=True)
    assert [e.code for e in report.errors] == ["changed_since_preview"]
    assert Measurement.objects.get().value == 105.0


def test_the_page_the_api_and_the_command_say_the_plan_changed(plan, admin, leader, tmp_path):
    data = description_file("Ours")
    client = client_for(admin)
    page = client.post("/plan/import/", {"file": _upload(data)})
    token = page.context["token"]
    someone_else_changes_crm(leader)
    page = client.post("/plan/import/", {"token": token})
    assert page.status_code == 409
    assert "changed since your preview" in page.content.decode()
    assert page.context["token"]  # the fresh preview can be applied
    assert Initiative.objects.get(key="crm").description == "Theirs"

    api = APIClient()
    api.force_authenticate(admin)
    preview = api.post("/api/v1/plan-import/", {"file": _upload(data)}, format="multipart")
    assert preview.status_code == 200
    someone_else_changes_crm(leader, "Theirs, again")
    answer = api.post("/api/v1/plan-import/?apply=1", {"file": _upload(data)}, format="multipart")
    assert answer.status_code == 409
    assert answer.json()["errors"][0]["code"] == "changed_since_preview"

    path = tmp_path / "plan.csv"
    path.write_bytes(data)
    call_command("import_plan", str(path), "--dry-run", "--user", "office")
    someone_else_changes_crm(leader, "Theirs, once more")
    with pytest.raises(CommandError, match="changed since your preview"):
        call_command("import_plan", str(path), "--user", "office")
    assert Initiative.objects.get(key="crm").description == "Theirs, once more"


# 7. The preview lists the measurement rows ----------------------------------------------------
def test_the_preview_lists_the_measurement_rows_with_their_values(plan, admin):
    rows = [["kpi", "as_of", "value"], ["smb-revenue", "2026-01-31", "104"],
            ["smb-revenue", "2026-02-28", "108"]]  # fmt: skip
    report = run(csv_bytes(rows), admin, apply=False)
    (sheet,) = report.sheets
    assert sheet.created == 2
    assert [(r["row"], r["key"], r["action"], r["value"]) for r in sheet.rows] == [
        (2, "smb-revenue / 2026-01-31", "created", 104.0),
        (3, "smb-revenue / 2026-02-28", "created", 108.0),
    ]
    page = client_for(admin).post("/plan/import/", {"file": _upload(csv_bytes(rows))})
    assert "smb-revenue / 2026-02-28" in page.content.decode()
    api = APIClient()
    api.force_authenticate(admin)
    answer = api.post(
        "/api/v1/plan-import/", {"file": _upload(csv_bytes(rows))}, format="multipart"
    )
    (listed,) = answer.json()["sheets"]
    assert [(r["row"], r["value"]) for r in listed["rows"]] == [(2, 104.0), (3, 108.0)]
