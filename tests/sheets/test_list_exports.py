"""The alerts inbox's export (what its filters show, CSV with a byte-order mark and XLSX,
formula-safe, access respected) and the query counts of every list export at two sizes."""

from __future__ import annotations

import io

import openpyxl
import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from metrics.models import Alert
from strategy.derived import part, ref
from tests.factories import (
    AlertFactory,
    InitiativeFactory,
    KPIFactory,
    MembershipFactory,
    ObjectiveFactory,
    UserFactory,
)


def client_for(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def _rows(content: bytes) -> list[tuple]:
    book = openpyxl.load_workbook(io.BytesIO(content), read_only=True)
    return list(book.active.iter_rows(values_only=True))


@pytest.fixture
def alerts(team, other_team, leader):
    secret = KPIFactory(team=other_team, name="Secret margin", key="secret-margin")
    other_team.is_private = True
    other_team.save()
    mine = KPIFactory(team=team, name="Sales pipeline", key="pipeline")
    return {
        "sales": AlertFactory(
            team=team,
            owner=leader,
            severity=Alert.Severity.CRITICAL,
            title="KPI off track",
            title_parts=part("Ärger: {0} off track", **{"0": ref("kpi", mine.pk)}),
        ),
        # About a public team's subject, naming a private KPI: counted, never named.
        "mentions_private": AlertFactory(
            team=team,
            kind=Alert.Kind.EARLY_WARNING,
            severity=Alert.Severity.INFO,
            title="Leading indicator warns",
            title_parts=part("{0} warns", **{"0": ref("kpi", secret.pk)}),
            message="=HYPERLINK(1)",
            message_parts=None,
        ),
        "private": AlertFactory(
            team=other_team,
            title="Private",
            title_parts=part("{0} off track", **{"0": ref("kpi", secret.pk)}),
        ),
        "resolved": AlertFactory(
            team=team, status=Alert.Status.RESOLVED, resolved_at=timezone.now(), title="Old news"
        ),
    }


def test_alerts_export_is_what_the_filters_show(alerts, leader):
    client = client_for(leader)
    response = client.get("/alerts/export.csv")
    assert response.status_code == 200
    assert response["Content-Disposition"] == 'attachment; filename="alerts.csv"'
    raw = response.content
    assert raw.startswith(b"\xef\xbb\xbfkind,severity,status,title,message,subject_type,")
    text = raw.decode("utf-8")
    assert "Ärger: KPI “Sales pipeline” off track" in text
    assert f"{leader.email},{leader.get_full_name()}," in text  # the owner by e-mail and name
    assert "a part you cannot see warns" in text
    assert "Old news" not in text  # the inbox shows active alerts unless asked
    assert "Secret margin" not in text
    assert "Private" not in text
    # Formula-safe, as the other exports.
    assert ",'=HYPERLINK(1)," in text
    everything = client.get("/alerts/export.csv?status=all&page=2").content.decode()
    assert "Old news" in everything
    critical = _rows(client.get("/alerts/export.xlsx?severity=3").content)
    assert critical[0][:4] == ("kind", "severity", "status", "title")
    assert [row[:4] for row in critical[1:]] == [
        ("kpi_off_track", "critical", "open", "Ärger: KPI “Sales pipeline” off track")
    ]


def test_alerts_export_xlsx_keeps_formulas_as_text(alerts, leader):
    book = openpyxl.load_workbook(io.BytesIO(client_for(leader).get("/alerts/export.xlsx").content))
    cells = [c for row in book.active.iter_rows() for c in row if c.value == "=HYPERLINK(1)"]
    assert cells
    assert cells[0].data_type == "s"


def test_alerts_export_respects_access(alerts, admin, other_team):
    office = client_for(admin).get("/alerts/export.csv").content.decode()
    assert "KPI “Secret margin” off track" in office
    stranger = UserFactory(username="stranger")
    MembershipFactory(user=stranger, team=other_team, role="member")
    seen = client_for(stranger).get("/alerts/export.csv").content.decode()
    assert "KPI “Secret margin” off track" in seen
    # Sales is public: its alerts show, and name the private KPI to its team.
    assert "“Secret margin” warns" in seen
    assert client_for(UserFactory(username="nobody")).get("/alerts/export.csv").status_code == 403


def _grow(kind: str, n: int, *, team, leader) -> None:
    for _ in range(n):
        objective = ObjectiveFactory(team=team, owner=leader)
        if kind == "objectives":
            continue
        initiative = InitiativeFactory(objective=objective, team=team, owner=leader)
        if kind == "kpis":
            KPIFactory(initiative=initiative, objective=None, team=team, owner=leader)
        if kind == "alerts":
            AlertFactory(
                team=team,
                owner=leader,
                title_parts=part("{0} stalls", **{"0": ref("initiative", initiative.pk)}),
            )


@pytest.mark.parametrize("kind", ["objectives", "initiatives", "kpis", "alerts"])
@pytest.mark.parametrize("fmt", ["csv", "xlsx"])
def test_list_export_queries_do_not_grow_with_rows(kind, fmt, team, leader):
    client = client_for(leader)
    counts = []
    for n in (2, 12):
        _grow(kind, n, team=team, leader=leader)
        with CaptureQueriesContext(connection) as queries:
            response = client.get(f"/{kind}/export.{fmt}")
        assert response.status_code == 200
        counts.append(len(queries))
    assert counts[0] == counts[1], counts
