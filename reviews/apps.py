from __future__ import annotations

from django.apps import AppConfig
from typing_extensions import override


def _pack_pdf_attachment(row):
    from reviews.pdf import pack_pdf_attachment

    return pack_pdf_attachment(row)


class ReviewsConfig(AppConfig):
    """The review cycle: reviews, meetings, frozen packs, decisions and action items."""

    name = "reviews"

    @override
    def ready(self) -> None:
        # Pack e-mails carry the pack as a PDF where REVIEW_PACK_PDF_EMAIL is set.
        from metrics.outbox import OUTBOX_ATTACHMENTS
        from reviews.services import PACK_PDF_SUBJECT

        OUTBOX_ATTACHMENTS[PACK_PDF_SUBJECT] = _pack_pdf_attachment
