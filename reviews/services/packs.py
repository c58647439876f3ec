"""Writes of packs: a meeting's pack frozen (the snapshot of ``reviews.freeze``, written as
JSON with the garbage collector paused), its participants told, and the beat job's freezing of
the packs due."""

from __future__ import annotations

import datetime as dt
import gc
import json
from collections.abc import Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING

import orjson
from django.db import IntegrityError, transaction
from django.db.models import JSONField, TextField, Value
from django.db.models.functions import Cast
from django.urls import reverse
from django.utils import timezone

from reviews.freeze import pack_snapshot
from reviews.models import Meeting, Pack
from strategy.quantities import date_text

if TYPE_CHECKING:
    pass


# ``OutboxMessage.subject_type`` of a pack e-mail that carries the pack as a PDF.
PACK_PDF_SUBJECT = "review_pack_pdf"


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
