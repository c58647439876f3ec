"""A pack as a page and as a PDF, from one template (``reviews/pack.html``).

The HTML pack, Chromium's print of it and the PDF are the same template and context; the PDF
sets ``pdf`` in the context, which leaves out what only works on screen (navigation,
scripts, buttons) and prints the pack short: the diff and each section's first
``REVIEW_PACK_PDF_ROWS`` items (the weakest first), then "and M more, see the online pack"
(``pack_print_cut``). It is laid out by WeasyPrint with the print stylesheet
(``execsupport.pdf``: offline, WeasyPrint imported lazily). Everything shown is what
``reviews.selectors.pack_read`` lets the reader see.

**Never in a request.** Laying a pack out takes seconds to minutes, so a worker does it
(``reviews.tasks.pack_pdf_render``) and the result is stored in the database (``PackPdf``,
the truth; Redis only carries the message):

* ``pack_pdf_request`` (a page, the API, an e-mail's attachment) renders the reader's HTML
  (fast), keys it by its SHA-256 and starts or reuses the job of that key. Readers who may
  see the same share one stored PDF; anyone who may see more or less gets another. A frozen
  pack never changes, so a finished PDF is served as it is.
* ``pack_pdf_render`` (the worker) claims the job with a guarded update, lays it out and
  stores the PDF; an error leaves it pending (tried again, at most ``MAX_ATTEMPTS`` times).
* A lost message or a dead worker only delays: the next request, or the sweep
  (``pack_pdfs_resume``, every five minutes), sends a pending job again once its message is
  older than ``REVIEW_PDF_RESEND_SECONDS`` and takes back a render older than the lease
  (``REVIEW_PDF_LEASE_SECONDS``, beyond the task's hard time limit).

With no broker configured (``make demo``) tasks run eagerly, so the first request lays the
PDF out itself.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import logging
import time
import uuid
from typing import cast

from celery import Task
from django.conf import settings
from django.db import transaction
from django.db.models import F, Q
from django.template.loader import render_to_string
from django.utils import timezone
from django.utils.text import slugify

from execsupport.pdf import PdfUnavailable, html_to_pdf, html_to_pdf_pages
from metrics.queue import enqueue_safely, task_named
from reviews.charts import pack_charts_add
from reviews.models import Pack, PackPdf
from reviews.selectors import PackView, pack_decisions, pack_read
from strategy.access import Access

logger = logging.getLogger(__name__)

MAX_ATTEMPTS = 3  # renders of one job before it is given up (a pack that cannot be laid out)
KEEP = dt.timedelta(days=30)  # stored PDFs nobody asked for since are deleted by the sweep
SCORED_KINDS = frozenset({"strategy", "theme", "objective", "initiative", "kpi"})


def _print_rank(kind: str, rows: list[dict]) -> list[dict]:
    """The rows of a section in the order a printed pack keeps them: the lowest scores first
    (unscored after, as frozen), milestones and action items overdue then open first; alerts
    (most severe first) and check-ins (newest first) as frozen. A stable sort."""
    if kind in SCORED_KINDS:

        def key(row):
            score = row.get("score")
            return (0, score) if isinstance(score, int | float) else (1, 0)

    elif kind == "milestone":

        def key(row):
            return (not row.get("overdue"), row.get("done") is not None)

    elif kind == "action":

        def key(row):
            return (not row.get("overdue"), row.get("state") != "open")

    else:
        return rows
    return sorted(rows, key=key)


def pack_print_cut(*, view: PackView, rows: int) -> PackView:
    """Shorten ``view`` for print: each section keeps its first ``rows`` rows in print order
    (``_print_rank``), the others move to ``section.cut``; the diff (biggest changes first)
    keeps its first ``rows`` changes, ``view.changes_cut`` counts the others. Returns
    ``view``; no query."""
    rows = max(1, rows)
    for section in view.sections:
        ranked = _print_rank(section.kind, section.rows)
        section.rows, section.cut = ranked[:rows], ranked[rows:]
    view.changes_cut = max(0, len(view.changes) - rows)
    view.changes = view.changes[:rows]
    return view


def pack_page_context(*, pack: Pack, access: Access, pdf: bool = False) -> dict:
    """The context of ``reviews/pack.html`` for one reader: the pack as they may see it, with
    its diff, charts and the decisions so far (three queries: the previous pack, the
    decisions, the people the reader may see named). ``pdf``: printed short
    (``pack_print_cut``, ``REVIEW_PACK_PDF_ROWS``)."""
    view = pack_read(pack=pack, access=access)
    decisions = pack_decisions(pack=pack, access=access)
    decisions_cut = 0
    if pdf:
        rows = settings.REVIEW_PACK_PDF_ROWS
        view = pack_print_cut(view=view, rows=rows)
        decisions_cut = max(0, len(decisions) - rows)
        decisions = decisions[:rows]
    return {
        "pack": pack,
        "view": pack_charts_add(view=view),
        "review": pack.review,
        "meeting": pack.meeting,
        "decisions": decisions,
        "decisions_cut": decisions_cut,
        "pdf": pdf,
    }


def pack_pdf_filename(*, pack: Pack) -> str:
    """``pack-<review slug>-<as of>.pdf`` (ASCII, safe in a Content-Disposition header)."""
    slug = slugify(pack.review.name)[:60] or "review"
    return f"pack-{slug}-{pack.as_of.isoformat()}.pdf"


def pack_pdf_html(*, pack: Pack, user, access: Access) -> str:
    """The HTML that the PDF of ``pack`` lays out for ``user`` (whose ``access`` is given):
    the pack template printed short, rendered without a request (no messages, no CSRF token,
    nothing of the session), so that the same visibility gives the same bytes."""
    context = pack_page_context(pack=pack, access=access, pdf=True) | {"user": user}
    return render_to_string("reviews/pack.html", context)


def pack_pdf(*, pack: Pack, user, access: Access, base_url: str) -> bytes:
    """The PDF of ``pack`` as ``user`` may see it, laid out now (benchmarks and workers; pages
    and the API go through ``pack_pdf_request``). Raises ``execsupport.pdf.PdfUnavailable``
    when WeasyPrint cannot be loaded."""
    return html_to_pdf(pack_pdf_html(pack=pack, user=user, access=access), base_url=base_url)


# The name ``reviews.tasks.pack_pdf_render`` is registered under: the task calls this module,
# so this module finds the task by its name in Celery's registry rather than importing it.
RENDER_TASK = "reviews.pack_pdf_render"


def _render_task() -> Task:
    """The render task (``reviews.tasks.pack_pdf_render``), from the Celery app's registry
    (``metrics.queue.task_named``: discovered first when no module has imported it yet)."""
    return task_named(RENDER_TASK)


def _enqueue(job_id: int, *, now: dt.datetime) -> None:
    """Mark a pending job sent and send its task after commit (never raising: a broker
    outage leaves it pending for the next request or the sweep)."""
    task = _render_task()
    PackPdf.objects.filter(pk=job_id, status=PackPdf.Status.PENDING).update(enqueued_at=now)
    transaction.on_commit(lambda: enqueue_safely(task, job_id=job_id), robust=True)


def _job_revive(job: PackPdf, *, now: dt.datetime) -> bool:
    """Make a stalled job pending again: a render older than the lease (a dead worker's), or
    a failure older than the resend delay (asked for again). True when it is pending and its
    message should be sent: never sent, or sent longer ago than the resend delay."""
    lease = now - dt.timedelta(seconds=settings.REVIEW_PDF_LEASE_SECONDS)
    resend = now - dt.timedelta(seconds=settings.REVIEW_PDF_RESEND_SECONDS)
    mine = PackPdf.objects.filter(pk=job.pk)
    if job.status == PackPdf.Status.RUNNING:
        return bool(
            mine.filter(status=PackPdf.Status.RUNNING, claimed_at__lt=lease).update(
                status=PackPdf.Status.PENDING, claim="", enqueued_at=None
            )
        )
    if job.status == PackPdf.Status.FAILED:
        return bool(
            mine.filter(status=PackPdf.Status.FAILED, finished_at__lt=resend).update(
                status=PackPdf.Status.PENDING, attempts=0, enqueued_at=None, finished_at=None
            )
        )
    return job.status == PackPdf.Status.PENDING and (
        job.enqueued_at is None or job.enqueued_at < resend
    )


def pack_pdf_request(
    *, pack: Pack, html: str, base_url: str | None = None, now: dt.datetime | None = None
) -> PackPdf:
    """Start or reuse the render job of ``html`` (``pack_pdf_html`` for one reader) and
    return it as it stands (without its HTML): ``status`` done with ``content``, pending or
    running (being made), or failed with ``error``.

    A new job is sent to a worker after commit; a stalled one is revived (``_job_revive``).
    ``base_url``: the root the PDF's links point to (default ``SITE_URL``: a stored PDF is
    shared, so it never depends on a request's Host header)."""
    now = now or timezone.now()
    key = hashlib.sha256(html.encode()).hexdigest()
    job, created = PackPdf.objects.get_or_create(
        pack=pack,
        key=key,
        defaults={
            "html": html,
            "base_url": base_url or settings.SITE_URL,
            "requested_at": now,
        },
    )
    if created or _job_revive(job, now=now):
        _enqueue(job.pk, now=now)
    if not created:
        PackPdf.objects.filter(pk=job.pk).update(requested_at=now)
    return PackPdf.objects.defer("html").get(pk=job.pk)


def pack_pdf_render(*, job_id: int) -> str:
    """Lay out one job's HTML and store the PDF (the worker's part): ``"done"``, ``"retry"``
    (an error: pending again, sent by the next request or the sweep), ``"failed"`` (WeasyPrint
    unavailable, or ``MAX_ATTEMPTS`` errors), ``"reclaimed"`` (taken back meanwhile: the new
    claimant stores it) or ``"nothing to do"`` (not pending: done, gone or claimed by a live
    worker). Database errors propagate (the task retries)."""
    claim = uuid.uuid4().hex
    claimed = PackPdf.objects.filter(id=job_id, status=PackPdf.Status.PENDING).update(
        status=PackPdf.Status.RUNNING,
        claim=claim,
        claimed_at=timezone.now(),
        attempts=F("attempts") + 1,
    )
    if not claimed:
        return "nothing to do"
    job = PackPdf.objects.only("html", "base_url", "attempts", "pack_id").get(id=job_id)
    mine = PackPdf.objects.filter(id=job_id, claim=claim, status=PackPdf.Status.RUNNING)
    started = time.perf_counter()
    try:
        content, pages = html_to_pdf_pages(job.html, base_url=job.base_url)
    except PdfUnavailable as exc:
        mine.update(
            status=PackPdf.Status.FAILED, error=str(exc), claim="", finished_at=timezone.now()
        )
        return "failed"
    except Exception as exc:
        logger.exception("PDF of pack %s (job %s) not made", job.pack_id, job_id)
        given_up = job.attempts >= MAX_ATTEMPTS
        mine.update(
            status=PackPdf.Status.FAILED if given_up else PackPdf.Status.PENDING,
            error=f"{type(exc).__name__}: {exc}"[:2000],
            claim="",
            enqueued_at=None,
            finished_at=timezone.now() if given_up else None,
        )
        return "failed" if given_up else "retry"
    seconds = time.perf_counter() - started
    stored = mine.update(
        status=PackPdf.Status.DONE,
        content=content,
        pages=pages,
        size=len(content),
        seconds=seconds,
        html="",
        error="",
        claim="",
        finished_at=timezone.now(),
    )
    if not stored:
        logger.warning("PDF job %s was taken back while this worker made it.", job_id)
        return "reclaimed"
    logger.info("PDF of pack %s: %d pages, %.1f s", job.pack_id, pages, seconds)
    return "done"


def pack_pdfs_resume(*, now: dt.datetime | None = None) -> dict[str, int]:
    """The sweep: take back renders older than the lease (dead workers), give up jobs that
    failed ``MAX_ATTEMPTS`` times, send pending jobs whose message is missing or older than
    the resend delay, delete PDFs nobody asked for in ``KEEP``. Returns the counts
    ``{"reclaimed", "given_up", "sent", "deleted"}``."""
    task = _render_task()
    now = now or timezone.now()
    lease = now - dt.timedelta(seconds=settings.REVIEW_PDF_LEASE_SECONDS)
    resend = now - dt.timedelta(seconds=settings.REVIEW_PDF_RESEND_SECONDS)
    pending = PackPdf.objects.filter(status=PackPdf.Status.PENDING)
    reclaimed = PackPdf.objects.filter(status=PackPdf.Status.RUNNING, claimed_at__lt=lease).update(
        status=PackPdf.Status.PENDING, claim="", enqueued_at=None
    )
    given_up = pending.filter(attempts__gte=MAX_ATTEMPTS).update(
        status=PackPdf.Status.FAILED, finished_at=now
    )
    ids = list(
        pending.filter(Q(enqueued_at__isnull=True) | Q(enqueued_at__lt=resend))
        .order_by("id")
        .values_list("id", flat=True)
    )
    PackPdf.objects.filter(id__in=ids).update(enqueued_at=now)
    sent = sum(enqueue_safely(task, job_id=job_id) for job_id in ids)
    deleted, _ = PackPdf.objects.filter(requested_at__lt=now - KEEP).delete()
    if reclaimed or given_up or ids:
        logger.warning(
            "PDF sweep: %d render(s) of dead workers taken back, %d given up, %d sent again.",
            reclaimed,
            given_up,
            len(ids),
        )
    return {"reclaimed": reclaimed, "given_up": given_up, "sent": sent, "deleted": deleted}


class PdfNotReady(RuntimeError):
    """The pack's PDF is still being made (an e-mail waiting for its attachment retries)."""


def pack_pdf_attachment(row) -> list[tuple[str, bytes, str]]:
    """The attachment of a pack e-mail (``metrics.outbox.OUTBOX_ATTACHMENTS``): the
    stored PDF of the pack of ``row.subject_id`` for ``row.recipient``'s access when it is
    sent (``pack_pdf_request``: started or reused, never laid out here). Nothing when the pack
    was deleted, the recipient is gone or may no longer see it, or the PDF is not ready at
    the outbox's last attempt (the e-mail then goes with its links only). Raises
    ``PdfNotReady`` while it is being made (the outbox tries the e-mail again later)."""
    from django.http import Http404

    from reviews.selectors import pack_get_for_user
    from strategy.access import access_for

    recipient = row.recipient
    if recipient is None or not recipient.is_active or row.subject_id is None:
        return []
    access = access_for(recipient)
    try:
        pack = pack_get_for_user(access=access, pk=row.subject_id)
    except Http404:
        return []
    job = pack_pdf_request(pack=pack, html=pack_pdf_html(pack=pack, user=recipient, access=access))
    if job.status == PackPdf.Status.DONE:
        content = cast("bytes | memoryview", job.content)  # DONE: the content is set
        return [(pack_pdf_filename(pack=pack), bytes(content), "application/pdf")]
    if row.attempts + 1 >= settings.GAP_OUTBOX_MAX_ATTEMPTS:
        return []
    raise PdfNotReady(
        f"The pack's PDF is not ready ({job.get_status_display().lower()}"
        + (f": {job.error}" if job.error else "")
        + "); the e-mail waits for it."
    )
