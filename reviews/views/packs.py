"""The printable pack and its exports: the pack page, its PDF, its changes and the review's
action items as a spreadsheet."""

from __future__ import annotations

from typing import TYPE_CHECKING, cast

from django.contrib.auth.decorators import login_required
from django.http import HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET

from execsupport.pdf import (
    PdfUnavailable,
    pdf_response,
    pdf_unavailable_response,
    weasyprint_module,
)
from reviews.models import PackPdf
from reviews.pdf import pack_page_context, pack_pdf_filename, pack_pdf_html, pack_pdf_request
from reviews.selectors import (
    pack_get_for_user,
    pack_read,
    people_visible,
    review_action_items,
    review_get_for_user,
)
from strategy.access import access_for

if TYPE_CHECKING:
    from execsupport.requests import AuthenticatedHttpRequest


@login_required
def pack_detail(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    """The frozen pack, printable (the print rules of static/css/print.css), with what changed
    since the previous pack of the same review, for this reader."""
    access = access_for(request.user)
    pack = pack_get_for_user(access=access, pk=pk)
    return render(request, "reviews/pack.html", pack_page_context(pack=pack, access=access))


# The pack PDF job each pack's page gave this session: {pack id: job id} (polls read it).
PDF_JOBS_SESSION_KEY = "reviews_pack_pdf_jobs"


@login_required
@require_GET
def pack_pdf_download(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    """The pack as a PDF for this reader, made by a worker and stored (``reviews.pdf``): the
    PDF when it is ready; else a page (202) saying it is being prepared, which polls this URL
    (HTMX: the status fragment) and then offers the download. A failure says why (503), as
    does a server without WeasyPrint's libraries."""
    access = access_for(request.user)
    pack = pack_get_for_user(access=access, pk=pk)
    try:
        weasyprint_module()
    except PdfUnavailable as exc:
        return pdf_unavailable_response(exc)
    jobs = request.session.get(PDF_JOBS_SESSION_KEY, {})
    job = None
    if request.htmx and str(pack.pk) in jobs:
        # A poll of the waiting page: the status of the job this reader was given, without
        # rendering the pack again (the download itself always does, for current access).
        job = PackPdf.objects.defer("html", "content").filter(pk=jobs[str(pack.pk)]).first()
    if job is None or job.pack_id != pack.pk:
        job = pack_pdf_request(
            pack=pack, html=pack_pdf_html(pack=pack, user=request.user, access=access)
        )
        request.session[PDF_JOBS_SESSION_KEY] = {**jobs, str(pack.pk): job.pk}
    context = {"pack": pack, "review": pack.review, "job": job}
    if request.htmx:
        return render(request, "reviews/_pack_pdf_status.html", context)
    if job.status == PackPdf.Status.DONE:
        content = cast("bytes | memoryview", job.content)  # DONE: the content is set
        return pdf_response(bytes(content), filename=pack_pdf_filename(pack=pack))
    status = 503 if job.status == PackPdf.Status.FAILED else 202
    return render(request, "reviews/pack_pdf_wait.html", context, status=status)


@login_required
@require_GET
def pack_changes_export(request: AuthenticatedHttpRequest, pk: int, fmt: str) -> HttpResponse:
    """The pack's diff (what changed since the previous pack) as this reader sees it, CSV or
    XLSX (``sheets.exports.pack_changes_export``); 404 if the pack is not visible."""
    from django.conf import settings

    from sheets.exports import pack_changes_export as export
    from sheets.writing import sheet_response

    access = access_for(request.user)
    pack = pack_get_for_user(access=access, pk=pk)
    view = pack_read(pack=pack, access=access)
    sheet, rows = export(
        changes=view.changes,
        hidden=view.hidden_changes,
        names=view.names,
        discussed=set(pack.meeting.discussed or []),
        site_url=settings.SITE_URL.rstrip("/"),
    )
    return sheet_response(
        fmt=fmt, filename=f"pack-{pack.pk}-{pack.as_of:%Y-%m-%d}-changes", sheet=sheet, rows=rows
    )


@login_required
@require_GET
def action_items_export(request: AuthenticatedHttpRequest, pk: int, fmt: str) -> HttpResponse:
    """The action items of a review's meetings the reader may see, CSV or XLSX
    (``sheets.exports.action_items_export``); 404 if the review is not visible."""
    from sheets.exports import action_items_export as export
    from sheets.writing import sheet_response

    access = access_for(request.user)
    review = review_get_for_user(access=access, pk=pk)
    items = review_action_items(review=review, access=access)
    shown = people_visible(access=access, ids={item.owner_id for item in items})
    sheet, rows = export(items=items, shown_people=shown)
    return sheet_response(
        fmt=fmt, filename=f"review-{review.pk}-action-items", sheet=sheet, rows=rows
    )
