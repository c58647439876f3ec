"""Notifications of opened alerts: one email per owner per batch (Django's email backend) and
one signed JSON POST per webhook per batch, each delivery logged and retried with backoff.

"Once" is enforced in the database: a batch first claims its alerts with a guarded update of
``notify_claimed_at``; an alert already claimed (by a concurrent run, or within
``GAP_ALERT_RENOTIFY_HOURS`` before it reopened) is not notified again.

E-mails go through the outbox (``metrics.outbox``): one row per message, written with the
claim, sent by ``metrics.tasks.outbox_send`` with retries; the sweep re-sends what is stuck.
Each owner's preferences (``metrics.preferences``) say per severity whether an alert is told at
once, held for the daily digest, or not e-mailed at all. The noise budget
(``NOTIFY_IMMEDIATE_PER_DAY``) caps the alerts a person is told of at once per
day, most severe first; the others are held (an outbox row of kind ``held``) for the daily
digest (``metrics.digest``). Webhooks are for machines: no budget applies to them.
``notified_at`` is set only when a message about the alert was actually sent (an e-mail left,
a webhook delivery was accepted).
"""

from __future__ import annotations

import logging
from collections import defaultdict
from datetime import datetime, timedelta

import urllib3
from django.conf import settings
from django.core.mail import EmailMessage
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone

from execsupport.outbound import OutboundRefused, outbound_post, outbound_target
from metrics.explain import alerts_render
from metrics.links import site_link as site_link
from metrics.models import ALERT_EVENTS, Alert, Delivery, OutboxMessage, Webhook, WebhookDelivery

# The outbox and the webhook signing live in their own modules (``metrics.outbox``,
# ``metrics.webhook_formats``); their names stay importable from here.
from metrics.outbox import OUTBOX_ATTACHMENTS as OUTBOX_ATTACHMENTS
from metrics.outbox import outbox_attempt as outbox_attempt
from metrics.outbox import outbox_backoff as outbox_backoff
from metrics.outbox import outbox_email_queue, outbox_hold
from metrics.outbox import outbox_stuck as outbox_stuck
from metrics.preferences import preferences_for
from metrics.queue import WEBHOOK_DELIVER, enqueue
from metrics.selectors import alert_subject_paths
from metrics.webhook_formats import SIGNATURE_HEADER as SIGNATURE_HEADER
from metrics.webhook_formats import webhook_body as webhook_body
from metrics.webhook_formats import webhook_request
from metrics.webhook_formats import webhook_signature as webhook_signature
from strategy.access import Access, accesses_for
from strategy.derived import derived_neutral
from strategy.selectors import team_subtree_ids

logger = logging.getLogger("metrics.notifications")

EVENT = "alerts.opened"


def alert_url(alert: Alert) -> str:
    """The alert's page (its log, acknowledge, snooze, resolve)."""
    return site_link(alert.get_absolute_url())


def alert_links(alerts: list[Alert]) -> dict[int, str]:
    """Alert id -> the absolute URL of the app's page of its subject (KPI, initiative,
    objective, or the overview filtered to its team or theme), or of the alerts inbox when that
    page is unknown (a milestone deleted since). Two queries at most
    (``alert_subject_paths``)."""
    paths = alert_subject_paths(alerts=alerts, kpi_by_key=False)
    inbox = reverse("metrics:alert-list")
    return {alert.id: site_link(paths[alert.id] or inbox) for alert in alerts}


def alerts_payload(*, alerts: list[Alert], access: Access | None) -> list[dict]:
    """The webhook JSON of each alert, its title and message rendered for ``access`` (the
    webhook's owner: objects that person may not see are "a part you cannot see"); None: the
    neutral form, which names no object. One query for the references of all of them."""
    if access is not None:
        alerts_render(alerts=alerts, access=access, html=False)
    links = alert_links(alerts)
    return [
        _alert_payload(alert, rendered=access is not None, subject_url=links[alert.id])
        for alert in alerts
    ]


def alert_payload(alert: Alert, *, access: Access | None) -> dict:
    """``alerts_payload`` of one alert."""
    return alerts_payload(alerts=[alert], access=access)[0]


def _alert_payload(alert: Alert, *, rendered: bool, subject_url: str) -> dict:
    return {
        "id": alert.id,
        "kind": alert.kind,
        "severity": alert.severity,
        "severity_label": alert.get_severity_display(),
        "title": alert.text.title if rendered else derived_neutral(_parts(alert, "title")),
        "message": alert.text.message if rendered else derived_neutral(_parts(alert, "message")),
        "subject_type": alert.subject_type,
        "subject_id": alert.subject_id,
        "team": alert.team.slug if alert.team else None,
        "owner": alert.owner.get_username() if alert.owner else None,
        "opened_at": alert.opened_at.isoformat(),
        "reopened_count": alert.reopened_count,
        "url": alert_url(alert),
        "subject_url": subject_url,
    }


def _parts(alert: Alert, name: str):
    parts = getattr(alert, f"{name}_parts")
    return getattr(alert, name) if parts is None else parts


def alerts_claim(*, alert_ids: list[int], now: datetime) -> list[Alert]:
    """Take these alerts on for notification now, unless taken on recently (a concurrent
    batch, or within the renotify window) or snoozed (until it wakes, or worsens: the engine
    then ends the snooze); return those claimed."""
    cutoff = now - timedelta(hours=settings.GAP_ALERT_RENOTIFY_HOURS)
    Alert.objects.filter(id__in=alert_ids, status__in=Alert.ACTIVE_STATUSES).filter(
        Q(notify_claimed_at__isnull=True) | Q(notify_claimed_at__lt=cutoff)
    ).exclude(snoozed_until__gt=now).update(notify_claimed_at=now)
    return list(
        Alert.objects.filter(id__in=alert_ids, notify_claimed_at=now)
        .select_related("owner", "team")
        .order_by("-severity", "id")
    )


def _email(owner, alerts: list[Alert], *, access: Access) -> EmailMessage:
    """One message to ``owner`` listing ``alerts``, their texts rendered for that person
    (``access``)."""
    alerts_render(alerts=alerts, access=access, html=False)
    if len(alerts) == 1:
        subject = f"[ExecSupport] {alerts[0].text.title}"
    else:
        subject = f"[ExecSupport] {len(alerts)} new alerts need your attention"
    links = alert_links(alerts)
    lines = [f"Hello {owner.get_full_name() or owner.get_username()},", ""]
    for alert in alerts:
        lines += [
            f"* {alert.get_severity_display().upper()}: {alert.text.title}",
            f"  {alert.text.message}",
            f"  The alert: {alert_url(alert)}",
            f"  What it is about: {links[alert.id]}",
            "",
        ]
    lines += [
        f"All your alerts: {site_link(reverse('metrics:alert-list'))}?mine=on",
        "",
        "You receive this because you are the person to act on these alerts.",
    ]
    return EmailMessage(
        subject=subject[:200],
        body="\n".join(lines),
        from_email=settings.DEFAULT_FROM_EMAIL,
        to=[owner.email],
    )


def webhook_alerts_choose(
    *, webhook: Webhook, alerts: list[Alert], access: Access, scope: set[int] | None
) -> list[Alert]:
    """The alerts this webhook receives: severe enough, of its alert kinds (none chosen:
    every kind), seen by its owner (``access``) and
    within its team scope (``scope``: the ids of its team and the teams below; None: any)."""
    return [
        a
        for a in alerts
        if a.severity >= webhook.min_severity
        and (not webhook.alert_kinds or a.kind in webhook.alert_kinds)
        and access.can_view_alert(a)
        and (scope is None or a.team_id in scope)
    ]


def webhook_scopes(*, webhooks: list[Webhook]) -> dict[int, set[int] | None]:
    """Webhook id -> the team ids of its scope (its team and every team below), None when it
    has no team scope. One query per distinct scoped team."""
    subtree: dict[int, set[int]] = {}
    for team_id in {w.team_id for w in webhooks if w.team_id is not None}:
        subtree[team_id] = team_subtree_ids(team_ids=[team_id])
    return {w.id: None if w.team_id is None else subtree[w.team_id] for w in webhooks}


def alerts_notify(*, alert_ids: list[int], now: datetime | None = None) -> dict:
    """Email each owner once (one message listing their new alerts) and queue one webhook
    delivery per active webhook. Returns counts.

    Nobody is told of an alert they may not see (``strategy.access``): an owner who cannot
    see the alert's team gets no e-mail about it (its team's leaders still see it in the
    inbox), and a webhook receives only what its owner may see within its team scope, its
    texts rendered for its owner."""
    now = now or timezone.now()
    alerts = alerts_claim(alert_ids=alert_ids, now=now)
    if not alerts:
        return {"alerts": 0, "emails": 0, "webhooks": 0}
    webhooks = list(
        Webhook.objects.filter(is_active=True, owner__isnull=False)
        .select_related("owner")
        .order_by("id")
    )
    accesses = accesses_for(
        users=[*{a.owner_id: a.owner for a in alerts if a.owner}.values()]
        + [w.owner for w in webhooks if w.owner]  # (all of them: they have an owner)
    )
    by_owner: dict[int, list[Alert]] = defaultdict(list)
    for alert in alerts:
        owner = alert.owner
        if (
            alert.owner_id
            and owner
            and owner.email
            and owner.is_active
            and accesses[alert.owner_id].can_view_alert(alert)
        ):
            by_owner[alert.owner_id].append(alert)
    for owner_id, items in by_owner.items():
        # One alert per root cause: a part's alert whose objective's root alert (which lists
        # it) goes to the same person in this batch is not told of twice.
        listed = {a.id for a in items}
        by_owner[owner_id] = [a for a in items if a.root_id not in listed]
    budgets = immediate_budgets(owner_ids=list(by_owner), now=now)
    prefs = preferences_for(users=[items[0].owner for items in by_owner.values() if items])
    queued, held = [], 0
    for owner_id, items in by_owner.items():
        # The person's preference per severity (``metrics.preferences``): off, the daily
        # digest, or at once; then the noise budget: the most severe first
        # (``alerts_claim``'s order), the rest held for the daily digest (``metrics.digest``).
        if not items:
            continue
        how = {a.id: prefs[owner_id].delivery_for(ALERT_EVENTS[a.severity]) for a in items}
        wanted = [a for a in items if how[a.id] == Delivery.IMMEDIATE]
        at_once = wanted[: budgets[owner_id]]
        over = {a.id for a in wanted[len(at_once) :]}
        later = [a for a in items if how[a.id] == Delivery.DIGEST or a.id in over]
        if at_once:
            queued.append(
                outbox_email_queue(
                    recipient=at_once[0].owner,
                    message=_email(at_once[0].owner, at_once, access=accesses[owner_id]),
                    alert_ids=[a.id for a in at_once],
                    now=now,
                )
            )
        if later:
            outbox_hold(recipient=later[0].owner, alert_ids=[a.id for a in later], now=now)
            held += len(later)
    deliveries = []
    scopes = webhook_scopes(webhooks=webhooks)
    for webhook in webhooks:
        if webhook.owner_id is None:  # (never: only webhooks with an owner were read)
            continue
        access = accesses[webhook.owner_id]
        chosen = webhook_alerts_choose(
            webhook=webhook, alerts=alerts, access=access, scope=scopes[webhook.id]
        )
        if not chosen:
            continue
        payload = {
            "event": EVENT,
            "sent_at": now.isoformat(),
            "alerts": alerts_payload(alerts=chosen, access=access),
        }
        deliveries.append(
            WebhookDelivery.objects.create(
                webhook=webhook,
                alert=chosen[0] if len(chosen) == 1 else None,
                event=EVENT,
                payload=payload,
            )
        )
    for delivery in deliveries:
        enqueue(WEBHOOK_DELIVER, delivery_id=delivery.id)
    return {
        "alerts": len(alerts),
        "emails": len(queued),
        "held": held,
        "webhooks": len(deliveries),
    }


def day_start(now: datetime) -> datetime:
    """The start of ``now``'s day in ``TIME_ZONE`` (the noise budget's day)."""
    local = timezone.localtime(now)
    return local.replace(hour=0, minute=0, second=0, microsecond=0)


def immediate_budgets(*, owner_ids: list[int], now: datetime) -> dict[int, int]:
    """Person id -> how many more alerts they may be told of at once today: the setting
    ``NOTIFY_IMMEDIATE_PER_DAY`` less the alerts in the immediate e-mails written for them
    since the start of the day (one query)."""
    limit = settings.NOTIFY_IMMEDIATE_PER_DAY
    told: dict[int, int] = defaultdict(int)
    if owner_ids:
        for recipient_id, alert_ids in OutboxMessage.objects.filter(
            recipient_id__in=owner_ids,
            kind=OutboxMessage.Kind.IMMEDIATE,
            created_at__gte=day_start(now),
            created_at__lte=now,
        ).values_list("recipient_id", "alert_ids"):
            told[recipient_id] += len(alert_ids or [])
    return {owner_id: max(0, limit - told[owner_id]) for owner_id in owner_ids}


def delivery_rescope(*, delivery: WebhookDelivery) -> bool:
    """Before each attempt, keep in the payload only the alerts the webhook's owner may still
    see within its team scope (owner, roles or scope may have changed since it was queued).
    False, and the delivery marked failed without being sent, when none is left."""
    webhook = delivery.webhook
    listed = delivery.payload.get("alerts") or []
    keep: set[int] = set()
    if listed and webhook.owner is not None:
        alerts = list(Alert.objects.filter(id__in=[a.get("id") for a in listed]).only("team_id"))
        access = accesses_for(users=[webhook.owner])[webhook.owner.pk]
        scope = webhook_scopes(webhooks=[webhook])[webhook.id]
        keep = {
            a.id
            for a in alerts
            if access.can_view_alert(a) and (scope is None or a.team_id in scope)
        }
    kept = [a for a in listed if a.get("id") in keep]
    if len(kept) == len(listed) and kept:
        return True
    if not kept:
        delivery.status = WebhookDelivery.Status.FAILED
        delivery.last_error = (
            "Not sent: the webhook's owner may not see these alerts (any more), or it has no owner."
        )
        delivery.save(update_fields=["status", "last_error"])
        return False
    delivery.payload = {**delivery.payload, "alerts": kept}
    delivery.save(update_fields=["payload"])
    return True


def webhook_attempt(*, delivery: WebhookDelivery) -> bool:
    """POST the delivery once; record the attempt. True when the receiver accepted it (2xx).
    Only what its owner may still see is sent (``delivery_rescope``)."""
    if not delivery_rescope(delivery=delivery):
        return False
    webhook = delivery.webhook
    now = timezone.now()
    # By the webhook's kind: signed JSON (Standard Webhooks), Slack Block Kit, Teams card.
    body, headers = webhook_request(
        webhook=webhook,
        payload=delivery.payload,
        delivery_id=delivery.id,
        event=delivery.event,
        now=now,
    )
    delivery.attempts += 1
    delivery.last_attempt_at = now
    code, error, final = _post(url=webhook.url, body=body, headers=headers)
    ok = code is not None and 200 <= code < 300
    delivery.response_code = code
    delivery.last_error = "" if ok else error[:2000]
    if ok:
        delivery.status, delivery.delivered_at = WebhookDelivery.Status.DELIVERED, now
        sent_ids = [a.get("id") for a in delivery.payload.get("alerts") or []]
        Alert.objects.filter(id__in=sent_ids).update(notified_at=now)
    elif final or delivery.attempts > settings.GAP_WEBHOOK_MAX_RETRIES:
        delivery.status = WebhookDelivery.Status.FAILED
    delivery.save(
        update_fields=[
            "attempts",
            "last_attempt_at",
            "response_code",
            "last_error",
            "status",
            "delivered_at",
        ]
    )
    return ok


def _post(*, url: str, body: bytes, headers: dict[str, str]) -> tuple[int | None, str, bool]:
    """(status code or None, error text, final): the URL is checked again before the request
    (``outbound_target``: its address may have changed since it was saved) and the request
    goes to the address checked. A refusal is retried like a network error (DNS may change);
    a redirect is final (not followed: the webhook's URL must be set to the final address)."""
    try:
        target = outbound_target(url)
    except OutboundRefused as exc:
        return None, f"Not sent: {exc}", False
    try:
        response = outbound_post(
            target=target, body=body, headers=headers, timeout=settings.GAP_WEBHOOK_TIMEOUT
        )
    except (urllib3.exceptions.HTTPError, OSError, ValueError) as exc:
        return None, f"{type(exc).__name__}: {exc}", False
    if 300 <= response.status < 400:
        return (
            response.status,
            f"HTTP {response.status}: redirects are not followed"
            + (f" (to {response.location})" if response.location else "")
            + "; set the webhook's URL to the final address.",
            True,
        )
    return response.status, "" if response.status < 300 else f"HTTP {response.status}", False


def webhook_backoff(*, attempts: int) -> int:
    """Seconds before the next attempt: exponential, capped below the broker's visibility
    timeout (a longer countdown would be redelivered early by Redis)."""
    cap = min(3000, settings.CELERY_BROKER_TRANSPORT_OPTIONS.get("visibility_timeout", 3600) - 60)
    return int(min(cap, settings.GAP_WEBHOOK_BACKOFF_SECONDS * 2 ** max(0, attempts - 1)))
