"""Import of a plan file: preview, apply (all or nothing), re-apply changes nothing, and every
kind of bad row gives its plain message and writes nothing."""

from __future__ import annotations

import copy
import datetime as dt
import io

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from initiatives.models import CheckIn, Initiative, Milestone
from metrics.models import KPI, DirtySubject, Measurement
from sheets.plan_import import plan_import
from sheets.reading import FileUnreadable
from strategy.models import Objective
from tests.sheets.conftest import OBJECTIVES, csv_bytes, full_plan, xlsx_bytes

TODAY = dt.date(2026, 6, 1)


def run(data: bytes, user, *, apply=True, name="plan.xlsx"):
    return plan_import(stream=io.BytesIO(data), filename=name, user=user, apply=apply, today=TODAY)


def counts() -> tuple[int, ...]:
    return (
        Objective.objects.count(),
        Initiative.objects.count(),
        KPI.objects.count(),
        Milestone.objects.count(),
        Measurement.objects.count(),
        CheckIn.objects.count(),
    )


def test_preview_writes_nothing_and_apply_creates_everything(base, admin):
    data = xlsx_bytes(full_plan())
    preview = run(data, admin, apply=False)
    assert preview.ok, preview.errors
    assert not preview.applied
    assert counts() == (0, 0, 0, 0, 0, 0)
    by_sheet = {s.sheet: (s.created, s.updated, s.unchanged) for s in preview.sheets}
    assert by_sheet == {
        "objectives": (2, 0, 0),
        "initiatives": (1, 0, 0),
        "kpis": (2, 0, 0),
        "milestones": (1, 0, 0),
        "measurements": (3, 0, 0),
        "checkins": (1, 0, 0),
    }
    result = run(data, admin)
    assert result.applied
    assert result.as_dict()["sheets"] == preview.as_dict()["sheets"]
    assert counts() == (2, 1, 2, 1, 3, 1)
    child = Objective.objects.get(key="grow-smb")
    assert child.parent.key == "grow"
    assert child.strategy == base
    crm = Initiative.objects.get(key="crm")
    assert crm.team.slug == "sales"
    assert crm.owner.email == "ada@example.com"
    assert crm.progress == 10  # the check-in's progress, as a check-in posted on the page
    assert KPI.objects.get(key="crm-adoption").initiative == crm
    assert Measurement.objects.filter(source="import").count() == 3


def test_reapplying_the_same_file_changes_nothing(base, admin):
    data = xlsx_bytes(full_plan())
    run(data, admin)
    before = {o.key: o.version for o in Objective.objects.all()}
    again = run(data, admin)
    assert again.ok
    assert again.changes == 0
    assert {s.sheet: s.unchanged for s in again.sheets} == {
        "objectives": 2, "initiatives": 1, "kpis": 2, "milestones": 1, "measurements": 3,
        "checkins": 1,
    }  # fmt: skip
    assert {o.key: o.version for o in Objective.objects.all()} == before


def test_an_update_changes_only_what_differs(base, admin):
    run(xlsx_bytes(full_plan()), admin)
    plan = copy.deepcopy(full_plan())
    plan["Objectives"][2][1] = "Grow small business faster"
    plan["KPIs"][1][8] = "160"  # a target change is a revision with the file as its reason
    result = run(xlsx_bytes(plan), admin)
    sheets = {s.sheet: (s.created, s.updated, s.unchanged) for s in result.sheets}
    assert sheets["objectives"] == (0, 1, 1)
    assert sheets["kpis"] == (0, 1, 1)
    kpi = KPI.objects.get(key="smb-revenue")
    assert kpi.target_value == 160
    assert kpi.target_revisions.get().reason == "Imported from plan.xlsx."


def test_apply_marks_each_affected_subject_dirty_once(
    base, admin, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks() as callbacks:
        run(xlsx_bytes(full_plan()), admin)
    # one recompute task for everything (one subjects_mark_dirty at the end of the import)
    assert len(callbacks) == 1
    marked = set(DirtySubject.objects.values_list("subject_type", "subject_id"))
    crm = Initiative.objects.get(key="crm")
    assert ("initiative", crm.pk) in marked
    assert ("kpi", KPI.objects.get(key="smb-revenue").pk) in marked
    assert ("objective", Objective.objects.get(key="grow").pk) in marked


BAD_ROWS = [
    # (sheet, row index, column, value, expected column, expected code, words in the message)
    ("Objectives", 2, 6, "nobody@example.com", "owner", "unknown_person", "nobody@example.com"),
    ("Objectives", 2, 2, "nope", "parent", "parent_not_found", "nope"),
    ("Objectives", 2, 7, "2026-02-30", "start_date", "bad_date", "YYYY-MM-DD"),
    ("Objectives", 2, 0, "grow", "key", "duplicate_key", "Row 2"),
    ("Objectives", 1, 2, "grow-smb", "parent", "cycle", "cycle"),
    ("Objectives", 2, 8, "2025-01-01", "due_date", "inconsistent", "after the start"),
    ("KPIs", 1, 8, "100", "target_value", "inconsistent", "target above its baseline"),
    ("Initiatives", 1, 2, "ghost", "objective", "not_found", "ghost"),
    ("Measurements", 1, 0, "ghost-kpi", "kpi", "unknown", "ghost-kpi"),
    ("Measurements", 1, 1, "2030-01-01", "as_of", "future", "future"),
    ("Check-ins", 1, 3, "purple", "status", "invalid_choice", "purple"),
]


@pytest.mark.parametrize(("sheet", "row", "col", "value", "column", "code", "words"), BAD_ROWS)
def test_each_bad_row_gives_its_message_and_nothing_is_written(
    base, admin, sheet, row, col, value, column, code, words
):
    plan = copy.deepcopy(full_plan())
    plan[sheet][row][col] = value
    result = run(xlsx_bytes(plan), admin)
    assert not result.ok
    assert not result.applied
    found = [e for e in result.errors if e.column == column and e.code == code]
    assert found, result.errors
    assert found[0].row == row + 1  # the header is row 1
    assert words in found[0].message
    assert counts() == (0, 0, 0, 0, 0, 0)
    assert not DirtySubject.objects.exists()


def test_csv_with_bom_and_semicolons(base, admin):
    data = csv_bytes(OBJECTIVES, delimiter=";", bom=True)
    result = run(data, admin, name="objectives.csv")
    assert result.ok, result.errors
    assert Objective.objects.filter(key__in=["grow", "grow-smb"]).count() == 2


def test_csv_comma_without_bom_and_decimal_comma(base, admin):
    run(csv_bytes(OBJECTIVES), admin, name="o.csv")
    initiatives = copy.deepcopy(full_plan()["Initiatives"])
    initiatives[1][8] = "2,5"
    result = run(csv_bytes(initiatives, delimiter=";"), admin, name="i.csv")
    assert result.ok, result.errors
    assert str(Initiative.objects.get(key="crm").effort_planned_fte) == "2.50"


def test_not_a_plan_file(base, admin):
    with pytest.raises(FileUnreadable):
        run(b"a,b\n1,2\n", admin, name="x.csv")
    with pytest.raises(FileUnreadable):
        run(b"PK\x03\x04garbage", admin, name="x.xlsx")


def test_a_leader_cannot_import_into_another_team(base, leader, other_team):
    plan = {"Objectives": copy.deepcopy(OBJECTIVES)}
    plan["Objectives"][1][5] = other_team.slug
    result = run(xlsx_bytes(plan), leader)
    assert not result.ok
    # Engineering is visible to the leader (not private): named, and refused
    assert {e.code for e in result.errors} >= {"permission_denied"}
    assert Objective.objects.count() == 0


def test_a_key_held_by_an_invisible_objective_is_not_available(base, leader, other_team):
    from tests.factories import ObjectiveFactory

    other_team.is_private = True
    other_team.save()
    ObjectiveFactory(team=other_team, key="grow", title="Secret plan")
    result = run(xlsx_bytes({"Objectives": OBJECTIVES}), leader)
    messages = " ".join(e.message for e in result.errors)
    assert "not available" in messages
    assert "Secret plan" not in messages


def test_command_exit_codes(base, admin, tmp_path, capsys):
    good = tmp_path / "plan.xlsx"
    good.write_bytes(xlsx_bytes(full_plan()))
    call_command("import_plan", str(good), "--dry-run", "--user", "office")
    assert counts() == (0, 0, 0, 0, 0, 0)
    plan = copy.deepcopy(full_plan())
    plan["Objectives"][2][2] = "nope"
    bad = tmp_path / "bad.xlsx"
    bad.write_bytes(xlsx_bytes(plan))
    with pytest.raises(CommandError) as failed:
        call_command("import_plan", str(bad), "--user", "office")
    assert failed.value.returncode == 1
    assert "objectives row 3, column parent" in capsys.readouterr().err
    assert counts() == (0, 0, 0, 0, 0, 0)
    call_command("import_plan", str(good), "--user", "office")
    assert counts() == (2, 1, 2, 1, 3, 1)


def test_imported_definitions_are_in_the_history_with_the_importer(base, admin):
    run(xlsx_bytes(full_plan()), admin)
    plan = copy.deepcopy(full_plan())
    plan["Objectives"][2][1] = "Grow small business faster"
    run(xlsx_bytes(plan), admin)
    objective = Objective.objects.get(key="grow-smb")
    versions = list(objective.history.order_by("history_date", "history_id"))
    assert [v.history_type for v in versions] == ["+", "~"]
    assert {v.history_user_id for v in versions} == {admin.pk}
    assert versions[-1].key == "grow-smb"
    assert Initiative.objects.get(key="crm").history.get().history_type == "+"


def test_measurements_in_chunks_keep_every_check(base, admin, monkeypatch):
    """Fed to the ingest in chunks (here of 2 rows), a KPI's rows stay together: a date given
    twice is still found, with its spreadsheet row; the counts add up."""
    from sheets.plan_import import measurements

    monkeypatch.setattr(measurements, "MEASUREMENT_CHUNK", 2)
    plan = copy.deepcopy(full_plan())
    plan["Measurements"].append(["crm-adoption", "2026-02-28", "13", None])
    result = run(xlsx_bytes(plan), admin)
    duplicate = [e for e in result.errors if e.code == "duplicate"]
    assert [(e.sheet, e.row, e.column) for e in duplicate] == [("measurements", 5, "as_of")]
    plan["Measurements"].pop()
    result = run(xlsx_bytes(plan), admin)
    assert result.ok, result.errors
    assert {s.sheet: s.created for s in result.sheets}["measurements"] == 3


def test_keys_are_unique_whatever_their_case_in_the_file_and_against_the_plan(base, admin):
    from tests.factories import ObjectiveFactory

    ObjectiveFactory(key="GROW", title="Already here")
    result = run(xlsx_bytes({"Objectives": OBJECTIVES}), admin)
    assert [(e.row, e.column, e.code) for e in result.errors][:1] == [(2, "key", "unique")]
    assert Objective.objects.filter(key__iexact="grow").count() == 1
    Objective.objects.all().delete()
    twice = [*OBJECTIVES, ["Grow-SMB", "Again", None, "Growth", "FY2026", "sales", None,
                           "2026-01-01", "2026-12-31"]]  # fmt: skip
    result = run(xlsx_bytes({"Objectives": twice}), admin)
    assert [(e.row, e.code) for e in result.errors] == [(4, "duplicate_key")]
    assert not Objective.objects.exists()


def test_a_kpi_and_date_given_twice_names_both_rows_and_writes_nothing(base, admin):
    plan = copy.deepcopy(full_plan())
    plan["Measurements"].append(["crm-adoption", "2026-03-31", "14", None])
    plan["Measurements"].append(["smb-revenue", "2026-01-31", "105", "again"])  # row 6 ~ row 2
    result = run(xlsx_bytes(plan), admin)
    assert not result.ok
    assert not result.applied
    found = [e for e in result.errors if e.code == "duplicate"]
    assert len(found) == 1, result.errors
    assert (found[0].sheet, found[0].row, found[0].column) == ("measurements", 6, "as_of")
    assert "Rows 2 and 6" in found[0].message
    assert "smb-revenue" in found[0].message
    assert counts() == (0, 0, 0, 0, 0, 0)
    assert not DirtySubject.objects.exists()


def test_an_import_tells_each_owner_once_and_a_preview_tells_nobody(base, admin, team):
    from django.contrib.auth import get_user_model

    from metrics.models import OutboxMessage

    ada = get_user_model().objects.get(username="ada")
    assert ada.memberships.filter(team=team).exists()  # she sees the Sales plan she owns parts of

    def told(after: int = 0) -> list[int]:
        work = OutboxMessage.objects.filter(event="work", id__gt=after)
        return sorted(work.values_list("recipient_id", flat=True))

    def last() -> int:
        return OutboxMessage.objects.order_by("-id").values_list("id", flat=True).first() or 0

    run(xlsx_bytes(full_plan()), admin, apply=False)
    assert told() == []
    run(xlsx_bytes(full_plan()), admin)  # creates; its check-in and measurements are news
    first = told()
    assert first == [ada.pk]  # one message for the whole import (her KPI's values)
    mark = last()
    plan = copy.deepcopy(full_plan())
    plan["Objectives"][2][1] = "Grow small business faster"
    plan["KPIs"][1][8] = "160"
    run(xlsx_bytes(plan), admin, apply=False)
    assert told(mark) == []
    run(xlsx_bytes(plan), admin)
    assert told(mark) == [ada.pk]  # her KPI's target revised
