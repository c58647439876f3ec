"""Notifications of "action on my work": telling people when someone else acts on what they own.

The rule, in one place
----------------------
**Whose work** (``work_people``): an objective's, a KPI's and an action item's owner; an
initiative's owner **and its contributors** (they deliver it: a check-in, a status change or a
comment by someone else concerns them as much as its owner). A change of owner also tells the
previous owner (the work was theirs until now).

**What is told** (each hooked in the one service that writes it, so pages, API, admin and
imports behave alike):

* a check-in on an initiative (``initiatives.services.checkin_append``);
* a creation with someone else as owner, a status change or an edit of an objective
  (``strategy.services.objective_save``), an initiative (``initiatives.services.initiative_save``)
  or a KPI's definition (``metrics.services.kpi_save``), with a target revision said as such;
* a measurement of a KPI: one value (``metrics.services.measurement_record``) or a batch
  (``metrics.services.measurements_ingest``: one message per owner per batch, never one per row);
* a comment on an objective, initiative or KPI (``activity.comments.comment_post``), except
  to the people it mentions, who are told of the mention instead (once, not twice);
* a comment on an alert: to the person it is routed to (``Alert.owner``: the subject's owner,
  else the owner above it, a leader or the strategy office), who acts on it;
* an action item given to someone by someone else, at its creation or when its owner changes
  (``reviews.services.action_item_create`` / ``action_item_save``);
* an action item closed (done, dropped, turned into an initiative) or reopened
  (``reviews.services.action_item_set_status`` / ``action_item_to_initiative``): its owner,
  and the person who gave it (``created_by``), who asked for it and waits on it;
* a milestone of an initiative created, completed or reopened, moved (due date), otherwise
  edited or deleted (``initiatives.services.milestone_save`` / ``milestone_set_completed`` /
  ``milestone_delete``; a plan import's milestones too), and spend recorded or corrected
  on it (``spend_record`` / ``spend_save``): the initiative's owner and contributors.

**Never** the person who acted (the actor); nobody when no person acted (``by`` None: a system
step); nobody who may not see the object (``metrics.preferences.notification_send`` asks
``strategy.access``). Each person is told per their ``work`` preference: at once (one e-mail
through the outbox), in the daily digest (a held outbox row), or not at all.

**Texts** are derived parts (``strategy.derived``): the object is a reference, rendered for
each recipient (and rendered again by the daily digest for the access they have then).

**Bulk**: inside ``work_batch()`` the events are collected and sent when the block ends, one
message per person for the whole block (a plan import: one message per owner per import; an
API batch of measurements is one batch by itself). Everything is written in the caller's
transaction (the outbox pattern): a rolled-back change tells nobody, a lost Celery message
loses nothing.
"""

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

# Fields whose change is bookkeeping that follows another change (a status's pause and
# completion dates, a check-in's progress, the engine's figures), not an edit to tell of.
QUIET_FIELDS = frozenset(
    {
        "progress",
        "last_checkin_at",
        "paused_days",
        "paused_since",
        "resumed_on",
        "spent",
        "completed_on",
        "version",
        "updated_at",
        "created_at",
    }
)


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


# --- the events, each built once -------------------------------------------------------------
def work_checkin_notify(*, checkin) -> None:
    """A check-in on an initiative, by its author."""
    initiative = checkin.initiative
    author = checkin.author
    if author is None:
        return
    text = part(
        "{rag}; progress {progress} %; confidence {confidence} %.\n{summary}{blockers}",
        rag=checkin.get_rag_display(),
        progress=checkin.progress,
        confidence=checkin.confidence,
        summary=checkin.summary,
        blockers=f"\nBlockers: {checkin.blockers}" if checkin.blockers else "",
    )
    work_notify(
        subject=initiative,
        actor=author,
        title=part("{who} checked in on {obj}", who=_actor_name(author), obj=_object(initiative)),
        text=text,
        dedupe_key=f"checkin:{checkin.pk}:work" if checkin.pk else "",
    )


def _field(instance: models.Model, name: str) -> models.Field:
    """A field of the model itself (the names told of here are never reverse relations)."""
    return cast(models.Field, instance._meta.get_field(name))


def _choice(instance: models.Model, name: str, value) -> str:
    field_ = _field(instance, name)
    labels = dict(field_.flatchoices) if field_.choices else {}
    if isinstance(value, bool):
        return "yes" if value else "no"
    return str(labels.get(value, value))


def work_edit_notify(
    *,
    instance: models.Model,
    by,
    created: bool,
    changed: list[str] | None,
    previous: dict,
    revised: dict | None = None,
    reason: str = "",
) -> None:
    """A creation (when its owner is someone else) or an edit of an objective, initiative or
    KPI definition, by ``by``. ``changed``: the names of the fields changed (``changed_fields``
    before the save; ``None``: unknown, said as an edit); ``previous``: their values before, by
    attribute name (for the status, the owner, ``is_active``); ``revised``: a KPI's plan
    before, when the save revised it (``reason``: why)."""
    if by is None:
        return
    who = _actor_name(by)
    obj = _object(instance)
    if created:
        work_notify(
            subject=instance,
            actor=by,
            title=part("{who} created {obj} and made it yours", who=who, obj=obj),
        )
        return
    names = [n for n in (changed or []) if n not in QUIET_FIELDS]
    if changed is not None and not names and revised is None:
        return
    lines: list[str] = []
    for name in ("status", "is_active"):
        attname = name
        if name in names and attname in previous:
            lines.append(
                f"{_field(instance, name).verbose_name.capitalize()}: "
                f"{_choice(instance, name, previous[attname])} → "
                f"{_choice(instance, name, getattr(instance, attname))}"
            )
    if revised is not None:
        new = {k: getattr(instance, k) for k in revised}
        moves = [
            f"{_field(instance, k).verbose_name} {revised[k]} → {_plain(new[k])}"
            for k in revised
            if _plain(new[k]) != str(revised[k])
        ]
        lines.append("Plan: " + "; ".join(moves) + (f". Why: {reason}" if reason else ""))
    others = [
        str(_field(instance, n).verbose_name)
        for n in names
        if n not in ("status", "is_active") and n not in (revised or {})
    ]
    if others:
        lines.append("Changed: " + ", ".join(others) + ".")
    extra: set[int] = set()
    old_owner = previous.get("owner_id")
    if "owner" in names:
        if old_owner:
            extra.add(old_owner)
        owner = getattr(instance, "owner", None)
        title = part(
            "{who} made {owner} the owner of {obj}",
            who=who,
            owner=_actor_name(owner) if owner is not None else "nobody",
            obj=obj,
        )
    elif "status" in names or "is_active" in names:
        title = part("{who} changed the status of {obj}", who=who, obj=obj)
    elif revised is not None:
        title = part("{who} revised the target of {obj}", who=who, obj=obj)
    else:
        title = part("{who} edited {obj}", who=who, obj=obj)
    work_notify(
        subject=instance,
        actor=by,
        title=title,
        text="\n".join(lines),
        people=work_people(instance) | extra,
    )


def _plain(value) -> str:
    return value.isoformat() if hasattr(value, "isoformat") else str(value)


def _value(value: float, unit: str) -> str:
    shown = f"{value:g}"
    return f"{shown} {unit}".strip() if unit and unit != "%" else f"{shown}{unit}"


def work_measurement_notify(*, kpi, by, as_of, value: float, old: float | None) -> None:
    """A value of a KPI recorded (``old`` None) or changed by ``by``."""
    if by is None:
        return
    who, obj = _actor_name(by), _object(kpi)
    if old is None:
        title = part("{who} recorded a value of {obj}", who=who, obj=obj)
        text = f"{_value(value, kpi.unit)} as of {as_of.isoformat()}."
    else:
        title = part("{who} changed a value of {obj}", who=who, obj=obj)
        text = f"{_value(old, kpi.unit)} → {_value(value, kpi.unit)} as of {as_of.isoformat()}."
    work_notify(subject=kpi, actor=by, title=title, text=text)


def work_measurements_notify(
    *, kpis: dict[int, models.Model], counts: dict[int, tuple[int, str]], by
) -> None:
    """A batch of values by ``by``: per KPI (``kpis`` by id) the number of new or changed values
    and the last date (``counts``); one message per owner for the whole batch."""
    if by is None:
        return
    who = _actor_name(by)
    events = []
    for kpi_id, (count, last) in counts.items():
        kpi = kpis[kpi_id]
        people = work_people(kpi) - {by.pk}
        if not people:
            continue
        events.append(
            WorkEvent(
                subject=kpi,
                actor_id=by.pk,
                people=people,
                title=part(
                    "{who} recorded {n} of {obj} (the last as of {last})",
                    who=who,
                    n=f"{count} value{'s' if count != 1 else ''}",
                    obj=_object(kpi),
                    last=last,
                ),
            )
        )
    # One batch, one message per owner, even over several of their KPIs.
    work_events_send(events=events)


def work_comment_notify(
    *, comment, subject: models.Model, author, mentioned: Iterable, link: str
) -> None:
    """A comment on an objective, initiative, KPI or alert; the people it mentions are told of
    the mention instead. An alert's comment goes to the person it is routed to (its
    ``owner``), its title rendered for them from its parts. ``link``: the comment's URL, from
    the comments module (``activity.comments.comment_link``), which calls this one."""
    kind = subject._meta.model_name
    if kind not in ("objective", "initiative", "kpi", "alert"):
        return
    who = _actor_name(author)
    people: set[int] | None = None
    if kind == "alert":
        title = part("{who} commented on the alert “{alert}”", who=who, alert=_alert(subject))
        owner_id = cast("Alert", subject).owner_id
        people = {owner_id} if owner_id is not None else set()  # no owner: nobody to tell
    else:
        title = part("{who} commented on {obj}", who=who, obj=_object(subject))
    work_notify(
        subject=subject,
        actor=author,
        title=title,
        text=comment.body,
        link=link,
        people=people,
        exclude={p.pk for p in mentioned},
        dedupe_key=f"comment:{comment.pk}:work",
    )


def _alert(alert) -> Parts:
    """An alert's title as parts (an alert raised before titles had parts: its plain title,
    which names no object)."""
    return alert.title_parts if alert.title_parts is not None else alert.title


def work_action_item_notify(*, item, by) -> None:
    """An action item given to its owner by ``by`` (created, or its owner changed)."""
    if by is None:
        return
    text = f"Due {item.due_date.isoformat()}." + (f"\n{item.note}" if item.note else "")
    work_notify(
        subject=item,
        actor=by,
        title=part("{who} gave you {obj}", who=_actor_name(by), obj=_object(item)),
        text=text,
        link=_action_link(item),
    )


def _action_link(item) -> str:
    return item.meeting.get_absolute_url() if item.meeting_id else reverse("initiatives:my-work")


_CLOSED_WORDS = {"done": "marked {obj} done", "dropped": "dropped {obj}", "open": "reopened {obj}"}


def work_action_item_status_notify(*, item, by, previous: str, initiative=None) -> None:
    """An action item's status changed from ``previous`` by ``by``: closed (done, dropped),
    reopened, or done by being turned into ``initiative``. Its owner is told, and the person
    who gave it (``created_by``), who asked for it: the one who acted is not."""
    if by is None or previous == item.status:
        return
    who, obj = _actor_name(by), _object(item)
    if initiative is not None:
        title = part("{who} turned {obj} into {ini}", who=who, obj=obj, ini=_object(initiative))
    else:
        words = _CLOSED_WORDS.get(item.status, "changed the status of {obj}")
        title = part("{who} " + words, who=who, obj=obj)
    text = (
        f"Status: {_choice(item, 'status', previous)} → {_choice(item, 'status', item.status)}; "
        f"due {item.due_date.isoformat()}." + (f"\n{item.note}" if item.note else "")
    )
    work_notify(
        subject=item,
        actor=by,
        title=title,
        text=text,
        link=_action_link(item),
        people=work_people(item) | {item.created_by_id},
    )


def _milestone(milestone) -> Parts:
    """A milestone as parts: a reference (its name when rendered); once deleted, its title
    kept, about its initiative (who may not see that sees no title)."""
    if milestone.pk is not None:
        return ref("milestone", milestone.pk)
    return part("milestone “{t}”", about=("initiative", milestone.initiative_id), t=milestone.title)


def work_milestone_notify(
    *, milestone, by, created: bool = False, deleted: bool = False, previous: dict | None = None
) -> None:
    """A milestone of an initiative created, deleted or changed by ``by``: ``previous``: the
    values before, by attribute name, of the fields changed (none: nothing to tell). A new
    completion date says completed, an emptied one reopened, a new due date moved."""
    if by is None:
        return
    # A milestone's completion is the news itself, not bookkeeping (unlike an initiative's).
    quiet = QUIET_FIELDS - {"completed_on"}
    previous = {k: v for k, v in (previous or {}).items() if k not in quiet}
    initiative = milestone.initiative
    who, obj, item = _actor_name(by), _object(initiative), _milestone(milestone)
    due = f"Due {milestone.due_date.isoformat()}."
    if created:
        title, text = part("{who} added {m} to {obj}", who=who, m=item, obj=obj), due
    elif deleted:
        title, text = part("{who} deleted {m} of {obj}", who=who, m=item, obj=obj), ""
    elif "completed_on" in previous and milestone.completed_on is not None:
        title = part("{who} completed {m} of {obj}", who=who, m=item, obj=obj)
        text = f"Completed on {milestone.completed_on.isoformat()}."
    elif "completed_on" in previous:
        title, text = part("{who} reopened {m} of {obj}", who=who, m=item, obj=obj), due
    elif "due_date" in previous:
        title = part("{who} moved {m} of {obj}", who=who, m=item, obj=obj)
        text = f"Due {_plain(previous['due_date'])} → {milestone.due_date.isoformat()}."
    elif previous:
        names = [str(milestone._meta.get_field(n).verbose_name) for n in sorted(previous)]
        title = part("{who} edited {m} of {obj}", who=who, m=item, obj=obj)
        text = "Changed: " + ", ".join(names) + "."
    else:
        return
    work_notify(subject=initiative, actor=by, title=title, text=text)


def work_spend_notify(*, entry, by, previous_amount=None) -> None:
    """Spend recorded on an initiative by ``by`` (``previous_amount`` None), or a spend entry
    corrected (its amount before, when it changed; else its other fields)."""
    if by is None:
        return
    initiative = entry.initiative
    who, obj = _actor_name(by), _object(initiative)
    said = f"{entry.amount:,.2f}"
    about = f" ({entry.category})" if entry.category else ""
    if previous_amount is None:
        title = part("{who} recorded spend of {amount} on {obj}", who=who, amount=said, obj=obj)
        text = f"{said} on {entry.date.isoformat()}{about}."
    else:
        title = part("{who} corrected spend on {obj}", who=who, obj=obj)
        was = "" if previous_amount == entry.amount else f"{previous_amount:,.2f} → "
        text = f"{was}{said} on {entry.date.isoformat()}{about}."
    if entry.note:
        text += f"\n{entry.note}"
    work_notify(subject=initiative, actor=by, title=title, text=text)
