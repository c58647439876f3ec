"""A plan file is checked once: the preview of a file of keyed sheets writes nothing and keeps
what it validated, and the same person's apply of the same file writes those rows without
reading the file again, unless something changed since (then the file is checked afresh)."""

from __future__ import annotations

import copy
import datetime as dt
import io

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from initiatives.models import Initiative, Milestone
from metrics.models import KPI, DirtySubject
from sheets.models import PlanPreview
from sheets.plan_import import entry, plan_import, preview
from strategy.models import Objective
from tests.sheets.conftest import INITIATIVES, KPIS, MILESTONES, OBJECTIVES, xlsx_bytes

TODAY = dt.date(2026, 6, 1)


def keyed_plan() -> dict[str, list[list]]:
    return copy.deepcopy(
        {"Objectives": OBJECTIVES, "Initiatives": INITIATIVES, "KPIs": KPIS,
         "Milestones": MILESTONES}
    )  # fmt: skip


def run(data: bytes, user, *, apply=True):
    return plan_import(
        stream=io.BytesIO(data), filename="plan.xlsx", user=user, apply=apply, today=TODAY
    )


def counts() -> tuple[int, ...]:
    return (
        Objective.objects.count(),
        Initiative.objects.count(),
        KPI.objects.count(),
        Milestone.objects.count(),
    )


def forbid_reading(monkeypatch) -> list[str]:
    """From now on reading a file fails (and is listed): an apply that passes did not read it."""
    reads: list[str] = []

    def file_read(**kwargs):
        reads.append(kwargs["filename"])
        raise AssertionError("the file was read again")

    monkeypatch.setattr(entry, "file_read", file_read)
    return reads


def test_the_apply_writes_the_kept_preview_without_reading_the_file(base, admin, monkeypatch):
    data = xlsx_bytes(keyed_plan())
    preview = run(data, admin, apply=False)
    assert preview.ok, preview.errors
    assert counts() == (0, 0, 0, 0)
    assert PlanPreview.objects.filter(user=admin).count() == 1
    forbid_reading(monkeypatch)
    result = run(data, admin)
    assert result.applied
    assert result.ok
    assert result.as_dict()["sheets"] == preview.as_dict()["sheets"]
    assert counts() == (2, 1, 2, 1)
    child = Objective.objects.get(key="grow-smb")
    assert child.parent.key == "grow"
    assert child.strategy == base
    crm = Initiative.objects.get(key="crm")
    assert crm.objective == child
    assert crm.team.slug == "sales"
    assert KPI.objects.get(key="crm-adoption").initiative == crm
    assert KPI.objects.get(key="smb-revenue").objective == child
    assert Milestone.objects.get().initiative == crm
    assert DirtySubject.objects.filter(subject_type="kpi").count() == 2
    created = child.history.get()  # created, by the importer
    assert (created.history_type, created.history_user_id) == ("+", admin.pk)
    assert not PlanPreview.objects.exists()  # consumed


def test_a_kept_preview_writes_nothing_of_the_plan(base, admin):
    data = xlsx_bytes(keyed_plan())
    with CaptureQueriesContext(connection) as queries:
        preview = run(data, admin, apply=False)
    assert preview.ok
    writes = [
        q["sql"]
        for q in queries.captured_queries
        if q["sql"].lstrip().upper().startswith(("INSERT", "UPDATE", "DELETE"))
    ]
    assert writes  # the kept preview
    assert all("sheets_planpreview" in sql for sql in writes), writes


def test_reapplying_after_a_kept_preview_changes_nothing(base, admin):
    data = xlsx_bytes(keyed_plan())
    run(data, admin, apply=False)
    run(data, admin)
    before = {o.key: o.version for o in Objective.objects.all()}
    run(data, admin, apply=False)
    again = run(data, admin)
    assert again.ok
    assert again.applied
    assert again.changes == 0
    assert {s.sheet: s.unchanged for s in again.sheets} == {
        "objectives": 2, "initiatives": 1, "kpis": 2, "milestones": 1,
    }  # fmt: skip
    assert {o.key: o.version for o in Objective.objects.all()} == before


def test_an_update_from_a_kept_preview_goes_through_the_services(base, admin, team):
    from django.contrib.auth import get_user_model

    from metrics.models import OutboxMessage, TargetRevision

    ada = get_user_model().objects.get(username="ada")
    assert ada.memberships.filter(team=team).exists()
    run(xlsx_bytes(keyed_plan()), admin)
    mark = OutboxMessage.objects.order_by("-id").values_list("id", flat=True).first() or 0
    plan = keyed_plan()
    plan["Objectives"][2][1] = "Grow small business faster"
    plan["KPIs"][1][8] = "160"
    data = xlsx_bytes(plan)
    preview = run(data, admin, apply=False)
    assert {s.sheet: s.updated for s in preview.sheets}["kpis"] == 1
    assert PlanPreview.objects.exists()
    result = run(data, admin)
    assert result.applied
    assert not PlanPreview.objects.exists()
    kpi = KPI.objects.get(key="smb-revenue")
    assert kpi.target_value == 160
    revision = TargetRevision.objects.get(kpi=kpi)
    assert revision.reason == "Imported from plan.xlsx."
    assert Objective.objects.get(key="grow-smb").title == "Grow small business faster"
    told = OutboxMessage.objects.filter(event="work", id__gt=mark)
    assert list(told.values_list("recipient_id", flat=True)) == [ada.pk]


def test_a_change_since_the_preview_refuses_the_apply(base, admin):
    """Someone else's change since the preview is never overwritten: the apply writes nothing
    and asks for a new preview (issue #16), which then reports what the change means."""
    from django.contrib.auth import get_user_model

    data = xlsx_bytes(keyed_plan())
    assert run(data, admin, apply=False).ok
    ada = get_user_model().objects.get(username="ada")
    ada.email = "ada@elsewhere.example"
    ada.save()
    result = run(data, admin)
    assert not result.applied
    assert [e.code for e in result.errors] == ["changed_since_preview"]
    assert counts() == (0, 0, 0, 0)
    result = run(data, admin, apply=False)
    assert {(e.sheet, e.column, e.code) for e in result.errors} >= {
        ("objectives", "owner", "unknown_person"),
        ("initiatives", "owner", "unknown_person"),
    }
    assert counts() == (0, 0, 0, 0)


def test_another_file_or_person_or_a_tampered_preview_is_checked_afresh(
    base, admin, leader, monkeypatch
):
    data = xlsx_bytes(keyed_plan())
    assert run(data, admin, apply=False).ok
    unread = forbid_reading(monkeypatch)
    with pytest.raises(AssertionError):
        run(data + b"\0", admin)  # another file: read
    with pytest.raises(AssertionError):
        run(data, leader)  # another person: read
    PlanPreview.objects.update(signature="0" * 64)
    with pytest.raises(AssertionError):
        run(data, admin)  # a preview not signed by us is never loaded
    assert len(unread) == 3
    assert counts() == (0, 0, 0, 0)


def test_a_kept_preview_that_no_longer_loads_is_checked_afresh(base, admin):
    from django.utils.crypto import salted_hmac

    data = xlsx_bytes(keyed_plan())
    assert run(data, admin, apply=False).ok
    stale = b"\x80\x05not a pickle of this release"
    signature = salted_hmac(preview._PREVIEW_SALT, stale, algorithm="sha256")
    PlanPreview.objects.update(plan=stale, signature=signature.hexdigest())
    result = run(data, admin)
    assert result.applied
    assert counts() == (2, 1, 2, 1)
