"""People: how a person is named on the pages, and whom a reader may see and choose.

``people_choosable`` is the one people-picker rule: every form and API field that chooses a
person (owners, contributors) and the people list of the API read it, so a person whose only
roles are in teams hidden from the reader is never offered, listed or accepted.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING

from django.contrib.auth import get_user_model
from django.contrib.auth.hashers import UNUSABLE_PASSWORD_PREFIX
from django.db.models import BooleanField, Exists, ExpressionWrapper, OuterRef, Q, QuerySet

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


def people_for_list(
    *,
    access: Access,
    q: str = "",
    team_id: int | None = None,
    role: str = "",
    status: str = "",
) -> QuerySet[User]:
    """The People page's rows: the office sees everyone (deactivated people too), a leader the
    people they may choose (``people_choosable``). Each row is annotated ``invited`` (no
    password yet, an invitation not used). Filters: ``q`` (words in the name, username or
    e-mail), ``team_id`` (a membership there), ``role`` (that role on any team, or on
    ``team_id``), ``status`` (``yes`` active, ``no`` deactivated, ``invited``). Memberships are
    prefetched by the caller (``memberships_prefetch``); one query for the page."""
    from strategy.models import Invitation

    people = get_user_model().objects.all() if access.is_office else people_choosable(access=access)
    people = people.annotate(
        invited=ExpressionWrapper(
            Q(Exists(Invitation.objects.filter(user_id=OuterRef("pk"), accepted_at__isnull=True)))
            & Q(password__startswith=UNUSABLE_PASSWORD_PREFIX),
            output_field=BooleanField(),
        )
    )
    for word in q.split()[:5]:
        people = people.filter(
            Q(first_name__icontains=word)
            | Q(last_name__icontains=word)
            | Q(username__icontains=word)
            | Q(email__icontains=word)
        )
    if team_id is not None or role:
        memberships = Membership.objects.filter(user_id=OuterRef("pk"))
        if team_id is not None:
            memberships = memberships.filter(team_id=team_id)
        if role:
            memberships = memberships.filter(role=role)
        people = people.filter(Exists(memberships.filter(access.team_filter())))
    if status == "yes":
        people = people.filter(is_active=True)
    elif status == "no":
        people = people.filter(is_active=False)
    elif status == "invited":
        people = people.filter(invited=True, is_active=True)
    return people.order_by("first_name", "last_name", "username", "id")


def memberships_prefetch(*, access: Access):
    """``Prefetch`` of each person's memberships of teams the reader may see, with the team."""
    from django.db.models import Prefetch

    return Prefetch(
        "memberships",
        queryset=access.scope(Membership.objects.select_related("team")).order_by(
            "team__name", "team_id"
        ),
        to_attr="visible_memberships",
    )


PEOPLE_FOUND_MAX = 20


def people_found(*, access: Access, q: str, limit: int = PEOPLE_FOUND_MAX) -> list[dict]:
    """Up to ``limit`` choosable people (``people_choosable``) whose first name, last name or
    username starts with each word of ``q`` (one query): ``[{"id", "name"}]`` by name. Names,
    not usernames, are what is shown."""
    people = people_choosable(access=access)
    for word in q.split()[:5]:
        word = word[:50]
        people = people.filter(
            Q(first_name__istartswith=word)
            | Q(last_name__istartswith=word)
            | Q(username__istartswith=word)
        )
    return [
        {"id": pk, "name": person_name(first_name=f, last_name=last, username=u)}
        for pk, f, last, u in people.values_list("pk", "first_name", "last_name", "username")[
            :limit
        ]
    ]
