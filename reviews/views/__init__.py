"""Pages of the review cycle: reviews, a review's meetings and decision log, the printable
pack, and meeting mode (agenda from the diff, decisions and action items recorded in place
with HTMX).

The pages live in modules, each importing only ``common`` (what they share): ``reviews``
(reviews and their meetings' schedule), ``meeting`` (meeting mode) and ``packs`` (the pack, its
PDF and exports). ``reviews.urls`` names them from ``reviews.views``; the names below are its
public face.
"""

from reviews.views.meeting import (
    action_item_new,
    action_item_status,
    action_item_to_initiative,
    decision_new,
    meeting_detail,
    meeting_discussed,
)
from reviews.views.packs import (
    PDF_JOBS_SESSION_KEY,
    action_items_export,
    pack_changes_export,
    pack_detail,
    pack_pdf_download,
)
from reviews.views.reviews import (
    meeting_cancel,
    meeting_freeze,
    meeting_minutes,
    meeting_move,
    meeting_new,
    review_detail,
    review_list,
)

__all__ = [
    "PDF_JOBS_SESSION_KEY",
    "action_item_new",
    "action_item_status",
    "action_item_to_initiative",
    "action_items_export",
    "decision_new",
    "meeting_cancel",
    "meeting_detail",
    "meeting_discussed",
    "meeting_freeze",
    "meeting_minutes",
    "meeting_move",
    "meeting_new",
    "pack_changes_export",
    "pack_detail",
    "pack_pdf_download",
    "review_detail",
    "review_list",
]
