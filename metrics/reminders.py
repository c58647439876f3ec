"""Check-in and measurement reminders on each initiative's and KPI's cadence (issue #16).

Each owner is reminded **once before** the due day (from ``NOTIFY_REMIND_BEFORE_DAYS`` days
before it, up to the day itself) and **once when late** (from the day after), never more:

* the due day is computed from the last check-in (or measurement): posting one moves it on, so
  a reminder is **suppressed once the work is done** (nothing is due in the window any more);
* "once" is stored: each reminder is an outbox row with a ``dedupe_key`` naming the subject,
  its due day and the stage (``reminder:checkin:<id>:<due>:before``), unique per person
  (``outbox_once_per_person_key``), so a rerun, a second worker or a retried task sends nothing
  more;
* it goes through ``metrics.preferences.notification_send`` (kind "reminder"): the person's
  preference (at once, daily digest, off) and access are honoured; the outbox retries sending.

Initiatives are reminded while active and started (not proposed, on hold or closed); KPIs while
active and not past their target date by more than a cadence. Built by the beat task
``metrics.reminders_send`` once a day at ``NOTIFY_REMINDER_HOUR``.
"""

from __future__ import annotations

import datetime as dt
from datetime import datetime

from django.conf import settings
from django.db.models import Max
from django.utils import timezone

from initiatives.models import Initiative
from metrics.models import KPI, OutboxMessage
from metrics.preferences import notification_send


def reminder_stage(*, due: dt.date, today: dt.date, before_days: int) -> str | None:
    """ "before" from ``before_days`` days before ``due`` up to ``due``; "late" after ``due``;
    None earlier."""
    if today > due:
        return "late"
    if today >= due - dt.timedelta(days=before_days):
        return "before"
    return None


def checkin_due(*, initiative: Initiative) -> dt.date:
    """The day the next check-in is due: the cadence after the last check-in's local date,
    the start, or the return from hold, whichever is latest."""
    last = initiative.last_checkin_at
    since = timezone.localtime(last).date() if last else initiative.start_date
    if initiative.resumed_on and initiative.resumed_on > since:
        since = initiative.resumed_on
    return since + dt.timedelta(days=initiative.checkin_cadence_days)


def measurement_due(*, kpi: KPI, last_as_of: dt.date | None) -> dt.date:
    """The day the next measurement is due: the cadence after the last one's date (or the
    baseline date)."""
    return (last_as_of or kpi.baseline_date) + dt.timedelta(days=kpi.cadence_days)


def _candidates(*, today: dt.date) -> list[tuple]:
    """(owner, subject, kind of work, due day, stage) of everything with a reminder to send
    today (before looking at what was sent already). Two queries."""
    before = settings.NOTIFY_REMIND_BEFORE_DAYS
    found: list[tuple] = []
    initiatives = Initiative.objects.filter(
        status=Initiative.Status.ACTIVE,
        start_date__lte=today,
        owner__isnull=False,
        owner__is_active=True,
    ).select_related("owner")
    for initiative in initiatives:
        due = checkin_due(initiative=initiative)
        stage = reminder_stage(due=due, today=today, before_days=before)
        if stage:
            found.append((initiative.owner, initiative, "checkin", due, stage))
    kpis = (
        KPI.objects.filter(is_active=True, owner__isnull=False, owner__is_active=True)
        .select_related("owner")
        .annotate(last_as_of=Max("measurements__as_of"))
    )
    for kpi in kpis:
        if kpi.target_date + dt.timedelta(days=kpi.cadence_days) < today:
            continue
        due = measurement_due(kpi=kpi, last_as_of=kpi.last_as_of)
        stage = reminder_stage(due=due, today=today, before_days=before)
        if stage:
            found.append((kpi.owner, kpi, "measurement", due, stage))
    return found


def reminder_key(*, work: str, subject_id: int, due: dt.date, stage: str) -> str:
    """The ``dedupe_key`` of one reminder: once per person, subject, due day and stage."""
    return f"reminder:{work}:{subject_id}:{due.isoformat()}:{stage}"


def _texts(subject, work: str, due: dt.date, stage: str) -> tuple[str, str]:
    day = f"{due:%A} {due.day} {due:%B %Y}"
    if work == "checkin":
        name = subject.title
        if stage == "before":
            return (
                f"Check-in due {day}: {name}",
                f"A check-in on “{name}” is due {day} (every {subject.checkin_cadence_days} "
                "days). Post it on the initiative's page.",
            )
        return (
            f"Check-in overdue since {day}: {name}",
            f"The check-in on “{name}” was due {day}. Post it on the initiative's page.",
        )
    name = subject.name
    if stage == "before":
        return (
            f"Measurement due {day}: {name}",
            f"A new value of “{name}” is due {day} (every {subject.cadence_days} days). "
            "Record it on the KPI's page.",
        )
    return (
        f"Measurement overdue since {day}: {name}",
        f"A value of “{name}” was due {day}. Record it on the KPI's page.",
    )


def reminders_send(*, now: datetime | None = None) -> dict:
    """Send today's reminders (``TIME_ZONE`` days). Returns counts: ``due`` (reminders the
    cadences call for today), ``sent`` (written to the outbox now), ``already`` (written
    before: never again) and ``not_sent`` (the person turned reminders off, has no address,
    or may not see the subject)."""
    now = now or timezone.now()
    today = timezone.localdate(now)
    candidates = _candidates(today=today)
    keys = {
        reminder_key(work=work, subject_id=subject.pk, due=due, stage=stage): (owner, subject)
        for owner, subject, work, due, stage in candidates
    }
    sent_before = set(
        OutboxMessage.objects.filter(dedupe_key__in=list(keys)).values_list(
            "recipient_id", "dedupe_key"
        )
    )
    people: dict[int, object] = {}  # one user object per person: access computed once
    counts = {"due": len(candidates), "sent": 0, "already": 0, "not_sent": 0}
    for owner, subject, work, due, stage in candidates:
        key = reminder_key(work=work, subject_id=subject.pk, due=due, stage=stage)
        if (owner.pk, key) in sent_before:
            counts["already"] += 1
            continue
        person = people.setdefault(owner.pk, owner)
        title, text = _texts(subject, work, due, stage)
        row = notification_send(
            recipient=person,
            kind="reminder",
            subject_obj=subject,
            title=title,
            text=text,
            dedupe_key=key,
            now=now,
        )
        counts["sent" if row is not None else "not_sent"] += 1
    return counts
