"""Writes of the review cycle: reviews, meetings, packs, decisions and action items.

Every function takes keyword-only arguments, checks nothing about permissions (callers ask
``strategy.access``), and writes in one transaction.
"""

from __future__ import annotations

import datetime as dt
import gc
import json
import re
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any

import orjson
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import JSONField, TextField, Value
from django.db.models.functions import Cast
from django.urls import reverse
from django.utils import timezone

from metrics.work import work_action_item_notify, work_action_item_status_notify, work_batch
from reviews.freeze import pack_snapshot
from reviews.models import ActionItem, Decision, Meeting, Pack, Review
from reviews.overdue import action_items_alerts_sync
from reviews.selectors import agenda_keys, kpi_states
from strategy.access import (
    Access,
    assignee_changed,
    assignees_added_check,
    assignees_check,
    people_blind_to,
)
from strategy.quantities import date_text

if TYPE_CHECKING:
    from initiatives.models import Initiative

# ``OutboxMessage.subject_type`` of a pack e-mail that carries the pack as a PDF.
PACK_PDF_SUBJECT = "review_pack_pdf"

# The minutes of a held meeting leave this long after it started (time to record the last
# decisions), by the beat job; meetings older than MINUTES_WINDOW are left alone (a review
# created with past meetings does not flood its participants).
MINUTES_AFTER = dt.timedelta(hours=2)
MINUTES_WINDOW = dt.timedelta(days=7)

# The key of a change in ``reviews.diff``: "<kind>:<subject type>:<id>".
AGENDA_KEY = re.compile(r"[a-z_]{1,40}:[a-z_]{1,40}:[0-9A-Za-z_-]{1,40}")


SCOPE_FIELDS = ("scope", "strategy", "theme", "team", "objective")


def review_save(*, review: Review, participant_ids: Iterable[int] | None = None) -> Review:
    """Validate and save a review (and its participants when given). Its owner and its
    participants must be able to see its scope (``strategy.access.assignees_check``): a new
    owner or participant, or all of them when the scope changes (``ValidationError`` on
    ``owner`` or ``participants``)."""
    review.full_clean()
    scope_changed = assignee_changed(review, *SCOPE_FIELDS)
    if review.owner_id is not None and (scope_changed or assignee_changed(review, "owner")):
        assignees_check(field="owner", people=[review.owner], subject=review, role="run it")
    current = set(review.participants.values_list("pk", flat=True)) if review.pk else set()
    wanted = set(participant_ids) if participant_ids is not None else current
    assignees_added_check(
        field="participants", current=current, wanted=wanted, all_again=scope_changed,
        subject=review, role="take part in it",
    )  # fmt: skip
    with transaction.atomic():
        review.save()
        if participant_ids is not None:
            review.participants.set(list(participant_ids))
    return review


def review_delete(*, review: Review) -> None:
    """Delete a review with its meetings, packs, decisions (its action items stay, unlinked)."""
    with transaction.atomic():
        review.delete()


def meeting_schedule(*, review: Review, starts_at: dt.datetime) -> Meeting:
    """A new meeting of ``review`` at ``starts_at``."""
    return Meeting.objects.create(review=review, starts_at=starts_at)


def meeting_move(*, meeting: Meeting, starts_at: dt.datetime) -> Meeting:
    """Move a meeting not yet held; ``moved_from`` keeps its first date. ValidationError when
    the meeting was held or cancelled."""
    if meeting.status != Meeting.Status.SCHEDULED:
        raise ValidationError({"starts_at": "Only a scheduled meeting can be moved."})
    if meeting.moved_from is None:
        meeting.moved_from = meeting.starts_at
    meeting.starts_at = starts_at
    meeting.save()
    return meeting


def meeting_cancel(*, meeting: Meeting) -> Meeting:
    """Cancel a meeting not yet held (its pack, if frozen, stays). ValidationError otherwise."""
    if meeting.status == Meeting.Status.HELD:
        raise ValidationError({"status": "A meeting already held cannot be cancelled."})
    meeting.status = Meeting.Status.CANCELLED
    meeting.save()
    return meeting


def pack_freeze(
    *, meeting: Meeting, now: dt.datetime | None = None, notify: bool = False, past: bool = False
) -> tuple[Pack, bool]:
    """Freeze the pack of ``meeting`` (once): ``(pack, created)``.

    Idempotent: a meeting that has a pack keeps it (a unique constraint holds it even when two
    workers race). The snapshot is read and written in one transaction, so a failure leaves
    no pack at all. Check-ins since the previous pack of the review are kept. ``notify``: the
    participants get an e-mail with the link, queued in the same transaction (so once).
    ``past``: ``now`` is a past moment (``reviews.freeze.pack_snapshot``: alerts from the log).
    """
    now = now or timezone.now()
    existing = Pack.objects.filter(meeting=meeting).first()
    if existing is not None:
        return existing, False
    previous = (
        Pack.objects.filter(review_id=meeting.review_id, frozen_at__lt=now)
        .order_by("-frozen_at", "-id")
        .values_list("frozen_at", flat=True)
        .first()
    )
    try:
        with transaction.atomic():
            with gc_paused():
                data = pack_snapshot(review=meeting.review, now=now, since=previous, past=past)
                text = pack_json(data)
            pack = Pack.objects.create(
                meeting=meeting,
                review_id=meeting.review_id,
                frozen_at=now,
                as_of=dt.date.fromisoformat(data["as_of"]),
                data=Cast(Value(text, output_field=TextField()), JSONField()),
            )
            pack.data = data
            if notify:
                pack_notify(pack=pack, now=now)
    except IntegrityError:
        existing = Pack.objects.filter(meeting=meeting).first()
        if existing is None:
            raise
        return existing, False
    return pack, True


@contextmanager
def gc_paused() -> Iterator[None]:
    """Python's cycle collector paused for the block, restored after (as it was).

    A strategy pack builds some 100,000 dicts and lists (the JSON of its items), none in a
    reference cycle; that burst of allocations otherwise sets off collections that scan every
    object of the process (a full one costs tens of milliseconds in a web or Celery worker),
    collecting nothing. Reference counting still frees everything as usual; the few cycles
    made meanwhile (the ORM's query objects) are collected after."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


_ORJSON_STRICT = orjson.OPT_PASSTHROUGH_DATETIME | orjson.OPT_PASSTHROUGH_DATACLASS


def pack_json(data: dict) -> str:
    """``data`` as the JSON text a pack stores: orjson (a strategy pack is a megabyte of JSON,
    which the standard encoder of ``JSONField`` takes several times longer to write), the
    standard encoder for what orjson refuses (an integer past 64 bits, a non-text key, and a
    date or dataclass, which orjson would write but the standard encoder refuses), so the
    stored value is the same either way. Raises ``TypeError``/``ValueError`` as ``json.dumps``
    does for what JSON cannot hold (except NaN and infinities, which no JSON column takes:
    orjson writes them null)."""
    try:
        return orjson.dumps(data, option=_ORJSON_STRICT).decode()
    except orjson.JSONEncodeError:
        return json.dumps(data)


def meeting_mark_discussed(
    *, meeting: Meeting, key: str, discussed: bool, access: Access
) -> list[str]:
    """Mark one agenda item (a diff change's key, ``<kind>:<subject type>:<id>``) discussed or
    not; returns the keys now discussed. The row is locked so two participants marking at once
    both count. ``ValidationError`` on ``key`` for anything that is not the key of an agenda
    item ``access`` may see (``reviews.selectors.agenda_keys``); the same message whether a
    hidden item exists or not."""
    if not AGENDA_KEY.fullmatch(key) or key not in agenda_keys(meeting=meeting, access=access):
        raise ValidationError({"key": ValidationError("Not an item of this agenda.", "invalid")})
    with transaction.atomic():
        locked = Meeting.objects.select_for_update().get(pk=meeting.pk)
        keys = [k for k in locked.discussed if k != key]
        if discussed:
            keys.append(key)
        locked.discussed = keys
        locked.save(update_fields=["discussed", "updated_at"])
    meeting.discussed = keys
    return keys


def decision_record(
    *,
    meeting: Meeting,
    text: str,
    decided_by,
    recorded_by,
    kpi_ids: Iterable[int] = (),
    objective_ids: Iterable[int] = (),
    initiative_ids: Iterable[int] = (),
) -> Decision:
    """Record a decision with what it concerns and, for each concerned KPI, its latest value,
    status and score now (the evidence its movement is later compared with)."""
    from initiatives.models import Initiative
    from metrics.models import KPI
    from strategy.models import Objective

    kpi_ids, objective_ids, initiative_ids = (
        sorted(set(map(int, kpi_ids))),
        sorted(set(map(int, objective_ids))),
        sorted(set(map(int, initiative_ids))),
    )
    subjects: list[dict[str, Any]] = []
    for model, kind, ids in (
        (KPI, "kpi", kpi_ids),
        (Objective, "objective", objective_ids),
        (Initiative, "initiative", initiative_ids),
    ):
        if ids:
            subjects.extend(
                {"type": kind, "id": pk, "team": team_id}
                for pk, team_id in model.objects.filter(id__in_ids=ids).values_list("id", "team_id")
            )
    decision = Decision(
        meeting=meeting,
        text=text,
        decided_by=decided_by,
        recorded_by=recorded_by,
        subjects=subjects,
        kpis_then=kpi_states(kpi_ids=kpi_ids) if kpi_ids else {},
    )
    decision.full_clean()
    decision.save()
    return decision


def _owner_check(item: ActionItem) -> None:
    """A new owner of an action item (or a new team or meeting for it) must be able to see it
    (``strategy.access.assignees_check``): ``ValidationError`` on ``owner``."""
    if item.owner_id is not None and assignee_changed(item, "owner", "team", "meeting"):
        assignees_check(field="owner", people=[item.owner], subject=item, role="own it")


def action_item_create(
    *,
    title: str,
    owner,
    due_date: dt.date,
    created_by,
    note: str = "",
    team_id: int | None = None,
    meeting: Meeting | None = None,
    decision: Decision | None = None,
) -> ActionItem:
    """A new open action item (validated; ValidationError with field errors)."""
    item = ActionItem(
        title=title,
        owner=owner,
        due_date=due_date,
        note=note,
        team_id=team_id,
        meeting=meeting,
        decision=decision,
        created_by=created_by,
    )
    item.full_clean()
    _owner_check(item)
    with transaction.atomic():
        item.save()
        if item.due_date < timezone.localdate():
            action_items_alerts_sync(item_ids=[item.pk])
        work_action_item_notify(item=item, by=created_by)  # unless they gave it to themselves
    return item


def action_item_save(*, item: ActionItem, by=None) -> ActionItem:
    """Validate and save an edited action item (title, owner, due date, note); its overdue
    alert follows at once (opens, moves to the new owner, or resolves when the date moved).
    A new owner is told it was given to them by ``by`` (``metrics.work``; not when ``by`` is
    None or themselves)."""
    item.full_clean()
    _owner_check(item)
    new_owner = "owner" in (item.changed_fields() or [])
    with transaction.atomic():
        item.save()
        action_items_alerts_sync(item_ids=[item.pk])
        if new_owner:
            work_action_item_notify(item=item, by=by)
    return item


def action_item_set_status(
    *,
    item: ActionItem,
    status: str,
    note: str | None = None,
    now: dt.datetime | None = None,
    by=None,
) -> ActionItem:
    """Close (done, dropped) or reopen an action item; its overdue alert follows in the same
    transaction (``reviews.overdue``). A real change by ``by`` tells its owner and the person
    who gave it (``metrics.work``; not ``by`` themselves, nobody when ``by`` is None); a new
    owner set in the same save (an API PATCH of both) is told it was given to them, in the
    same message."""
    if status not in ActionItem.Status.values:
        raise ValidationError({"status": f"Choose one of {', '.join(ActionItem.Status.values)}."})
    previous = (getattr(item, "_loaded_values", None) or {}).get("status", item.status)
    item.status = status
    item.closed_at = None if status == ActionItem.Status.OPEN else (now or timezone.now())
    if note is not None:
        item.note = note
    item.full_clean()
    _owner_check(item)
    new_owner = "owner" in (item.changed_fields() or [])
    with transaction.atomic(), work_batch():
        item.save()
        # Done or dropped: its overdue alert resolves now; reopened past its date: it reopens.
        action_items_alerts_sync(item_ids=[item.pk], now=now)
        work_action_item_status_notify(item=item, by=by, previous=previous)
        if new_owner:
            work_action_item_notify(item=item, by=by)
    return item


def action_item_to_initiative(*, item: ActionItem, objective, by) -> Initiative:
    """Turn an action item into a proposed initiative under ``objective`` (its team, the item's
    owner, from today to the item's due date or a month later); the item is then done and
    points to it (its owner and the person who gave it are told, ``metrics.work``). One
    transaction."""
    from initiatives.models import Initiative

    today = timezone.localdate()
    due = item.due_date if item.due_date > today else today + dt.timedelta(days=30)
    with transaction.atomic():
        initiative = Initiative(
            objective=objective,
            team_id=objective.team_id,
            owner=item.owner,
            title=item.title,
            description=item.note,
            status=Initiative.Status.PROPOSED,
            start_date=today,
            due_date=due,
        )
        initiative.full_clean()
        initiative.save()
        previous = item.status
        item.initiative = initiative
        item.status = ActionItem.Status.DONE
        item.closed_at = timezone.now()
        item.save()
        action_items_alerts_sync(item_ids=[item.pk])
        work_action_item_status_notify(item=item, by=by, previous=previous, initiative=initiative)
    return initiative


def pack_notify(*, pack: Pack, now: dt.datetime) -> int:
    """E-mail each participant with an address a link to the pack (through the outbox, after
    commit); returns how many were queued. The e-mail names only the review and the date;
    the pack itself is filtered for each reader when opened. With ``REVIEW_PACK_PDF_EMAIL``
    each e-mail also links the pack's PDF (made by a worker, ``reviews.pdf``) and carries it,
    as its recipient may see it when it is sent (``reviews.pdf.pack_pdf_attachment``): while
    the PDF is being made the e-mail is tried again later (the outbox's attempts); the last
    attempt leaves with the links only, never with part of a PDF."""
    from django.conf import settings
    from django.core.mail import EmailMessage

    from metrics.outbox import outbox_email_queue

    review = pack.review
    url = settings.SITE_URL.rstrip("/") + pack.get_absolute_url()
    meeting_url = settings.SITE_URL.rstrip("/") + pack.meeting.get_absolute_url()
    pdf_url = settings.SITE_URL.rstrip("/") + reverse("reviews:pack-pdf", args=[pack.pk])
    with_pdf = settings.REVIEW_PACK_PDF_EMAIL
    queued = 0
    for person in review.participants.filter(is_active=True).exclude(email="").order_by("id"):
        message = EmailMessage(
            subject=f"Review pack ready: {review.name}, {date_text(pack.as_of)}",
            body=(
                f"The pack of “{review.name}” for the meeting of "
                f"{date_text(timezone.localtime(pack.meeting.starts_at), time=True)} is frozen.\n\n"
                f"Read it: {url}\nMeeting mode: {meeting_url}\n"
                + (
                    f"\nThe pack as a PDF, as you may see it: {pdf_url}\n"
                    "(attached when it is ready in time)\n"
                    if with_pdf
                    else ""
                )
            ),
            to=[person.email],
        )
        outbox_email_queue(
            recipient=person,
            message=message,
            alert_ids=[],
            now=now,
            # The PDF is attached when the e-mail is sent, for its recipient (reviews.pdf).
            subject_type=PACK_PDF_SUBJECT if with_pdf else "",
            subject_id=pack.pk if with_pdf else None,
            link=url,
        )
        queued += 1
    return queued


def packs_freeze_due(*, now: dt.datetime | None = None) -> list[int]:
    """Freeze the pack of every scheduled meeting that has started and has none, e-mailing
    its participants; the meeting is then held. Each meeting in its own transaction (one
    failing leaves the others done and itself without a pack, retried at the next run).
    Running it twice freezes nothing more. Returns the ids of the packs frozen."""
    now = now or timezone.now()
    frozen = []
    due = (
        Meeting.objects.filter(
            status=Meeting.Status.SCHEDULED, starts_at__lte=now, pack__isnull=True
        )
        .select_related("review", "review__strategy", "review__team", "review__objective")
        .order_by("starts_at", "id")
    )
    for meeting in due:
        with transaction.atomic():
            pack, created = pack_freeze(meeting=meeting, now=now, notify=True)
            if created:
                Meeting.objects.filter(pk=meeting.pk, status=Meeting.Status.SCHEDULED).update(
                    status=Meeting.Status.HELD, updated_at=now
                )
                frozen.append(pack.pk)
    return frozen


def meeting_minutes_send(*, meeting: Meeting, now: dt.datetime | None = None) -> int:
    """E-mail the meeting's minutes (its decisions and action items) to each participant with
    an address, through the outbox, once: a second call sends nothing (``minutes_sent_at``,
    set by a guarded update in the same transaction). Returns how many were queued.

    The minutes hold what participants recorded in the meeting (texts, owners' names), which
    every participant saw in meeting mode; nothing derived from the plan is in them. A
    participant who may not see the review's scope (``strategy.access.people_blind_to``) is
    not sent them (the meeting page does not show them the decisions' texts either)."""
    from django.conf import settings
    from django.core.mail import EmailMessage

    from metrics.outbox import outbox_email_queue
    from strategy.people import person_name

    now = now or timezone.now()
    with transaction.atomic():
        claimed = Meeting.objects.filter(pk=meeting.pk, minutes_sent_at__isnull=True).update(
            minutes_sent_at=now
        )
        if not claimed:
            return 0
        review = meeting.review
        lines = [
            f"Minutes of “{review.name}”, {date_text(timezone.localtime(meeting.starts_at))}",
            "",
        ]
        lines.append("Decisions:")
        for decision in meeting.decisions.order_by("id"):
            lines.append(f"- {decision.text}")
        lines += ["", "Action items:"]
        for item in meeting.action_items.select_related("owner").order_by("due_date", "id"):
            owner = person_name(
                first_name=item.owner.first_name,
                last_name=item.owner.last_name,
                username=item.owner.username,
            )
            lines.append(f"- {item.title} ({owner}, due {date_text(item.due_date)})")
        lines += ["", settings.SITE_URL.rstrip("/") + meeting.get_absolute_url()]
        queued = 0
        recipients = list(
            review.participants.filter(is_active=True).exclude(email="").order_by("id")
        )
        # A participant who may not see the review's scope (named before that was refused, or
        # the team made private since) reads no decision text on the meeting page: no minutes.
        blind = {p.pk for p in people_blind_to(people=recipients, subject=review)}
        for person in (p for p in recipients if p.pk not in blind):
            message = EmailMessage(
                subject=f"Minutes: {review.name}, {date_text(timezone.localtime(meeting.starts_at))}",
                body="\n".join(lines) + "\n",
                to=[person.email],
            )
            outbox_email_queue(recipient=person, message=message, alert_ids=[], now=now)
            queued += 1
    meeting.minutes_sent_at = now
    return queued


def meetings_minutes_due(*, now: dt.datetime | None = None) -> list[int]:
    """E-mail the minutes of each meeting held between ``MINUTES_WINDOW`` and
    ``MINUTES_AFTER`` ago that recorded a decision or an action item and whose minutes were
    not sent (``meeting_minutes_send``: once, even when two runs overlap). Returns the ids of
    the meetings whose minutes were queued."""
    from django.db.models import Exists, OuterRef, Q

    now = now or timezone.now()
    due = (
        Meeting.objects.filter(
            status=Meeting.Status.HELD,
            minutes_sent_at__isnull=True,
            starts_at__lte=now - MINUTES_AFTER,
            starts_at__gte=now - MINUTES_WINDOW,
        )
        .filter(
            Q(Exists(Decision.objects.filter(meeting=OuterRef("pk"))))
            | Q(Exists(ActionItem.objects.filter(meeting=OuterRef("pk"))))
        )
        .select_related("review")
        .order_by("starts_at", "id")
    )
    sent = []
    for meeting in due:
        if meeting_minutes_send(meeting=meeting, now=now):
            sent.append(meeting.pk)
    return sent
