"""The pack as a PDF: the same template as the page, laid out by WeasyPrint offline, with the
charts drawn on the server; filtered for its reader exactly as the page; a clear 503 where
WeasyPrint's system libraries are missing.

Tests that lay out a PDF need WeasyPrint's system libraries (Pango, HarfBuzz): they skip
without them, except in CI (``CI=true``), where a missing library is a failure.
"""

from __future__ import annotations

import builtins
import io
import os
from unittest import mock

import pytest
from django.urls import reverse
from pypdf import PdfReader
from rest_framework.test import APIClient

from execsupport.pdf import PdfUnavailable, html_to_pdf, static_file_path, weasyprint_module
from reviews.models import PackPdf
from reviews.pdf import pack_pdf_html, pack_pdf_render
from reviews.services import pack_freeze
from strategy.access import access_for


def _weasyprint_loads() -> bool:
    try:
        weasyprint_module()
    except PdfUnavailable:
        return False
    return True


needs_weasyprint = pytest.mark.skipif(
    not _weasyprint_loads() and os.environ.get("CI") != "true",
    reason="WeasyPrint's system libraries (Pango, HarfBuzz) are not installed here",
)


def pdf_pages(content: bytes) -> list[str]:
    """The extracted text of each page of a PDF."""
    assert content.startswith(b"%PDF-")
    return [page.extract_text() or "" for page in PdfReader(io.BytesIO(content)).pages]


def _hidden_names(private_plan, other_team) -> list[str]:
    return [o.title for o in private_plan.objectives if o.team_id == other_team.pk] + [
        k.name for k in private_plan.kpis if k.team_id == other_team.pk
    ]


def test_the_pack_page_draws_kpi_trends_and_score_bars_as_svg(client, meeting, admin, private_plan):
    pack, _ = pack_freeze(meeting=meeting)
    kpi = next(item for item in pack.data["items"] if item["k"] == "kpi" and item["trend"])
    assert all(len(point) == 2 for point in kpi["trend"])
    client.force_login(admin)
    html = client.get(reverse("reviews:pack", args=[pack.pk])).content.decode()
    assert html.count('class="svgchart svgchart--line"') >= 1
    assert f'aria-label="Trend of {kpi["name"]}' in html
    assert "Objectives by score" in html
    assert reverse("reviews:pack-pdf", args=[pack.pk]) in html  # the Download PDF link


@needs_weasyprint
def test_the_pack_pdf_is_made_by_a_worker_stored_and_served(
    client, meeting, admin, private_plan, settings, django_capture_on_commit_callbacks
):
    """The request never lays the PDF out: it starts a job (sent to a worker after commit)
    and says the PDF is being prepared; the worker stores it; the next request serves it,
    printed short, without laying it out again."""
    settings.REVIEW_PACK_PDF_ROWS = 2
    pack, _ = pack_freeze(meeting=meeting)
    client.force_login(admin)
    url = reverse("reviews:pack-pdf", args=[pack.pk])
    with django_capture_on_commit_callbacks(execute=False) as sent:
        response = client.get(url)
    assert response.status_code == 202
    assert "The PDF is being prepared" in response.content.decode()
    assert len(sent) == 1  # the task, sent after commit
    job = PackPdf.objects.get()
    assert (job.status, job.attempts) == ("pending", 0)
    assert job.enqueued_at is not None
    with mock.patch("reviews.views.packs.pack_pdf_html", side_effect=AssertionError("rendered")):
        polled = client.get(url, headers={"HX-Request": "true"})  # reads the job's status
    assert polled.status_code == 200
    assert 'hx-trigger="every 3s"' in polled.content.decode()

    assert pack_pdf_render(job_id=job.pk) == "done"  # the worker's part
    assert pack_pdf_render(job_id=job.pk) == "nothing to do"  # a duplicate message
    job.refresh_from_db()
    assert job.status == "done"
    assert job.html == ""  # not kept once laid out
    assert job.pages >= 1

    ready = client.get(url, headers={"HX-Request": "true"}).content.decode()
    assert "Download the PDF" in ready
    assert "hx-trigger" not in ready  # polling stops
    with mock.patch("reviews.pdf.html_to_pdf_pages", side_effect=AssertionError("laid out")):
        response = client.get(url)
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert response["Content-Disposition"].startswith('attachment; filename="pack-monthly-')
    assert PackPdf.objects.count() == 1
    pages = pdf_pages(response.content)
    assert len(pages) == job.pages
    assert all(text.strip() for text in pages), "a page of the PDF is empty"
    text = " ".join(" ".join(pages).split())
    for heading in (
        "Monthly business review: pack of",
        "What changed",
        "Objectives",
        "Initiatives",
        "KPIs",
        "Open alerts",
    ):
        assert heading in text
    assert "more, see the online pack" in text  # two items per section, then one line
    # The score bars are SVG drawn into the page: their title and status words are text.
    assert "Objectives by score" in text
    assert "Themes by score" in text
    # No button or navigation of the screen page.
    for screen_only in ("Download PDF", "Meeting mode", "Sign out"):
        assert screen_only not in text


def test_readers_share_a_stored_pdf_only_when_they_see_the_same(
    client, meeting, admin, member, outsider, private_plan, other_team
):
    """The stored PDF is keyed by the HTML laid out for the reader: a second strategy office
    reader reuses the first one's; a member, who may not see the private team, gets their
    own, whose HTML names nothing of it. The API and the page share the job."""
    from django.contrib.auth.models import Group

    from strategy.models import STRATEGY_OFFICE_GROUP
    from tests.factories import UserFactory

    pack, _ = pack_freeze(meeting=meeting)
    url = reverse("reviews:pack-pdf", args=[pack.pk])
    second_office = UserFactory(username="office2")
    second_office.groups.add(Group.objects.get(name=STRATEGY_OFFICE_GROUP))
    for person in (admin, second_office):
        client.force_login(person)
        assert client.get(url).status_code == 202
    assert PackPdf.objects.count() == 1
    api = APIClient()
    api.force_login(member)
    response = api.get(f"/api/v1/packs/{pack.pk}/pdf/")
    assert response.status_code == 202
    assert response.json()["status"] == "pending"
    assert response["Retry-After"]
    client.force_login(member)
    assert client.get(url).status_code == 202
    assert PackPdf.objects.count() == 2  # the member's: one for the page and the API
    office_html = PackPdf.objects.order_by("id")[0].html
    member_html = PackPdf.objects.order_by("id")[1].html
    hidden = _hidden_names(private_plan, other_team)
    assert hidden
    assert all(name in office_html for name in hidden)
    assert "parts you cannot see" in member_html
    for name in [*hidden, "Engineering"]:
        assert name not in member_html
    api.force_login(outsider)  # refused as the pack itself is
    refused = api.get(f"/api/v1/packs/{pack.pk}/").status_code
    assert refused in (403, 404)
    assert api.get(f"/api/v1/packs/{pack.pk}/pdf/").status_code == refused
    assert PackPdf.objects.count() == 2


def test_the_api_serves_the_stored_pdf_once_made(meeting, member, private_plan, fake_layout):
    pack, _ = pack_freeze(meeting=meeting)
    api = APIClient()
    api.force_login(member)
    # The test's transaction never commits: the job's message is not sent, a call stands in.
    assert api.get(f"/api/v1/packs/{pack.pk}/pdf/").status_code == 202
    assert pack_pdf_render(job_id=PackPdf.objects.get().pk) == "done"
    response = api.get(f"/api/v1/packs/{pack.pk}/pdf/")
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert response.content.startswith(b"%PDF-fake")
    assert "What changed" in response.content.decode()


def test_the_printed_pack_keeps_the_weakest_items_of_each_section(
    meeting, admin, private_plan, settings
):
    from reviews.pdf import pack_page_context

    settings.REVIEW_PACK_PDF_ROWS = 2
    pack, _ = pack_freeze(meeting=meeting)
    access = access_for(admin)
    full = {s.kind: s for s in pack_page_context(pack=pack, access=access)["view"].sections}
    printed = pack_page_context(pack=pack, access=access, pdf=True)
    assert all(not s.cut for s in full.values())  # the page shows everything
    for section in printed["view"].sections:
        assert len(section.rows) <= 2
        assert section.count == full[section.kind].count
        assert len(section.rows) + len(section.cut) == len(full[section.kind].rows)
    sections = {s.kind: s for s in printed["view"].sections}
    objectives = sections["objective"]
    assert objectives.cut
    scores = sorted(
        r["score"] for r in full["objective"].rows if isinstance(r.get("score"), int | float)
    )
    assert [r["score"] for r in objectives.rows] == scores[:2]  # the weakest first
    assert "Objectives by score" in objectives.chart  # the bars still rank them all
    assert len(printed["view"].changes) <= 2
    html = pack_pdf_html(pack=pack, user=admin, access=access)
    assert f"and {len(objectives.cut)} more, see the" in html
    assert html == pack_pdf_html(pack=pack, user=admin, access=access)  # the same bytes


@pytest.fixture(params=[ImportError, OSError], ids=["package missing", "library missing"])
def weasyprint_broken(request, monkeypatch):
    """``import weasyprint`` fails as it does without the package (ImportError) or without
    Pango (cffi's OSError: cannot load library)."""
    real_import = builtins.__import__

    def failing_import(name, *args, **kwargs):
        if name == "weasyprint" or name.startswith("weasyprint."):
            raise request.param("cannot load library 'libpango-1.0-0': simulated")
        return real_import(name, *args, **kwargs)

    monkeypatch.setattr(builtins, "__import__", failing_import)
    return request.param


def test_without_weasyprint_the_pdf_answers_503_with_the_reason(
    client, meeting, admin, private_plan, weasyprint_broken
):
    pack, _ = pack_freeze(meeting=meeting)
    client.force_login(admin)
    response = client.get(reverse("reviews:pack-pdf", args=[pack.pk]))
    assert response.status_code == 503
    assert "PDF export is not available on this server" in response.content.decode()
    # The page itself still works, with its print button.
    assert client.get(reverse("reviews:pack", args=[pack.pk])).status_code == 200
    api = APIClient()
    api.force_login(admin)
    response = api.get(f"/api/v1/packs/{pack.pk}/pdf/")
    assert response.status_code == 503
    assert "not available" in response.json()["detail"]


def test_html_to_pdf_raises_pdf_unavailable_without_weasyprint(weasyprint_broken):
    with pytest.raises(PdfUnavailable) as caught:
        html_to_pdf("<h1>x</h1>", base_url="http://testserver/")
    assert isinstance(caught.value.__cause__, weasyprint_broken)


def test_static_urls_map_to_files_and_nothing_else(settings):
    base = "http://testserver/"
    assert static_file_path(base + "static/css/print.css", base_url=base).name == "print.css"
    for url in (
        "http://elsewhere.example/static/css/print.css",
        base + "static/../execsupport/settings.py",
        base + "static/%2e%2e/execsupport/settings.py",
        base + "static/css/nope.css",
        base + "media/x.png",
        "file:///etc/passwd",
    ):
        assert static_file_path(url, base_url=base) is None, url


@needs_weasyprint
def test_rendering_fetches_nothing_outside_the_site(settings, tmp_path):
    """Stylesheets of the site are read from disk; a remote image is not fetched (the fetcher
    refuses it before any connection) and the rest still renders."""
    import socket

    def no_network(*args, **kwargs):
        raise AssertionError("a connection was attempted while rendering a PDF")

    real = socket.socket.connect
    socket.socket.connect = no_network
    try:
        content = html_to_pdf(
            '<link rel="stylesheet" href="/static/css/print.css">'
            '<img src="https://example.com/x.png" alt="remote"><h1>Offline heading</h1>',
            base_url="http://testserver/",
        )
    finally:
        socket.socket.connect = real
    assert "Offline heading" in " ".join(pdf_pages(content))
