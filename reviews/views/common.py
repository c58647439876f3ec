"""What the review pages share: people's names as the reader may see them, a review's
participants, a safe link back."""

from __future__ import annotations

from typing import TYPE_CHECKING, TypeGuard

from reviews.models import Review
from reviews.selectors import (
    HIDDEN_PERSON,
    people_visible,
)

if TYPE_CHECKING:
    pass


def _label_people(access, objects, *fields: str) -> None:
    """Set ``<field>_label`` on each object: the person's name if the reader may see them,
    else "someone you cannot see"; "not recorded" when there is none (one query for all)."""
    from strategy.people import person_name

    ids = {getattr(o, f"{f}_id") for o in objects for f in fields}
    shown = people_visible(access=access, ids=ids)
    for obj in objects:
        for f in fields:
            person = getattr(obj, f)
            if person is None:
                label = "not recorded"
            elif person.pk in shown:
                label = person_name(
                    first_name=person.first_name,
                    last_name=person.last_name,
                    username=person.username,
                )
            else:
                label = HIDDEN_PERSON
            setattr(obj, f"{f}_label", label)


def _participant_ids(review: Review) -> list[int]:
    return list(review.participants.values_list("pk", flat=True))


def _safe(url: str | None) -> TypeGuard[str]:
    return url is not None and url.startswith("/") and not url.startswith("//")
