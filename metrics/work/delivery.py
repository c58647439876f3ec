"""The delivery of work events: whose work a subject is (``work_people``), the event
(``WorkEvent``), the batch that collects them (``work_batch``), and their sending, one message
per person through the outbox or the digest."""

from __future__ import annotations

import contextvars
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, cast

from django.contrib.auth import get_user_model
from django.db import models
from django.urls import reverse

from strategy.derived import Parts, items, part, ref
from strategy.people import person_name

if TYPE_CHECKING:
    from initiatives.models import Initiative
    from metrics.models import Alert


@dataclass
class WorkEvent:
    """One action on someone's work: ``subject`` (an objective, initiative, KPI or action item),
    who acted (``actor_id``), the people to tell (user ids, before the actor is removed), the
    title and text as derived parts, and the page (``link``; default: the subject's)."""

    subject: models.Model
    actor_id: int
    people: set[int]
    title: Parts
    text: Parts = ""
    link: str = ""
    dedupe_key: str = ""
    recipients: list[int] = field(default_factory=list)


_BATCH: contextvars.ContextVar[list[WorkEvent] | None] = contextvars.ContextVar(
    "work_batch", default=None
)


def subject_key(subject: models.Model) -> tuple[str, int]:
    """The ``strategy.derived`` reference type and id of a subject of work (an alert: its own
    subject's, which says who may see it)."""
    name = cast(str, subject._meta.model_name)  # a concrete model's: never None
    if name == "alert":
        alert = cast("Alert", subject)
        return (alert.subject_type, alert.subject_id)
    return ("action" if name == "actionitem" else name, subject.pk)


def work_people(subject: models.Model) -> set[int]:
    """The ids of the people whose work ``subject`` is (see the module docstring): its owner,
    and an initiative's contributors too (one query for them, none when they were
    prefetched)."""
    owner_id = getattr(subject, "owner_id", None)
    people = {owner_id} if owner_id else set()
    if subject._meta.model_name == "initiative" and subject.pk is not None:
        people.update(c.pk for c in cast("Initiative", subject).contributors.all())
    return people


def _actor_name(actor) -> str:
    return person_name(
        first_name=actor.first_name, last_name=actor.last_name, username=actor.get_username()
    )


def _object(subject: models.Model) -> dict:
    return ref(*subject_key(subject))


def _line(event: WorkEvent) -> dict:
    """An event as one line of a summary, about its subject (a reader who may not see it
    counts it among "parts you cannot see")."""
    return part("{t}", about=subject_key(event.subject), t=event.title)


@contextmanager
def work_batch() -> Iterator[None]:
    """Collect the events told inside and, when the block ends without an exception, tell each
    person once for all of them (``work_events_send``). Use it inside the caller's
    transaction; nested, the outer batch collects everything."""
    if _BATCH.get() is not None:
        yield
        return
    collected: list[WorkEvent] = []  # work_notify appends to it meanwhile
    token = _BATCH.set(collected)
    try:
        yield
    finally:
        _BATCH.reset(token)
    _deliver(collected)


def work_notify(
    *,
    subject: models.Model,
    actor,
    title: Parts,
    text: Parts = "",
    link: str = "",
    people: Iterable[int] | None = None,
    exclude: Iterable[int] = (),
    dedupe_key: str = "",
) -> None:
    """Tell the people whose work ``subject`` is (``work_people``, or ``people``) of an action
    by ``actor`` (``None``: no person acted, nobody is told), except the actor and ``exclude``.
    ``title``/``text``: derived parts (``strategy.derived``) rendered for each recipient. Inside
    ``work_batch()`` the event waits for the end of the batch."""
    if actor is None or subject is None:
        return
    wanted = set(work_people(subject) if people is None else people)
    wanted -= {actor.pk, None, *exclude}
    if not wanted:
        return
    work_events_send(
        events=[
            WorkEvent(
                subject=subject,
                actor_id=actor.pk,
                people=wanted,
                title=title,
                text=text,
                link=link,
                dedupe_key=dedupe_key,
            )
        ]
    )


def work_events_send(*, events: list[WorkEvent]) -> None:
    """Tell each person of these events in one message (or keep them for the enclosing
    ``work_batch``)."""
    events = [e for e in events if e.people - {e.actor_id}]
    if not events:
        return
    batch = _BATCH.get()
    if batch is not None:
        batch.extend(events)
        return
    _deliver(events)


def _deliver(events: list[WorkEvent]) -> None:
    """One message per person: the event itself when there is one they may see, else a
    summary listing them (its subject: the first they may see; its link: My work)."""
    if not events:
        return
    from metrics.models import NotificationEvent
    from metrics.preferences import notification_send, subject_visible
    from strategy.access import access_for, accesses_for

    by_person: dict[int, list[WorkEvent]] = {}
    for event in events:
        for person_id in sorted(event.people - {event.actor_id}):
            by_person.setdefault(person_id, []).append(event)
    User = get_user_model()
    people = {
        p.pk: p
        for p in User.objects.filter(pk__in=list(by_person), is_active=True).exclude(email="")
    }
    actors: dict[int, str] = {}
    if len(events) > 1:
        accesses_for(users=people.values())  # cached on each person: three queries for all
        actors = {
            a.pk: _actor_name(a) for a in User.objects.filter(pk__in={e.actor_id for e in events})
        }
    elif len(people) > 1:
        accesses_for(users=people.values())
    for person_id, mine in by_person.items():
        person = people.get(person_id)
        if person is None:
            continue  # inactive, or no address to tell
        if len(mine) > 1:
            access = access_for(person)
            mine = [e for e in mine if subject_visible(access=access, subject_obj=e.subject)]
        if len(mine) == 1:
            event = mine[0]
            notification_send(
                recipient=person,
                kind=NotificationEvent.WORK,
                subject_obj=event.subject,
                title=event.title,
                text=event.text,
                link=event.link,
                dedupe_key=event.dedupe_key,
            )
        elif mine:
            by = {actors.get(e.actor_id) for e in mine}
            title = part("{n} changes to your work", n=len(mine))
            if len(by) == 1 and None not in by:
                title = part("{who} made {n} changes to your work", who=by.pop(), n=len(mine))
            notification_send(
                recipient=person,
                kind=NotificationEvent.WORK,
                subject_obj=mine[0].subject,
                title=title,
                text=items([_line(e) for e in mine], sep="\n", last="\n"),
                link=reverse("initiatives:my-work"),
            )
