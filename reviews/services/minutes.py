"""The minutes of a held meeting: sent to its participants some time after it started, and the
beat job's sending of the minutes due."""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING

from django.db import transaction
from django.utils import timezone

from reviews.models import ActionItem, Decision, Meeting
from strategy.access import (
    people_blind_to,
)
from strategy.quantities import date_text

if TYPE_CHECKING:
    pass


# The minutes of a held meeting leave this long after it started (time to record the last
# decisions), by the beat job; meetings older than MINUTES_WINDOW are left alone (a review
# created with past meetings does not flood its participants).
MINUTES_AFTER = dt.timedelta(hours=2)
MINUTES_WINDOW = dt.timedelta(days=7)


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
