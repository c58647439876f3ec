"""The diff and the action items as CSV and XLSX (the sheets app's writers): UTF-8 with a
BOM, formula-safe, as the reader may see them (a private part counted, never named)."""

from __future__ import annotations

import csv
import datetime as dt
import io

import openpyxl
import pytest
from django.urls import reverse
from django.utils import timezone

from metrics.models import Measurement
from reviews.models import Meeting
from reviews.services import action_item_create, pack_freeze


def _rows(response) -> list[list[str]]:
    text = response.content.decode("utf-8")
    assert text.startswith("\ufeff")
    return list(csv.reader(io.StringIO(text[1:])))


@pytest.fixture
def two_packs(review, meeting, private_plan, member, leader, other_team, other_member):
    """Two packs of the review; between them every KPI (public and private) moved far off its
    trajectory, so the diff has changes in both teams."""
    pack_freeze(meeting=meeting, now=timezone.now() - dt.timedelta(days=30))
    for kpi in private_plan.kpis:
        Measurement.objects.create(kpi=kpi, as_of=timezone.localdate(), value=-1e6)
    action_item_create(
        title='=HYPERLINK("http://evil")',
        owner=member,
        due_date=timezone.localdate() - dt.timedelta(days=2),
        created_by=leader,
        meeting=meeting,
    )
    action_item_create(
        title="Canary private follow-up",
        owner=other_member,  # who may see it (strategy.access.assignees_check)
        due_date=timezone.localdate() + dt.timedelta(days=5),
        created_by=leader,
        meeting=meeting,
        team_id=other_team.pk,
    )
    second = Meeting.objects.create(review=review, starts_at=timezone.now())
    pack, _ = pack_freeze(meeting=second)
    return pack


def test_changes_csv_lists_the_diff_biggest_first_and_combines_hidden_ones(
    client, two_packs, member, other_team
):
    from metrics.engine.run import full_recompute  # noqa: F401  (the plan is scored already)

    client.force_login(member)
    response = client.get(reverse("reviews:pack-changes-csv", args=[two_packs.pk]))
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/csv")
    assert "attachment" in response["Content-Disposition"]
    rows = _rows(response)
    assert rows[0] == [
        "rank",
        "change",
        "about",
        "description",
        "weight",
        "discussed",
        "link",
        "key",
    ]
    body = rows[1:]
    ranked = [r for r in body if r[0]]
    assert ranked, "the diff has visible changes"
    weights = [float(r[4]) for r in ranked]
    assert weights == sorted(weights, reverse=True)
    assert [int(r[0]) for r in ranked] == list(range(1, len(ranked) + 1))
    text = response.content.decode()
    for kpi_name in other_team.kpis.values_list("name", flat=True):
        assert kpi_name not in text
    assert "Canary" not in text
    assert body[-1][1].endswith("you cannot see")  # the private team's changes, counted


def test_changes_xlsx_has_the_same_rows(client, two_packs, member):
    client.force_login(member)
    csv_rows = _rows(client.get(reverse("reviews:pack-changes-csv", args=[two_packs.pk])))
    response = client.get(reverse("reviews:pack-changes-xlsx", args=[two_packs.pk]))
    assert response.status_code == 200
    book = openpyxl.load_workbook(io.BytesIO(response.content))
    sheet = book["Changes"]
    cells = [
        [("" if v is None else str(v)) for v in row] for row in sheet.iter_rows(values_only=True)
    ]
    assert cells[0] == csv_rows[0]
    assert len(cells) == len(csv_rows)
    assert [r[7] for r in cells[1:]] == [r[7] for r in csv_rows[1:]]


def test_action_items_csv_is_formula_safe_and_hides_what_the_reader_cannot_see(
    client, two_packs, member
):
    client.force_login(member)
    response = client.get(reverse("reviews:action-items-csv", args=[two_packs.review_id]))
    assert response.status_code == 200
    rows = _rows(response)
    assert rows[0][:4] == ["title", "status", "overdue", "due_date"]
    titles = [r[0] for r in rows[1:]]
    assert titles == ['\'=HYPERLINK("http://evil")']  # quoted: never a formula
    assert rows[1][2] == "yes"  # overdue
    assert "Canary" not in response.content.decode()
    book = openpyxl.load_workbook(
        io.BytesIO(
            client.get(reverse("reviews:action-items-xlsx", args=[two_packs.review_id])).content
        )
    )
    cell = book["Action items"]["A2"]
    assert cell.data_type == "s"
    assert cell.value == '=HYPERLINK("http://evil")'


def test_exports_are_404_for_who_cannot_see_the_review(client, two_packs, outsider):
    client.force_login(outsider)
    assert client.get(reverse("reviews:pack-changes-csv", args=[two_packs.pk])).status_code == 404
    url = reverse("reviews:action-items-xlsx", args=[two_packs.review_id])
    assert client.get(url).status_code == 404


def test_pack_and_agenda_render_the_changes_links_once_escaped(client, two_packs, member):
    """The diff's texts are HTML built by DerivedNames.html (escaped there): the pages show
    their links, not their markup as text."""
    client.force_login(member)
    for url in (two_packs.get_absolute_url(), two_packs.meeting.get_absolute_url()):
        html = client.get(url).content.decode()
        assert "&lt;a href" not in html
        assert "”</a>" in html  # a derived label (type “name”) rendered as a link
