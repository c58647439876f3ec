"""Celery tasks of the review cycle: thin wrappers around ``reviews.services``."""

from __future__ import annotations

from celery import shared_task
from django.db import InterfaceError, OperationalError


@shared_task(
    name="reviews.packs_freeze_due",
    acks_late=True,
    autoretry_for=(OperationalError, InterfaceError),
    retry_backoff=True,
    max_retries=5,
)
def packs_freeze_due() -> list[int]:
    """Beat: freeze the packs of the meetings that have started, and e-mail the minutes of
    those held a while ago (both idempotent)."""
    from reviews.services import meetings_minutes_due
    from reviews.services import packs_freeze_due as freeze

    frozen = freeze()
    meetings_minutes_due()
    return frozen


@shared_task(
    name="reviews.action_items_alerts",
    acks_late=True,
    autoretry_for=(OperationalError, InterfaceError),
    retry_backoff=True,
    max_retries=5,
)
def action_items_alerts() -> int:
    """Beat: open, keep or resolve the overdue alerts of action items (idempotent)."""
    from reviews.overdue import action_items_alerts_sync

    return len(action_items_alerts_sync())


@shared_task(
    name="reviews.pack_pdf_render",
    acks_late=True,
    autoretry_for=(OperationalError, InterfaceError),
    retry_backoff=True,
    max_retries=5,
)
def pack_pdf_render(job_id: int) -> str:
    """Lay out one pack PDF job and store the PDF (``reviews.pdf.pack_pdf_render``: claimed
    with a guarded update, so a duplicate message does nothing)."""
    from reviews.pdf import pack_pdf_render as render

    return render(job_id=job_id)


@shared_task(
    name="reviews.pack_pdfs_resume",
    acks_late=True,
    autoretry_for=(OperationalError, InterfaceError),
    retry_backoff=True,
    max_retries=5,
)
def pack_pdfs_resume() -> dict:
    """Beat: send again the pack PDF jobs a lost message or a dead worker left
    (``reviews.pdf.pack_pdfs_resume``)."""
    from reviews.pdf import pack_pdfs_resume as resume

    return resume()
