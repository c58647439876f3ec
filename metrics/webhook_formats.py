"""What a webhook delivery sends, by the webhook's kind (``Webhook.Kind``).

* **generic**: the delivery's JSON as it is, signed twice: the existing
  ``X-ExecSupport-Signature`` (HMAC-SHA256 of the body, for existing receivers) and the
  Standard Webhooks headers ``webhook-id`` (the delivery's id, the same on every retry, so a
  receiver drops duplicates), ``webhook-timestamp`` (seconds; receivers reject old ones, which
  stops replays) and ``webhook-signature`` (``v1,`` + base64 HMAC-SHA256 of
  ``id.timestamp.body``). The Standard Webhooks secret is ``whsec_`` + base64 of the webhook's
  secret (``standard_secret``), shown once with it.
* **slack**: a Slack incoming-webhook message in Block Kit; each alert an attachment coloured by
  severity, with the severity written out too.
* **teams**: a Microsoft Teams incoming-webhook message holding an Adaptive Card (1.4); each
  alert a container styled by severity, with the severity written out too.

The delivery row keeps the generic JSON (rescoped before each attempt by
``metrics.notifications.delivery_rescope``); the chat formats are built from it at each attempt.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
from datetime import datetime

from django.urls import reverse

from metrics.links import site_link
from metrics.models import Webhook
from strategy.quantities import date_text

# Severity (``Alert.Severity``) -> the colour of each format; the severity is always also text.
SLACK_COLOURS = {3: "#b42318", 2: "#b54708", 1: "#175cd3"}
TEAMS_STYLES = {3: ("attention", "Attention"), 2: ("warning", "Warning"), 1: ("accent", "Accent")}
# Slack: at most 50 blocks a message, 3000 characters a section, 150 a header.
CHAT_ALERTS_MAX = 20
# The generic kind's own signature header (before Standard Webhooks), kept for its receivers.
SIGNATURE_HEADER = "X-ExecSupport-Signature"


def webhook_signature(*, secret: str, body: bytes) -> str:
    """``sha256=<hex HMAC-SHA256 of the raw body>``; receivers compare it in constant time."""
    return "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


def webhook_body(payload: dict) -> bytes:
    """The payload as compact JSON with sorted keys: the bytes sent and signed."""
    return json.dumps(payload, sort_keys=True, separators=(",", ":")).encode()


def standard_secret(secret: str) -> str:
    """The Standard Webhooks form of a webhook's secret: ``whsec_`` + base64 of its bytes."""
    return "whsec_" + base64.b64encode(secret.encode()).decode()


def standard_signature(*, secret: str, msg_id: str, timestamp: int, body: bytes) -> str:
    """``v1,<base64 HMAC-SHA256 of "msg_id.timestamp.body">`` keyed by the secret's bytes."""
    signed = f"{msg_id}.{timestamp}.".encode() + body
    digest = hmac.new(secret.encode(), signed, hashlib.sha256).digest()
    return "v1," + base64.b64encode(digest).decode()


def _heading(alerts: list[dict]) -> str:
    if len(alerts) == 1:
        return f"New {alerts[0].get('severity_label', 'alert').lower()} alert in ExecSupport"
    return f"{len(alerts)} new alerts in ExecSupport"


def _slack_escape(text: str) -> str:
    return (text or "").replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def _cut(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _opened(alert: dict) -> str:
    try:
        return date_text(datetime.fromisoformat(alert["opened_at"]), time=True)
    except (KeyError, TypeError, ValueError):
        return ""


def slack_message(payload: dict, *, inbox: str) -> dict:
    """A Slack incoming-webhook message (Block Kit) of a delivery's JSON: a header, then one
    attachment per alert (at most ``CHAT_ALERTS_MAX``) with its severity as text and colour,
    its title linked to its page, its message and what it is about."""
    alerts = payload.get("alerts") or []
    attachments = []
    for alert in alerts[:CHAT_ALERTS_MAX]:
        label = str(alert.get("severity_label") or "Alert").upper()
        title = _slack_escape(alert.get("title") or "")
        text = f"*{label}* · <{alert['url']}|{title}>\n{_slack_escape(alert.get('message') or '')}"
        context = [f"Team: {_slack_escape(alert['team'])}" if alert.get("team") else "No team"]
        if _opened(alert):
            context.append(f"opened {_opened(alert)}")
        if alert.get("subject_url"):
            context.append(f"<{alert['subject_url']}|What it is about>")
        attachments.append(
            {
                "color": SLACK_COLOURS.get(alert.get("severity"), "#5a6473"),
                "blocks": [
                    {"type": "section", "text": {"type": "mrkdwn", "text": _cut(text, 3000)}},
                    {
                        "type": "context",
                        "elements": [{"type": "mrkdwn", "text": _cut(" · ".join(context), 3000)}],
                    },
                ],
            }
        )
    blocks: list[dict] = [
        {"type": "header", "text": {"type": "plain_text", "text": _cut(_heading(alerts), 150)}}
    ]
    more = len(alerts) - CHAT_ALERTS_MAX
    if more > 0:
        blocks.append(
            {
                "type": "section",
                "text": {"type": "mrkdwn", "text": f"And {more} more: <{inbox}|all alerts>"},
            }
        )
    fallback = _heading(alerts)
    if alerts:
        first = alerts[0]
        fallback += f": {str(first.get('severity_label', '')).upper()} {first.get('title', '')}"
    return {"text": _cut(fallback, 3000), "blocks": blocks, "attachments": attachments}


def teams_message(payload: dict, *, inbox: str) -> dict:
    """A Microsoft Teams incoming-webhook message: one Adaptive Card (version 1.4) with a
    heading, one container per alert (at most ``CHAT_ALERTS_MAX``) styled by severity with the
    severity written out, its title, message and facts, and a button to the alerts."""
    alerts = payload.get("alerts") or []
    body: list[dict] = [
        {
            "type": "TextBlock",
            "text": _heading(alerts),
            "weight": "Bolder",
            "size": "Medium",
            "wrap": True,
        }
    ]
    for alert in alerts[:CHAT_ALERTS_MAX]:
        style, colour = TEAMS_STYLES.get(alert.get("severity"), ("default", "Default"))
        facts = [{"title": "Team", "value": alert.get("team") or "No team"}]
        if _opened(alert):
            facts.append({"title": "Opened", "value": _opened(alert)})
        body.append(
            {
                "type": "Container",
                "style": style,
                "separator": True,
                "items": [
                    {
                        "type": "TextBlock",
                        "text": str(alert.get("severity_label") or "Alert").upper(),
                        "color": colour,
                        "weight": "Bolder",
                        "wrap": True,
                    },
                    {
                        "type": "TextBlock",
                        "text": alert.get("title") or "",
                        "weight": "Bolder",
                        "wrap": True,
                    },
                    {"type": "TextBlock", "text": alert.get("message") or "", "wrap": True},
                    {"type": "FactSet", "facts": facts},
                ],
                "selectAction": {"type": "Action.OpenUrl", "url": alert["url"]},
            }
        )
    more = len(alerts) - CHAT_ALERTS_MAX
    if more > 0:
        body.append({"type": "TextBlock", "text": f"And {more} more.", "wrap": True})
    card = {
        "$schema": "http://adaptivecards.io/schemas/adaptive-card.json",
        "type": "AdaptiveCard",
        "version": "1.4",
        "body": body,
        "actions": [{"type": "Action.OpenUrl", "title": "Open the alerts", "url": inbox}],
    }
    return {
        "type": "message",
        "attachments": [
            {
                "contentType": "application/vnd.microsoft.card.adaptive",
                "contentUrl": None,
                "content": card,
            }
        ],
    }


def webhook_request(
    *, webhook: Webhook, payload: dict, delivery_id: int, event: str, now: datetime
) -> tuple[bytes, dict[str, str]]:
    """(body, headers) of one attempt of a delivery to ``webhook``, by its kind."""
    headers = {"Content-Type": "application/json", "User-Agent": "ExecSupport-Webhook/1"}
    inbox = site_link(reverse("metrics:alert-list"))
    if webhook.kind == Webhook.Kind.SLACK:
        body = json.dumps(slack_message(payload, inbox=inbox), separators=(",", ":")).encode()
        return body, headers
    if webhook.kind == Webhook.Kind.TEAMS:
        body = json.dumps(teams_message(payload, inbox=inbox), separators=(",", ":")).encode()
        return body, headers
    body = webhook_body(payload)
    msg_id = f"delivery_{delivery_id}"
    timestamp = int(now.timestamp())
    headers.update(
        {
            SIGNATURE_HEADER: webhook_signature(secret=webhook.secret, body=body),
            "X-ExecSupport-Event": event,
            "X-ExecSupport-Delivery": str(delivery_id),
            "webhook-id": msg_id,
            "webhook-timestamp": str(timestamp),
            "webhook-signature": standard_signature(
                secret=webhook.secret, msg_id=msg_id, timestamp=timestamp, body=body
            ),
        }
    )
    return body, headers
