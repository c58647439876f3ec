"""People: how a person is named on the pages, and whom a reader may see and choose.

``people_choosable`` is the one people-picker rule: every form and API field that chooses a
person (owners, contributors) and the people list of the API read it, so a person whose only
roles are in teams hidden from the reader is never offered, listed or accepted.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING

from django.contrib.auth import get_user_model
from django.db.models import Exists, OuterRef, Q, QuerySet

from strategy.models import Membership

if TYPE_CHECKING:
    from django.contrib.auth.models import User

    from strategy.access import Access


def person_name(*, first_name: str, last_name: str, username: str) -> str:
    """The full name as ``User.get_full_name()`` builds it, else the username."""
    return f"{first_name} {last_name}".strip() or username


def people_choosable(*, access: Access, keep_ids: Iterable[int] | QuerySet = ()) -> QuerySet[User]:
    """Active people this reader may see and choose, by name.

    The strategy office sees everyone. Anyone else sees the people with a role on at least one
    team they may see (``strategy.access``): someone whose only memberships are in private teams
    hidden from the reader is not there, exactly as if they did not exist.

    ``keep_ids``: people to keep whatever their teams, the current values of the object being
    edited (its owner, contributors), which the reader already sees on that object; without
    them, saving an unchanged form would fail. Ids, or a ``values("pk")`` queryset (then a
    subquery, no query of its own).

    One query when evaluated (an ``EXISTS`` on memberships of the visible teams).
    """
    people = get_user_model().objects.filter(is_active=True)
    if access.visible_team_ids is not None:
        seen = Q()
        if access.visible_team_ids:
            seen = Q(
                Exists(
                    Membership.objects.filter(user_id=OuterRef("pk")).filter(access.team_filter())
                )
            )
        if isinstance(keep_ids, QuerySet):
            seen |= Q(pk__in=keep_ids)  # a subquery: no query of its own
        elif keep := sorted({int(pk) for pk in keep_ids if pk is not None}):
            seen |= Q(pk__in=keep)
        people = people.filter(seen) if seen else people.none()
    return people.order_by("first_name", "last_name", "username", "id")
