"""API of the review cycle: reviews, meetings, packs (read-only, rendered for the reader) with
their diff, decisions and action items. Rules come from ``strategy.access``; writes call
``reviews.services``.

The viewsets live in modules by subject, none importing another: ``cycle`` (reviews and
meetings), ``packs`` and ``decisions`` (decisions and action items). ``execsupport.api_urls``
registers them from ``reviews.api``; the names below are its public face.
"""

from reviews.api.cycle import MeetingFilter, MeetingViewSet, ReviewFilter, ReviewViewSet
from reviews.api.decisions import (
    ActionItemFilter,
    ActionItemViewSet,
    DecisionFilter,
    DecisionViewSet,
)
from reviews.api.packs import TEXT_FIELDS, PackFilter, PackViewSet, PdfExportUnavailable

__all__ = [
    "TEXT_FIELDS",
    "ActionItemFilter",
    "ActionItemViewSet",
    "DecisionFilter",
    "DecisionViewSet",
    "MeetingFilter",
    "MeetingViewSet",
    "PackFilter",
    "PackViewSet",
    "PdfExportUnavailable",
    "ReviewFilter",
    "ReviewViewSet",
]
