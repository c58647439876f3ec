"""The import page (office and leaders), its templates, and the exports of the pages' data
tabs: CSV with a byte-order mark, formula-safe; XLSX; access respected; round trip."""

from __future__ import annotations

import copy
import io

import openpyxl
import pytest
from django.test import Client

from initiatives.models import Initiative
from metrics.models import KPI, Measurement
from sheets.plan_import import plan_import
from strategy.models import Objective
from tests.sheets.conftest import full_plan, xlsx_bytes


def client_for(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


@pytest.fixture
def imported(base, admin):
    report = plan_import(
        stream=io.BytesIO(xlsx_bytes(full_plan())), filename="p.xlsx", user=admin, apply=True
    )
    assert report.ok, report.errors
    return report


@pytest.mark.parametrize(
    ("persona", "status"), [("admin", 200), ("leader", 200), ("member", 403), ("viewer", 403),
                            ("outsider", 403)],
)  # fmt: skip
def test_who_may_open_the_import_page(request, base, persona, status):
    user = request.getfixturevalue(persona)
    assert client_for(user).get("/plan/import/").status_code == status


def test_upload_preview_then_apply(base, admin):
    client = client_for(admin)
    upload = io.BytesIO(xlsx_bytes(full_plan()))
    upload.name = "plan.xlsx"
    page = client.post("/plan/import/", {"file": upload})
    assert page.status_code == 200
    html = page.content.decode()
    assert "Apply the import" in html
    assert "objectives" in html
    assert Objective.objects.count() == 0
    token = page.context["token"]
    done = client.post("/plan/import/", {"token": token}, follow=True)
    assert done.status_code == 200
    assert Objective.objects.count() == 2
    assert Measurement.objects.count() == 3
    # the token is spent: applying twice does not import twice
    again = client.post("/plan/import/", {"token": token}, follow=True)
    assert "already applied" in again.content.decode()
    assert "expired" not in again.content.decode()
    assert Objective.objects.count() == 2


def test_upload_with_bad_rows_lists_them_and_offers_no_apply(base, admin):
    plan = copy.deepcopy(full_plan())
    plan["Objectives"][2][2] = "nope"
    upload = io.BytesIO(xlsx_bytes(plan))
    upload.name = "plan.xlsx"
    page = client_for(admin).post("/plan/import/", {"file": upload})
    html = page.content.decode()
    assert "Apply the import" not in html
    assert "No objective has the key “nope”" in html
    assert Objective.objects.count() == 0


def test_upload_of_another_file_type_keeps_the_form(base, admin):
    upload = io.BytesIO(b"hello")
    upload.name = "plan.pdf"
    page = client_for(admin).post("/plan/import/", {"file": upload})
    assert page.status_code == 400
    assert "Upload an .xlsx workbook or a .csv file." in page.content.decode()


def test_template_workbook_has_every_sheet_and_the_explanations(base, admin):
    response = client_for(admin).get("/plan/import/template.xlsx")
    assert response.status_code == 200
    book = openpyxl.load_workbook(io.BytesIO(response.content), read_only=True)
    assert book.sheetnames == [
        "Objectives", "Initiatives", "KPIs", "Milestones", "Measurements", "Check-ins", "About",
    ]  # fmt: skip
    about = list(book["About"].iter_rows(values_only=True))
    assert about[3][:3] == ("Objectives", "parent", "no")


def test_csv_template_of_one_sheet(base, admin):
    response = client_for(admin).get("/plan/import/template/measurements.csv")
    text = response.content.decode("utf-8")
    assert text.startswith("\ufeffkpi,as_of,value,note\r\n")
    assert client_for(admin).get("/plan/import/template/nope.csv").status_code == 404


def test_plan_built_from_the_template_matches_the_pages(base, admin, imported):
    """The template's own example rows import as a plan, and the pages show it."""
    client = client_for(admin)
    book = openpyxl.load_workbook(
        io.BytesIO(client.get("/plan/import/template.xlsx").content), read_only=True
    )
    sheets = {
        ws.title: [list(r) for r in ws.iter_rows(values_only=True)]
        for ws in book.worksheets
        if ws.title != "About"
    }
    sheets["Objectives"][1][sheets["Objectives"][0].index("period")] = "FY2026"
    sheets["Objectives"][1][sheets["Objectives"][0].index("team")] = "sales"
    sheets["Objectives"][1][sheets["Objectives"][0].index("owner")] = "ada@example.com"
    for name in ("Initiatives", "KPIs", "Check-ins"):
        header = sheets[name][0]
        for column in ("owner", "author"):
            if column in header:
                sheets[name][1][header.index(column)] = "ada@example.com"
        if "team" in header:
            sheets[name][1][header.index("team")] = "sales"
    report = plan_import(
        stream=io.BytesIO(xlsx_bytes(sheets)), filename="t.xlsx", user=admin, apply=True
    )
    assert report.ok, report.errors
    objective = Objective.objects.get(key="grow-smb")
    initiative = Initiative.objects.get(key="crm-rollout")
    kpi = KPI.objects.get(key="smb-revenue")
    html = client.get(objective.get_absolute_url()).content.decode()
    assert "Grow the small-business segment" in html
    assert "Roll out the new CRM" in html
    html = client.get(initiative.get_absolute_url()).content.decode()
    assert "Pilot team live" in html
    assert "Vendor chosen, pilot team named." in html
    html = client.get(kpi.get_absolute_url()).content.decode()
    assert "SMB revenue" in html
    assert "104,500" in html.replace("\u202f", ",").replace(" ", ",")


def test_kpi_measurements_export_csv_and_xlsx(base, admin, imported):
    client = client_for(admin)
    response = client.get("/kpis/smb-revenue/measurements.csv")
    assert response.status_code == 200
    assert response["Content-Disposition"] == 'attachment; filename="smb-revenue-measurements.csv"'
    text = response.content.decode("utf-8")
    assert text.startswith("\ufeffkpi,as_of,value,note,")
    assert "smb-revenue,2026-02-28,108.0,after campaign" in text
    book = openpyxl.load_workbook(
        io.BytesIO(client.get("/kpis/smb-revenue/measurements.xlsx").content), read_only=True
    )
    rows = list(book.active.iter_rows(values_only=True))
    assert rows[0][:4] == ("kpi", "as_of", "value", "note")
    assert len(rows) == 3


def test_exports_are_formula_safe(base, admin, imported):
    Measurement.objects.filter(note="after campaign").update(note="=HYPERLINK(1)")
    client = client_for(admin)
    text = client.get("/kpis/smb-revenue/measurements.csv").content.decode()
    assert ",'=HYPERLINK(1)" in text
    book = openpyxl.load_workbook(
        io.BytesIO(client.get("/kpis/smb-revenue/measurements.xlsx").content)
    )
    cells = [c for row in book.active.iter_rows() for c in row if c.value == "=HYPERLINK(1)"]
    assert cells
    assert cells[0].data_type == "s"


def test_exports_respect_access(base, admin, imported, other_team):
    from tests.factories import MembershipFactory, UserFactory

    stranger = UserFactory(username="stranger")
    MembershipFactory(user=stranger, team=other_team, role="leader")
    Objective.objects.update(team=Objective.objects.first().team)
    team = Initiative.objects.get(key="crm").team
    team.is_private = True
    team.save()
    client = client_for(stranger)
    initiative = Initiative.objects.get(key="crm")
    assert client.get("/kpis/smb-revenue/measurements.csv").status_code == 404
    assert client.get(f"/initiatives/{initiative.pk}/check-ins.csv").status_code == 404
    assert client.get(f"/initiatives/{initiative.pk}/spend.xlsx").status_code == 404
    book = openpyxl.load_workbook(
        io.BytesIO(client.get("/plan/export.xlsx").content), read_only=True
    )
    text = repr([list(ws.iter_rows(values_only=True)) for ws in book.worksheets])
    assert "Grow small business" not in text
    assert "crm" not in text


def test_initiative_checkins_and_spend_export(base, admin, imported):
    from initiatives.services import spend_record

    initiative = Initiative.objects.get(key="crm")
    spend_record(initiative=initiative, date=initiative.start_date, amount=1500, entered_by=admin,
                 category="Licences", note="Ärger über Öl")  # fmt: skip
    client = client_for(admin)
    text = client.get(f"/initiatives/{initiative.pk}/check-ins.csv").content.decode("utf-8")
    assert "crm," in text
    assert "ada@example.com" in text
    assert "Vendor chosen." in text
    raw = client.get(f"/initiatives/{initiative.pk}/spend.csv").content
    assert raw.startswith(b"\xef\xbb\xbf")
    assert "Ärger über Öl" in raw.decode("utf-8")


def test_round_trip_export_then_import_changes_nothing(base, admin, imported):
    client = client_for(admin)
    plan = client.get("/plan/export.xlsx").content
    report = plan_import(stream=io.BytesIO(plan), filename="plan.xlsx", user=admin, apply=True)
    assert report.ok, report.errors
    assert report.changes == 0
    assert {s.sheet: s.unchanged for s in report.sheets} == {
        "objectives": 2, "initiatives": 1, "kpis": 2, "milestones": 1,
    }  # fmt: skip
    assert all(not s.ignored_columns for s in report.sheets)
    for url in ("/kpis/smb-revenue/measurements.csv", "/kpis/smb-revenue/measurements.xlsx",
                f"/initiatives/{Initiative.objects.get(key='crm').pk}/check-ins.csv"):  # fmt: skip
        data = client.get(url).content
        back = plan_import(
            stream=io.BytesIO(data), filename=url.rsplit("/", 1)[1], user=admin, apply=True
        )
        assert back.ok, (url, back.errors)
        assert back.changes == 0, url


def test_list_exports_are_what_the_filters_show(base, admin, imported, other_team):
    from tests.factories import ObjectiveFactory

    ObjectiveFactory(team=other_team, key="eng-goal", title="Engineering goal")
    client = client_for(admin)
    everything = client.get("/objectives/export.csv").content.decode()
    assert "eng-goal" in everything
    assert "grow-smb" in everything
    team = Objective.objects.get(key="grow").team
    filtered = client.get(f"/objectives/export.csv?team={team.pk}&page=3").content.decode()
    assert filtered.startswith("\ufeffkey,title,parent,parent_title,")
    assert "grow-smb" in filtered
    assert "eng-goal" not in filtered
    book = openpyxl.load_workbook(
        io.BytesIO(client.get(f"/kpis/export.xlsx?team={team.pk}").content), read_only=True
    )
    keys = [row[0] for row in book.active.iter_rows(min_row=2, values_only=True)]
    assert sorted(keys) == ["crm-adoption", "smb-revenue"]
    text = client.get("/initiatives/export.csv").content.decode()
    assert "crm,Roll out the CRM,grow-smb,Grow small business," in text


def test_list_export_respects_access(base, admin, imported, other_team):
    from tests.factories import MembershipFactory, UserFactory

    stranger = UserFactory(username="stranger2")
    MembershipFactory(user=stranger, team=other_team, role="member")
    team = Objective.objects.get(key="grow").team
    team.is_private = True
    team.save()
    text = client_for(stranger).get("/objectives/export.csv").content.decode()
    assert "grow" not in text
    assert client_for(UserFactory(username="nobody")).get("/kpis/export.csv").status_code == 403
