"""Activity feeds, read from the tables that already record each event and rendered for their
reader (``strategy.access``):

* comments (``activity.Comment``), check-ins (``CheckIn``), status changes
  (``StatusTransition``), target revisions (``TargetRevision``), the alert log (``AlertEvent``,
  through ``metrics.selectors.alert_events_visible``) and changes of the definition (the
  history, ``activity.history.history_for``, whose sealed versions stay sealed);
* ``object_feed``: everything about one objective, initiative, KPI or alert;
* ``whats_new``: what happened lately on a person's work (what they own, contribute to or
  whose team they belong to) and where they were mentioned.

Each source is one query whatever the number of events (newest ``limit`` of each), plus one
query per subject type to name the subjects of a "What's new" feed.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.db.models import Q, QuerySet
from django.urls import reverse

from activity.comments import SUBJECT_MODELS, comments_visible_filter, subject_kind
from activity.history import history_for
from activity.models import Comment
from initiatives.models import CheckIn, Initiative
from metrics.models import KPI, Alert, AlertEvent, TargetRevision
from metrics.selectors import alert_events_visible
from strategy.access import Access
from strategy.models import Membership, Objective, StatusTransition
from strategy.people import person_name

FEED_LIMIT = 100


@dataclass
class FeedItem:
    """One event as its reader may see it. ``comment``: the comment itself (its item is
    rendered with its edit and delete controls)."""

    at: dt.datetime
    kind: str  # comment, checkin, status, target, alert, change
    who: str | None
    text: str
    subject: str = ""  # in "What's new": what it is about
    link: str = ""
    comment: Comment | None = None


def _name(user) -> str | None:
    if user is None:
        return None
    return person_name(
        first_name=user.first_name, last_name=user.last_name, username=user.get_username()
    )


def _newest(qs: QuerySet, field: str, limit: int) -> list:
    return list(qs.order_by(f"-{field}", "-id")[:limit])


def _checkin_item(c: CheckIn, subject: str = "", link: str = "") -> FeedItem:
    return FeedItem(
        c.created_at,
        "checkin",
        _name(c.author),
        f"Check-in: {c.get_rag_display()}, {c.progress} % done. {c.summary}",
        subject,
        link,
    )


def _status_item(t: StatusTransition, subject: str = "", link: str = "") -> FeedItem:
    text = (
        f"Status changed from {t.from_status.replace('_', ' ')} to {t.to_status.replace('_', ' ')}"
    )
    if t.note:
        text += f": {t.note}"
    return FeedItem(t.changed_at, "status", _name(t.changed_by), text + ".", subject, link)


def _target_item(r: TargetRevision, subject: str = "", link: str = "") -> FeedItem:
    changed = ", ".join(
        f"{k.replace('_', ' ')} {r.old_plan.get(k)} → {v}"
        for k, v in r.new_plan.items()
        if r.old_plan.get(k) != v
    )
    return FeedItem(
        r.changed_at,
        "target",
        _name(r.changed_by),
        f"Plan revised ({changed or 'no value changed'}): {r.reason}",
        subject,
        link,
    )


def _alert_item(e: AlertEvent, subject: str = "", link: str = "") -> FeedItem:
    return FeedItem(
        e.at,
        "alert",
        _name(e.by) if e.by_id else None,
        f"Alert {e.get_kind_display().lower()}: {e.alert.title} ({e.get_severity_display()})"
        + (f". {e.note}" if e.note else ""),
        subject,
        link or reverse("metrics:alert-detail", args=[e.alert_id]),
    )


def comment_item(c: Comment, subject: str = "", link: str = "") -> FeedItem:
    """A comment as a feed item (deleted: its trace)."""
    return FeedItem(c.created_at, "comment", _name(c.author), c.body, subject, link, comment=c)


def object_feed(*, subject, access: Access, limit: int = FEED_LIMIT) -> list[FeedItem]:
    """Everything about one subject (the caller checked the reader may see it), newest first,
    at most ``limit`` items."""
    kind = subject_kind(subject)
    items = [
        comment_item(c)
        for c in _newest(
            Comment.objects.filter(subject_type=kind, subject_id=subject.pk).select_related(
                "author", "deleted_by"
            ),
            "created_at",
            limit,
        )
    ]
    if kind == "initiative":
        items += [
            _checkin_item(c)
            for c in _newest(subject.checkins.select_related("author"), "created_at", limit)
        ]
    if kind in ("objective", "initiative"):
        items += [
            _status_item(t)
            for t in _newest(
                StatusTransition.objects.filter(
                    subject_type=kind, subject_id=subject.pk
                ).select_related("changed_by"),
                "changed_at",
                limit,
            )
        ]
    if kind == "kpi":
        items += [
            _target_item(r)
            for r in _newest(
                subject.target_revisions.select_related("changed_by"), "changed_at", limit
            )
        ]
    if kind == "alert":
        events = alert_events_visible(access=access, alert_ids=[subject.pk])
    else:
        events = alert_events_visible(access=access).filter(
            alert__subject_type=kind, alert__subject_id=subject.pk
        )
    items += [_alert_item(e) for e in _newest(events.select_related("alert"), "at", limit)]
    if kind != "alert":
        history = history_for(kind=kind, pk=subject.pk, access=access, limit=limit)
        for v in history.versions:
            if v.sealed:
                text = "Changed while in a team you cannot see."
            elif v.action == "changed":
                text = "Changed " + ", ".join(c.label for c in v.changes) if v.changes else ""
                text = text or "Saved without a change of its definition."
            else:
                text = v.action.capitalize() + "."
            if v.reason:
                text += f" ({v.reason})"
            items.append(FeedItem(v.at, "change", v.by, text))
    items.sort(key=lambda i: i.at, reverse=True)
    return items[:limit]


def _my_work(user, access: Access, model) -> QuerySet:
    """Ids of this model's objects that are ``user``'s work and that they may see: owned,
    contributed to (initiatives), or of a team they belong to directly."""
    teams = Membership.objects.filter(user_id=user.pk).values("team_id")
    mine = Q(owner_id=user.pk) | Q(team_id__in=teams)
    if model is Initiative:
        mine |= Q(contributors__id=user.pk)
    return access.scope(model.objects.filter(mine)).values("id")


def whats_new(
    *, user, access: Access, since: dt.datetime, limit: int = FEED_LIMIT
) -> list[FeedItem]:
    """What happened since ``since`` on the person's work (``_my_work``) and where they were
    mentioned, newest first, at most ``limit`` items; only what they may see. Their own
    actions are left out (they know)."""
    if not access.sees_anything:
        return []
    objectives = _my_work(user, access, Objective)
    initiatives = _my_work(user, access, Initiative)
    kpis = _my_work(user, access, KPI)
    visible_comments = Comment.objects.filter(comments_visible_filter(access))
    comments = _newest(
        visible_comments.filter(created_at__gte=since)
        .filter(
            Q(subject_type="objective", subject_id__in=objectives)
            | Q(subject_type="initiative", subject_id__in=initiatives)
            | Q(subject_type="kpi", subject_id__in=kpis)
            | Q(mentioned__id=user.pk)
        )
        .exclude(author_id=user.pk)
        .distinct()
        .select_related("author", "deleted_by"),
        "created_at",
        limit,
    )
    checkins = _newest(
        CheckIn.objects.filter(created_at__gte=since, initiative_id__in=initiatives)
        .exclude(author_id=user.pk)
        .select_related("author", "initiative"),
        "created_at",
        limit,
    )
    transitions = _newest(
        StatusTransition.objects.filter(changed_at__gte=since)
        .filter(
            Q(subject_type="objective", subject_id__in=objectives)
            | Q(subject_type="initiative", subject_id__in=initiatives)
        )
        .exclude(changed_by_id=user.pk)
        .select_related("changed_by"),
        "changed_at",
        limit,
    )
    revisions = _newest(
        TargetRevision.objects.filter(changed_at__gte=since, kpi_id__in=kpis)
        .exclude(changed_by_id=user.pk)
        .select_related("changed_by", "kpi"),
        "changed_at",
        limit,
    )
    events = _newest(
        alert_events_visible(access=access, since=since)
        .filter(
            Q(alert__owner_id=user.pk)
            | Q(alert__subject_type="objective", alert__subject_id__in=objectives)
            | Q(alert__subject_type="initiative", alert__subject_id__in=initiatives)
            | Q(alert__subject_type="kpi", alert__subject_id__in=kpis)
        )
        .select_related("alert"),
        "at",
        limit,
    )

    # Names of the subjects of comments and status changes: one query per type.
    wanted: dict[str, set[int]] = {}
    for c in comments:
        wanted.setdefault(c.subject_type, set()).add(c.subject_id)
    for t in transitions:
        wanted.setdefault(t.subject_type, set()).add(t.subject_id)
    named: dict[tuple[str, int], tuple[str, str]] = {}
    for kind, ids in wanted.items():
        model = SUBJECT_MODELS[kind]
        rows = model.objects.filter(pk__in=ids)
        rows = rows.filter(access.alert_filter()) if model is Alert else access.scope(rows)
        for obj in rows:
            label = f"alert “{obj.title}”" if isinstance(obj, Alert) else str(obj)
            named[(kind, obj.pk)] = (label, reverse("activity:activity", args=[kind, obj.pk]))

    items: list[FeedItem] = []
    for c in comments:
        if (c.subject_type, c.subject_id) in named:
            items.append(comment_item(c, *named[(c.subject_type, c.subject_id)]))
    for t in transitions:
        if (t.subject_type, t.subject_id) in named:
            items.append(_status_item(t, *named[(t.subject_type, t.subject_id)]))
    items += [
        _checkin_item(
            c,
            c.initiative.title,
            reverse("activity:activity", args=["initiative", c.initiative_id]),
        )
        for c in checkins
    ]
    items += [
        _target_item(r, r.kpi.name, reverse("activity:activity", args=["kpi", r.kpi_id]))
        for r in revisions
    ]
    items += [
        _alert_item(
            e, f"alert “{e.alert.title}”", reverse("metrics:alert-detail", args=[e.alert_id])
        )
        for e in events
    ]
    items.sort(key=lambda i: i.at, reverse=True)
    return items[:limit]
