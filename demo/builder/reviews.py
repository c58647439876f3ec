"""The demo's review history: a monthly business review of the strategy and a weekly team
review of Customer Success, with packs frozen during the demo's score history (each as of its
past day, open alerts read from the alert event log), decisions with their KPIs' movement, and
action items (some done, some overdue), so that the review pages show a real "what changed".

Deterministic: everything is chosen by the catalog's names and the days, never by database
ids; timestamps are the meetings' (not the clock's).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.contrib.auth import get_user_model
from django.utils import timezone

MEETING_TIME = dt.time(9, 0)


@dataclass(frozen=True)
class ReviewSpec:
    """One demo review with its past meetings (weeks before today)."""

    name: str
    scope: str
    team: str | None  # team slug of a team review
    cadence: str
    owner: str  # username
    participants: tuple[str, ...]
    weeks_back: tuple[int, ...]  # past meetings, in weeks before today (0: today)


REVIEWS = (
    ReviewSpec(
        "Monthly business review",
        "strategy",
        None,
        "monthly",
        "office",
        ("office", "catherine.shaw", "leader", "priya.raman", "daniel.okafor"),
        (12, 8, 4, 0),
    ),
    ReviewSpec(
        "Customer Success weekly",
        "team",
        "cs",
        "weekly",
        "hannah.kowalski",
        ("hannah.kowalski", "member", "lucy.adeyemi"),
        (3, 2, 1, 0),
    ),
)

# What each meeting decides about its most troubled KPIs, in turn.
DECISIONS = (
    "Put a named owner on the recovery of “{kpi}” and review it weekly until it is back on plan.",
    "Move budget from the lowest-priority initiative to the work behind “{kpi}”.",
    "Keep the course on “{kpi}”: the trend is right, the gap is timing.",
)
ACTIONS = (
    "Write the recovery plan for “{kpi}”",
    "Check the data source of “{kpi}” with its owner",
    "Bring a revised forecast for “{kpi}” to the next review",
)


def _at(day: dt.date, minutes: int = 0) -> dt.datetime:
    moment = dt.datetime.combine(day, MEETING_TIME) + dt.timedelta(minutes=minutes)
    return timezone.make_aware(moment)


def demo_reviews_create(*, today: dt.date, weeks: int) -> list:
    """The demo's reviews and their meetings (only those inside the ``weeks`` of score
    history, so each gets its pack, and today's). Returns the meetings, oldest first."""
    from reviews.models import Meeting, Review
    from strategy.models import Strategy, Team

    User = get_user_model()
    people = {u.username: u for u in User.objects.filter(username__in=_usernames())}
    strategy = Strategy.objects.order_by("id").first()
    if strategy is None:
        return []
    meetings = []
    for spec in REVIEWS:
        review = Review.objects.create(
            name=spec.name,
            strategy=strategy,
            scope=spec.scope,
            team=Team.objects.get(slug=spec.team) if spec.team else None,
            cadence=spec.cadence,
            owner=people.get(spec.owner),
        )
        review.participants.set([people[u] for u in spec.participants if u in people])
        for back in spec.weeks_back:
            if back > weeks:
                continue
            day = today - dt.timedelta(weeks=back)
            meetings.append(Meeting.objects.create(review=review, starts_at=_at(day)))
        # The next meeting, scheduled.
        Meeting.objects.create(
            review=review, starts_at=_at(today + dt.timedelta(days=review.every_days))
        )
    return sorted(meetings, key=lambda m: (m.starts_at, m.review.name))


def _usernames() -> set[str]:
    return {u for spec in REVIEWS for u in (spec.owner, *spec.participants)}


def demo_reviews_day(*, day: dt.date, today: dt.date, meetings: list) -> int:
    """Hold the meetings of ``day``: freeze each pack as of that day (``past``: alerts from the
    log) right after the day's scores were computed, mark it held, and record what it decided
    (decisions about its most troubled KPIs, with their state from the pack, and action
    items). Returns how many packs were frozen."""
    from reviews.models import Meeting
    from reviews.services import pack_freeze

    frozen = 0
    for meeting in meetings:
        if timezone.localdate(meeting.starts_at) != day:
            continue
        pack, created = pack_freeze(
            meeting=meeting, now=meeting.starts_at, past=day != today, notify=False
        )
        if not created:
            continue
        frozen += 1
        Meeting.objects.filter(pk=meeting.pk).update(status=Meeting.Status.HELD)
        _record(meeting=meeting, pack=pack, day=day, today=today)
    return frozen


def _troubled_kpis(pack) -> list[dict]:
    """The pack's KPIs, the furthest behind first (by score, then name: deterministic)."""
    kpis = [i for i in pack.data["items"] if i["k"] == "kpi" and i.get("score") is not None]
    return sorted(kpis, key=lambda i: (i["score"], i["name"]))


def _record(*, meeting, pack, day: dt.date, today: dt.date) -> None:
    from reviews.models import ActionItem, Decision

    User = get_user_model()
    review = meeting.review
    participants = list(review.participants.order_by("username"))
    if not participants:
        return
    kpis = _troubled_kpis(pack)[:2]
    for n, kpi in enumerate(kpis):
        index = (day.toordinal() // 7 + n) % len(DECISIONS)
        decision = Decision.objects.create(
            meeting=meeting,
            text=DECISIONS[index].format(kpi=kpi["name"]),
            decided_by=review.owner or participants[0],
            recorded_by=review.owner or participants[0],
            subjects=[{"type": "kpi", "id": kpi["id"], "team": kpi["team"]}],
            kpis_then={
                str(kpi["id"]): {
                    "value": kpi.get("value"),
                    "as_of": kpi.get("value_as_of"),
                    "status": kpi.get("status"),
                    "score": kpi.get("score"),
                }
            },
        )
        Decision.objects.filter(pk=decision.pk).update(
            created_at=_at(day, 30 + n), updated_at=_at(day, 30 + n)
        )
        owner = participants[(day.toordinal() + n) % len(participants)]
        if not owner.is_active:
            owner = User.objects.get(pk=participants[0].pk)
        due = day + dt.timedelta(days=10 + 7 * n)
        # The older ones were mostly done by the next meeting; one of each meeting slips.
        done = due < today and n == 0
        item = ActionItem.objects.create(
            title=ACTIONS[index].format(kpi=kpi["name"]),
            owner=owner,
            due_date=due,
            team_id=review.scope_team_id,
            meeting=meeting,
            decision=decision,
            created_by=review.owner,
            status=ActionItem.Status.DONE if done else ActionItem.Status.OPEN,
            closed_at=_at(due - dt.timedelta(days=2)) if done else None,
        )
        ActionItem.objects.filter(pk=item.pk).update(
            created_at=_at(day, 40 + n), updated_at=_at(day, 40 + n)
        )


def demo_reviews_finish(*, today: dt.date, meetings: list) -> int:
    """Today's meetings (after today's scores), then the overdue action items' alerts.
    Returns how many packs were frozen today."""
    from reviews.overdue import action_items_alerts_sync

    frozen = demo_reviews_day(day=today, today=today, meetings=meetings)
    action_items_alerts_sync(today=today, now=_at(today, 60), notify=False)
    return frozen
