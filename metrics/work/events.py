"""The events of action on someone's work, each built once in the one service that writes it:
check-ins, edits and status changes, measurements, comments, action items, milestones, spend."""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING, cast

from django.db import models
from django.urls import reverse

from metrics.work.delivery import (
    WorkEvent,
    _actor_name,
    _object,
    work_events_send,
    work_notify,
    work_people,
)
from strategy.derived import Parts, part, ref

if TYPE_CHECKING:
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
