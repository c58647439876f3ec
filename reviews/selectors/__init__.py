"""Reads of the review cycle: reviews a person may see, and frozen packs and their diff as
one reader may see them (privacy re-checked against the reader's *current* access).

Reading a pack costs no query for its content: every name it shows is frozen in the pack,
and visibility comes from ``strategy.access`` (already computed for the request).

The reads live in modules, each importing only ``visible``: ``visible`` (what a person may see),
``packs`` (a pack as its reader sees it) and ``decisions`` (decisions and action items).
Callers import from ``reviews.selectors``; the names below are its public face.
"""

from reviews.selectors.decisions import (
    action_items_open_for,
    decisions_with_movement,
    kpi_states,
    pack_decisions,
    review_action_items,
)
from reviews.selectors.packs import (
    SECTIONS,
    PackView,
    Section,
    agenda_keys,
    changes_for_reader,
    pack_names,
    pack_read,
)
from reviews.selectors.visible import (
    DECISION_HIDDEN,
    HIDDEN_PERSON,
    decision_text_shown,
    item_visible,
    meeting_get_for_user,
    pack_get_for_user,
    pack_previous,
    pack_scope_label,
    people_visible,
    review_get_for_user,
    review_scope_text,
    reviews_visible,
    scope_label_for,
)

__all__ = [
    "DECISION_HIDDEN",
    "HIDDEN_PERSON",
    "SECTIONS",
    "PackView",
    "Section",
    "action_items_open_for",
    "agenda_keys",
    "changes_for_reader",
    "decision_text_shown",
    "decisions_with_movement",
    "item_visible",
    "kpi_states",
    "meeting_get_for_user",
    "pack_decisions",
    "pack_get_for_user",
    "pack_names",
    "pack_previous",
    "pack_read",
    "pack_scope_label",
    "people_visible",
    "review_action_items",
    "review_get_for_user",
    "review_scope_text",
    "reviews_visible",
    "scope_label_for",
]
