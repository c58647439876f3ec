"""What of the review cycle a person may see: reviews, meetings and packs by their access, a
scope's label as they may see it, a decision's text, the people they may see."""

from __future__ import annotations

from django.db.models import QuerySet
from django.shortcuts import get_object_or_404

from reviews.models import Meeting, Pack, Review
from strategy.access import Access
from strategy.derived import ONE_HIDDEN


def reviews_visible(*, access: Access) -> QuerySet[Review]:
    """The reviews ``access`` may see (``Access.review_filter``), without duplicates."""
    if not access.sees_anything and access.user_id is None:
        return Review.objects.none()
    return Review.objects.filter(access.review_filter()).distinct()


def review_get_for_user(*, access: Access, pk: int) -> Review:
    """The review if this person may see it, else 404."""
    return get_object_or_404(
        reviews_visible(access=access).select_related("strategy", "team", "theme", "objective"),
        pk=pk,
    )


def meeting_get_for_user(*, access: Access, pk: int) -> Meeting:
    """The meeting if this person may see its review, else 404."""
    review_ids = reviews_visible(access=access).values("id")
    return get_object_or_404(
        Meeting.objects.filter(review_id__in=review_ids).select_related(
            "review", "review__strategy", "review__team", "review__objective"
        ),
        pk=pk,
    )


def pack_get_for_user(*, access: Access, pk: int) -> Pack:
    """The pack if this person may see its review, else 404."""
    review_ids = reviews_visible(access=access).values("id")
    return get_object_or_404(
        Pack.objects.filter(review_id__in=review_ids).select_related(
            "meeting", "review", "review__strategy"
        ),
        pk=pk,
    )


def pack_previous(*, pack: Pack) -> Pack | None:
    """The pack of the same review frozen just before ``pack`` (one query)."""
    return (
        Pack.objects.filter(review_id=pack.review_id, frozen_at__lt=pack.frozen_at)
        .order_by("-frozen_at", "-id")
        .first()
    )


def item_visible(access: Access, team_id: int | None) -> bool:
    """The rule of a frozen item: no team (the strategy, a theme) for anyone who sees the plan;
    else the reader's current right on the team. A team deleted since is in nobody's visible
    teams but the strategy office's (who sees every team)."""
    if team_id is None:
        return access.sees_anything
    return access.can_view_team(team_id)


def scope_label_for(*, access: Access, kind: str, label: str, team_id: int | None) -> str:
    """The name of a review's scope (a frozen pack's ``scope.label`` or the review's object)
    as ``access`` may read it: the strategy and themes for anyone who sees the plan; a team's
    or an objective's only for who may see that team (``strategy.access``), else "a part you
    cannot see" (a participant named on a private team's review sees that it exists, not
    what it is). A team or objective scope whose team is unknown is named to the office
    only."""
    if kind in (Review.Scope.TEAM, Review.Scope.OBJECTIVE):
        shown = access.visible_team_ids is None or (
            team_id is not None and item_visible(access, team_id)
        )
    else:
        shown = access.sees_anything
    return label if shown else ONE_HIDDEN


def pack_scope_label(*, access: Access, scope: dict) -> str:
    """A frozen pack's ``scope`` (``{"kind", "label", "team"}``) named for ``access``
    (``scope_label_for``)."""
    return scope_label_for(
        access=access,
        kind=scope.get("kind") or "",
        label=scope.get("label") or "",
        team_id=scope.get("team"),
    )


def review_scope_text(*, access: Access, review: Review) -> str:
    """ "Team and its sub-teams: Sales", the review's scope as ``access`` may read it
    (``scope_label_for``); the strategy scope is its kind alone. Joins the scope's object
    (select it related)."""
    kind = review.get_scope_display()
    name = ""
    if review.scope == Review.Scope.THEME and review.theme is not None:
        name = review.theme.name
    elif review.scope == Review.Scope.TEAM and review.team is not None:
        name = review.team.name
    elif review.scope == Review.Scope.OBJECTIVE and review.objective is not None:
        name = review.objective.title
    if not name:
        return kind
    label = scope_label_for(
        access=access, kind=review.scope, label=name, team_id=review.scope_team_id
    )
    return f"{kind}: {label}"


DECISION_HIDDEN = "A decision about a part you cannot see."


def decision_text_shown(*, access: Access, review: Review) -> bool:
    """Whether ``access`` reads the texts of the review's decisions: who may see its scope
    (``Access.can_view_subject``); a participant who may not reads how many there are."""
    return access.can_view_subject(review)


HIDDEN_PERSON = "someone you cannot see"


def people_visible(*, access: Access, ids) -> set[int]:
    """Which of these people ``access`` may see named (``strategy.people.people_choosable``:
    someone whose only roles are in private teams hidden from the reader is not): one query,
    none when ``ids`` is empty."""
    from strategy.people import people_choosable

    ids = {pk for pk in ids if pk is not None}
    if not ids:
        return set()
    seen = set(people_choosable(access=access).filter(pk__in=ids).values_list("pk", flat=True))
    if access.user_id is not None and access.user_id in ids:
        seen.add(access.user_id)
    return seen
