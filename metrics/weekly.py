"""The weekly digest e-mail (issue #16): once a week per person, at the day and hour they chose
in their time zone (``NotificationPreferences``), built by the hourly beat task
``metrics.weekly_digests_send``.

What it says, since the person's previous weekly digest (or the past 7 days):

* **what changed on what they own and lead** (objectives, initiatives and KPIs they own, or of
  the teams they lead): status changes, new risks (alerts opened), forecasts that turned (the
  chance of reaching the target crossed one half, either way);
* **what they owe**: their initiatives with a stale check-in, overdue milestones of their
  initiatives, their KPIs with a measurement due within the week or late.

Everything is read through ``strategy.access`` for the recipient: an item they may not see
(a private team's) is counted ("2 in parts you cannot see"), never named. Plain text and HTML,
with links to the app's pages. **Once per person and ISO week** (of their time zone): the
outbox row has ``dedupe_key`` ``weekly:<year>-W<week>``, unique per person, so reruns and
concurrent workers send nothing more; sending goes through the outbox (retries, the sweep).
A person with nothing to report gets no e-mail that week.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from datetime import datetime

from django.contrib.auth import get_user_model
from django.core.mail import EmailMessage
from django.db import IntegrityError, transaction
from django.db.models import Max, Q
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone

from initiatives.models import Initiative, Milestone
from metrics.checkins import checkin_silence_annotations
from metrics.explain import alerts_render
from metrics.models import KPI, Alert, GapScore, NotificationPreferences, OutboxMessage
from metrics.outbox import outbox_email_queue
from metrics.preferences import preferences_for, preferences_zone, site_link
from metrics.reminders import measurement_due
from strategy.access import Access, accesses_for
from strategy.models import Membership, Objective, StatusTransition
from strategy.quantities import date_text

# The chance of reaching the target (``forecast["probability_on_target"]``) that a forecast
# "turns" across.
TURN_AT = 0.5


@dataclass
class Section:
    """Named items the reader may see, and how many more they may not."""

    items: list[dict] = field(default_factory=list)
    hidden: int = 0

    def __bool__(self) -> bool:
        return bool(self.items) or self.hidden > 0


def weekly_key(*, prefs: NotificationPreferences, now: datetime) -> tuple[str, bool]:
    """(``dedupe_key`` of this week in the person's time zone, whether their digest's day and
    hour of this week has come)."""
    local = now.astimezone(preferences_zone(prefs))
    year, week, _ = local.isocalendar()
    monday = (local - dt.timedelta(days=local.weekday())).date()
    slot = datetime.combine(
        monday + dt.timedelta(days=prefs.digest_weekday),
        dt.time(prefs.digest_hour),
        tzinfo=local.tzinfo,
    )
    return f"weekly:{year}-W{week:02d}", local >= slot


def _named(access: Access, team_id: int | None) -> bool:
    """May the reader see (and so be told the name of) something of this team?"""
    if team_id is None:
        return access.sees_anything
    return access.can_view_team(team_id)


def _led(access: Access) -> list[int]:
    """The teams a person leads (a role carries down to the teams below)."""
    return sorted(team for team, role in access.roles.items() if role == Membership.Role.LEADER)


def _scope(person, access: Access) -> Q:
    """What a person owns or leads: owned by them, or of a team they lead."""
    return Q(owner=person) | Q(team_id__in=_led(access))


def weekly_content(*, person, access: Access, since: datetime, now: datetime) -> dict:
    """The sections of one person's weekly digest (see the module's docstring), each a
    ``Section``; links are absolute URLs. About ten queries."""
    today = timezone.localdate(now)
    scope = _scope(person, access)
    objectives = {
        o.pk: o for o in Objective.objects.filter(scope).only("id", "title", "team_id", "status")
    }
    initiatives = {
        i.pk: i for i in Initiative.objects.filter(scope).only("id", "title", "team_id", "status")
    }
    kpis = {
        k.pk: k
        for k in KPI.objects.filter(scope, is_active=True).only(
            "id", "key", "name", "team_id", "owner_id", "cadence_days", "baseline_date"
        )
    }

    changes = Section()
    transitions = StatusTransition.objects.filter(changed_at__gt=since, changed_at__lte=now).filter(
        Q(subject_type="objective", subject_id__in=list(objectives))
        | Q(subject_type="initiative", subject_id__in=list(initiatives))
    )
    labels = {
        "objective": dict(Objective.Status.choices),
        "initiative": dict(Initiative.Status.choices),
    }
    for move in transitions.order_by("changed_at", "id"):
        subject = (objectives if move.subject_type == "objective" else initiatives)[move.subject_id]
        if not _named(access, subject.team_id):
            changes.hidden += 1
            continue
        names = labels[move.subject_type]
        changes.items.append(
            {
                "text": f"{subject.title}: {names.get(move.from_status, move.from_status)} → "
                f"{names.get(move.to_status, move.to_status)}",
                "link": site_link(subject.get_absolute_url()),
            }
        )

    risks = Section()
    opened = list(
        Alert.objects.filter(opened_at__gt=since, opened_at__lte=now)
        .filter(_scope(person, access))
        .select_related("team")
        .order_by("-severity", "-opened_at", "-id")
    )
    seen = [a for a in opened if access.can_view_alert(a)]
    risks.hidden = len(opened) - len(seen)
    if seen:
        alerts_render(alerts=seen, access=access, html=False)
    for alert in seen:
        risks.items.append(
            {
                "text": f"{alert.get_severity_display().upper()}: {alert.text.title}",
                "link": site_link(alert.get_absolute_url()),
            }
        )

    turned = Section()
    latest = {
        s.subject_id: s
        for s in GapScore.objects.filter(
            subject_type="kpi", subject_id__in=list(kpis), is_latest=True
        ).only("subject_id", "forecast")
    }
    before: dict[int, GapScore] = {}
    for score in (
        GapScore.objects.filter(
            subject_type="kpi", subject_id__in=list(latest), computed_at__lte=since
        )
        .order_by("subject_id", "-computed_at", "-id")
        .only("subject_id", "forecast")
    ):
        before.setdefault(score.subject_id, score)
    for kpi_id, score in latest.items():
        now_p = _chance(score.forecast)
        then_p = _chance(before[kpi_id].forecast) if kpi_id in before else None
        if now_p is None or then_p is None or (now_p >= TURN_AT) == (then_p >= TURN_AT):
            continue
        kpi = kpis[kpi_id]
        if not _named(access, kpi.team_id):
            turned.hidden += 1
            continue
        way = "now likely to reach" if now_p >= TURN_AT else "now unlikely to reach"
        turned.items.append(
            {
                "text": f"{kpi.name}: {way} its target ({then_p:.0%} → {now_p:.0%})",
                "link": site_link(kpi.get_absolute_url()),
            }
        )

    stale = Section()
    silence = checkin_silence_annotations(today=today)
    for initiative in (
        Initiative.objects.filter(owner=person, status=Initiative.Status.ACTIVE)
        .annotate(  # by name, in their order (each may use the one before)
            checkin_days=silence["checkin_days"],
            checkin_days_late=silence["checkin_days_late"],
            checkin_stale=silence["checkin_stale"],
        )
        .filter(checkin_stale=True)
        .only("id", "title", "team_id")
        .order_by("-checkin_days", "id")
    ):
        if not _named(access, initiative.team_id):
            stale.hidden += 1
            continue
        stale.items.append(
            {
                "text": f"{initiative.title}: no check-in for {initiative.checkin_days} days",
                "link": site_link(initiative.get_absolute_url()),
            }
        )

    overdue = Section()
    for milestone in (
        Milestone.objects.filter(
            initiative__owner=person,
            completed_on__isnull=True,
            due_date__lt=today,
        )
        .exclude(initiative__status__in=Initiative.CLOSED_STATUSES)
        .select_related("initiative")
        .order_by("due_date", "id")
    ):
        if not _named(access, milestone.initiative.team_id):
            overdue.hidden += 1
            continue
        overdue.items.append(
            {
                "text": f"{milestone.title} ({milestone.initiative.title}): due "
                f"{date_text(milestone.due_date)}",
                "link": site_link(milestone.initiative.get_absolute_url()),
            }
        )

    due = Section()
    mine = KPI.objects.filter(owner=person, is_active=True).annotate(
        last_as_of=Max("measurements__as_of")
    )
    horizon = today + dt.timedelta(days=7)
    for kpi in mine.order_by("name", "id"):
        when = measurement_due(kpi=kpi, last_as_of=kpi.last_as_of)
        if when > horizon or kpi.target_date + dt.timedelta(days=kpi.cadence_days) < today:
            continue
        if not _named(access, kpi.team_id):
            due.hidden += 1
            continue
        state = "late since" if when < today else "due"
        due.items.append(
            {
                "text": f"{kpi.name}: a measurement {state} {date_text(when)}",
                "link": site_link(kpi.get_absolute_url()),
            }
        )
    return {
        "changes": changes,
        "risks": risks,
        "turned": turned,
        "stale": stale,
        "overdue": overdue,
        "due": due,
    }


def _chance(forecast: dict | None) -> float | None:
    if not forecast:
        return None
    value = forecast.get("probability_on_target")
    return float(value) if isinstance(value, int | float) else None


def weekly_digests_build(*, now: datetime | None = None) -> dict:
    """Write the weekly digest of everyone whose day and hour of this week has come (in their
    time zone) and who has none for this week yet. Returns counts: ``sent`` (written to the
    outbox), ``empty`` (nothing to report: no e-mail), ``already`` (this week's was written),
    ``not_yet`` (their hour has not come), ``off`` (weekly digest turned off)."""
    now = now or timezone.now()
    people = list(get_user_model().objects.filter(is_active=True).exclude(email="").order_by("id"))
    prefs = preferences_for(users=people)
    counts = {"sent": 0, "empty": 0, "already": 0, "not_yet": 0, "off": 0}
    due: list[tuple] = []
    for person in people:
        p = prefs[person.pk]
        if not p.weekly_digest:
            counts["off"] += 1
            continue
        key, come = weekly_key(prefs=p, now=now)
        if not come:
            counts["not_yet"] += 1
            continue
        due.append((person, key))
    if not due:
        return counts
    written = set(
        OutboxMessage.objects.filter(
            recipient_id__in=[p.pk for p, _ in due], dedupe_key__in={k for _, k in due}
        ).values_list("recipient_id", "dedupe_key")
    )
    last_sent = dict(
        OutboxMessage.objects.filter(
            kind=OutboxMessage.Kind.WEEKLY, recipient_id__in=[p.pk for p, _ in due]
        )
        .values_list("recipient_id")
        .annotate(last=Max("created_at"))
    )
    todo = [(p, k) for p, k in due if (p.pk, k) not in written]
    counts["already"] = len(due) - len(todo)
    accesses = accesses_for(users=[p for p, _ in todo])
    for person, key in todo:
        access = accesses[person.pk]
        if not access.sees_anything:
            counts["empty"] += 1
            continue
        since = last_sent.get(person.pk) or now - dt.timedelta(days=7)
        content = weekly_content(person=person, access=access, since=since, now=now)
        if not any(content.values()):
            counts["empty"] += 1
            continue
        try:
            with transaction.atomic():
                _weekly_queue(person=person, content=content, key=key, since=since, now=now)
        except IntegrityError:
            counts["already"] += 1  # a concurrent run wrote this week's first: it stands
            continue
        counts["sent"] += 1
    return counts


def _weekly_queue(*, person, content: dict, key: str, since: datetime, now: datetime):
    context = {
        "name": person.get_full_name() or person.get_username(),
        "since": timezone.localtime(since),
        "sections": [
            ("What changed on what you own and lead", None, None),
            ("Status changes", content["changes"], "change"),
            ("New risks (alerts opened)", content["risks"], "alert"),
            ("Forecasts that turned", content["turned"], "forecast"),
            ("What you owe", None, None),
            ("Check-ins overdue", content["stale"], "initiative"),
            ("Milestones overdue", content["overdue"], "milestone"),
            ("Measurements due this week or late", content["due"], "KPI"),
        ],
        "my_work": site_link(reverse("initiatives:my-work")),
        "alerts": site_link(reverse("metrics:alert-list")) + "?mine=on",
        "preferences": site_link(reverse("metrics:notification-preferences")),
    }
    total = sum(len(s.items) + s.hidden for s in content.values())
    message = EmailMessage(
        subject=f"[ExecSupport] Your week: {total} item{'s' if total != 1 else ''} "
        "on what you own and owe",
        body=render_to_string("metrics/email/weekly.txt", context),
        to=[person.email],
    )
    return outbox_email_queue(
        recipient=person,
        message=message,
        alert_ids=[],
        now=now,
        kind=OutboxMessage.Kind.WEEKLY,
        html_body=render_to_string("metrics/email/weekly.html", context),
        event="weekly",
        dedupe_key=key,
        link=context["my_work"],
    )
