"""The leadership figure from the app's own data: the median time for a leader to answer a
blocker reported in a check-in."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict

from django.db.models import Q, QuerySet
from django.urls import reverse
from django.utils import timezone

from assessment.evidence.scope import EvidenceRow, EvidenceScope, _median
from initiatives.models import CheckIn
from strategy.models import Membership


def _blocker_checkins(scope: EvidenceScope) -> QuerySet:
    return CheckIn.objects.filter(
        scope.teams("initiative__team_id"),
        initiative__objective__strategy=scope.strategy,
        created_at__lt=scope.end,
    ).filter(~Q(blockers="") | ~Q(blocker_tags=""))


def _blocker_answers(scope: EvidenceScope) -> list[tuple[dict, float | None]]:
    """``(check-in values, days to the first leader's comment or None)``, oldest first."""
    if "answers" in scope._cache:
        return scope._cache["answers"]
    from activity.models import Comment

    checkins = list(
        _blocker_checkins(scope)
        .order_by("created_at", "pk")
        .values("pk", "initiative_id", "initiative__team_id", "initiative__title", "created_at")
    )
    result: list[tuple[dict, float | None]] = []
    if checkins:
        tree = scope._cache["tree"]
        leaders: dict[int, set[int]] = defaultdict(set)
        for user_id, led_team_id in Membership.objects.filter(
            role=Membership.Role.LEADER
        ).values_list("user_id", "team_id"):
            leaders[led_team_id].add(user_id)
        comments: dict[int, list[tuple[dt.datetime, int]]] = defaultdict(list)
        for subject_id, created_at, author_id in (
            Comment.objects.filter(
                subject_type=Comment.SubjectType.INITIATIVE,
                subject_id__in=_blocker_checkins(scope).values("initiative_id"),
                created_at__lt=scope.end,
                author_id__isnull=False,
            )
            .order_by("created_at", "pk")
            .values_list("subject_id", "created_at", "author_id")
        ):
            comments[subject_id].append((created_at, author_id))
        for checkin in checkins:
            team_leaders: set[int] = set()
            team_id: int | None = checkin["initiative__team_id"]
            seen: set[int] = set()
            while team_id is not None and team_id not in seen:
                seen.add(team_id)
                team_leaders |= leaders.get(team_id, set())
                team_id = tree.get(team_id)
            days = next(
                (
                    (at - checkin["created_at"]).total_seconds() / 86400
                    for at, author in comments.get(checkin["initiative_id"], ())
                    if at > checkin["created_at"] and author in team_leaders
                ),
                None,
            )
            result.append((checkin, days))
    scope._cache["answers"] = result
    return result


def _blocker_compute(scope):
    answers = _blocker_answers(scope)
    if not answers:
        return None, False, "Not tracked yet: no check-in has reported a blocker."
    days = [d for _, d in answers if d is not None]
    open_ = len(answers) - len(days)
    return (
        _median(days),
        True,
        f"{len(days)} of {len(answers)} blockers answered by a leader; {open_} not yet.",
    )


def _blocker_rows(scope):
    return [
        EvidenceRow(
            "check-in",
            c["pk"],
            f"{c['initiative__title']} ({timezone.localtime(c['created_at']):%Y-%m-%d})",
            reverse("initiatives:initiative-detail", args=[c["initiative_id"]]),
            None,
            "not answered yet" if days is None else f"{days:.1f} days",
        )
        for c, days in _blocker_answers(scope)
    ]
