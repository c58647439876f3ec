"""Webhook kinds (issue #16): generic JSON signed by the Standard Webhooks convention (verified
with the ``standardwebhooks`` reference library) while keeping X-ExecSupport-Signature; Slack
incoming webhooks in Block Kit (parsed and checked by Slack's own SDK); Microsoft Teams incoming
webhooks holding an Adaptive Card (checked against the card's documented structure). Chat
messages carry each alert's severity as text as well as colour."""

from __future__ import annotations

import hashlib
import hmac
import json

import jsonschema
import pytest
from slack_sdk.models.attachments import BlockAttachment
from slack_sdk.models.blocks import Block
from standardwebhooks.webhooks import Webhook as StandardWebhook
from standardwebhooks.webhooks import WebhookVerificationError

from metrics.models import Alert, Webhook, WebhookDelivery
from metrics.notifications import SIGNATURE_HEADER, alerts_notify
from metrics.tasks import webhook_deliver
from metrics.webhook_formats import (
    CHAT_ALERTS_MAX,
    slack_message,
    standard_secret,
    teams_message,
)
from tests.factories import (
    AlertFactory,
    MembershipFactory,
    TeamFactory,
    UserFactory,
    WebhookFactory,
)
from tests.metrics.adaptive_card_schema import TEAMS_MESSAGE_SCHEMA
from tests.metrics.test_notifications import Receiver

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _local_receivers_allowed(settings) -> None:
    settings.WEBHOOK_ALLOW_HTTP = True
    settings.WEBHOOK_ALLOWED_NETWORKS = ["127.0.0.1/32"]


def _alerts(team, n=2):
    severities = [Alert.Severity.CRITICAL, Alert.Severity.WARNING, Alert.Severity.INFO]
    return [
        AlertFactory(
            team=team,
            severity=severities[i % 3],
            title=f"Win rate <below> target & falling {i}",
            message=f"Down 4 points in {i + 2} weeks.",
        )
        for i in range(n)
    ]


def _deliver(kind, team, n=2):
    with Receiver(failures=1) as receiver:
        webhook = WebhookFactory(url=receiver.url, kind=kind, min_severity=1)
        alerts = _alerts(team, n)
        alerts_notify(alert_ids=[a.id for a in alerts])  # eager: first attempt fails (500)
        delivery = WebhookDelivery.objects.get(webhook=webhook)
        assert webhook_deliver.apply(kwargs={"delivery_id": delivery.id}).get() == "delivered"
    return webhook, alerts, receiver.requests


# --- generic: Standard Webhooks -------------------------------------------------------------
def test_generic_webhook_verifies_with_the_standard_webhooks_library(team):
    webhook, alerts, requests = _deliver(Webhook.Kind.GENERIC, team)
    (first_headers, _first_body), (headers, body) = requests
    plain = {k.lower(): v for k, v in headers.items()}
    verified = StandardWebhook(standard_secret(webhook.secret)).verify(body, plain)
    assert {a["id"] for a in verified["alerts"]} == {a.id for a in alerts}
    # The same message id on a retry: receivers drop duplicates.
    assert first_headers["webhook-id"] == headers["webhook-id"]
    # Today's signature header still works for existing receivers.
    expected = "sha256=" + hmac.new(webhook.secret.encode(), body, hashlib.sha256).hexdigest()
    assert headers[SIGNATURE_HEADER] == expected


def test_a_tampered_body_or_a_replayed_old_message_is_rejected(team):
    webhook, _, requests = _deliver(Webhook.Kind.GENERIC, team)
    headers, body = requests[-1]
    plain = {k.lower(): v for k, v in headers.items()}
    receiver = StandardWebhook(standard_secret(webhook.secret))
    with pytest.raises(WebhookVerificationError):
        receiver.verify(body.replace(b"Down", b"Up"), plain)
    old = {**plain, "webhook-timestamp": str(int(plain["webhook-timestamp"]) - 3600)}
    with pytest.raises(WebhookVerificationError):
        receiver.verify(body, old)
    with pytest.raises(WebhookVerificationError):
        StandardWebhook(standard_secret("another")).verify(body, plain)


def test_the_api_returns_the_standard_secret_once(admin):
    from rest_framework.test import APIClient

    api = APIClient()
    api.force_authenticate(admin)
    created = api.post(
        "/api/v1/webhooks/",
        {"name": "Ops", "url": "https://93.184.215.14/h", "kind": "teams"},
        format="json",
    ).json()
    assert created["kind"] == "teams"
    assert created["standard_secret"] == standard_secret(created["secret"])
    again = api.get(f"/api/v1/webhooks/{created['id']}/").json()
    assert again["secret"] is None
    assert again["standard_secret"] is None


# --- Slack: Block Kit -------------------------------------------------------------------------
def _slack_valid(message: dict) -> None:
    """Parse every block and attachment with Slack's SDK, which checks the limits (lengths,
    counts) and types; parsing back gives the same JSON (no unknown field dropped)."""
    assert isinstance(message["text"], str)
    assert message["text"]
    assert len(message["blocks"]) <= 50
    for raw in message["blocks"]:
        block = Block.parse(raw)
        assert block is not None, raw
        block.validate_json()
        assert block.to_dict() == raw
    for raw in message["attachments"]:
        blocks = [Block.parse(b) for b in raw["blocks"]]
        attachment = BlockAttachment(blocks=blocks, color=raw["color"])
        attachment.validate_json()
        assert attachment.to_dict() == raw


def test_slack_message_is_valid_block_kit_with_severity_as_text_and_colour(team):
    _webhook, alerts, requests = _deliver(Webhook.Kind.SLACK, team)
    headers, body = requests[-1]
    assert "webhook-signature" not in headers
    message = json.loads(body)
    _slack_valid(message)
    critical, warning = message["attachments"]
    assert critical["color"] != warning["color"]
    assert critical["blocks"][0]["text"]["text"].startswith("*CRITICAL*")
    assert warning["blocks"][0]["text"]["text"].startswith("*WARNING*")
    # Slack's control characters are escaped; links point at the alert's page.
    assert "&lt;below&gt; target &amp; falling" in critical["blocks"][0]["text"]["text"]
    assert f"/alerts/{alerts[0].id}/|" in critical["blocks"][0]["text"]["text"]


def test_slack_message_of_many_alerts_stays_within_limits():
    alerts = [
        {
            "id": i,
            "severity": 3,
            "severity_label": "Critical",
            "title": "T" * 5000,
            "message": "M" * 5000,
            "team": "Sales",
            "opened_at": "2026-06-15T09:00:00+00:00",
            "url": f"https://example.com/alerts/{i}/",
            "subject_url": "https://example.com/kpis/x/",
        }
        for i in range(CHAT_ALERTS_MAX + 7)
    ]
    message = slack_message({"alerts": alerts}, inbox="https://example.com/alerts/")
    _slack_valid(message)
    assert len(message["attachments"]) == CHAT_ALERTS_MAX
    assert "And 7 more" in message["blocks"][-1]["text"]["text"]


# --- Microsoft Teams: Adaptive Card ---------------------------------------------------------
def test_teams_message_is_a_valid_adaptive_card_with_severity_as_text_and_colour(team):
    _webhook, alerts, requests = _deliver(Webhook.Kind.TEAMS, team, n=3)
    message = json.loads(requests[-1][1])
    jsonschema.validate(message, TEAMS_MESSAGE_SCHEMA)
    card = message["attachments"][0]["content"]
    containers = [e for e in card["body"] if e["type"] == "Container"]
    assert [c["style"] for c in containers] == ["attention", "warning", "accent"]
    assert [c["items"][0]["text"] for c in containers] == ["CRITICAL", "WARNING", "INFO"]
    assert containers[0]["selectAction"]["url"].endswith(f"/alerts/{alerts[0].id}/")


def test_the_schema_refuses_a_card_that_is_not_one():
    """The check can fail: a wrong version, a colour Teams does not know, a missing URL."""
    good = teams_message(
        {
            "alerts": [
                {
                    "id": 1,
                    "severity": 2,
                    "severity_label": "Warning",
                    "title": "t",
                    "message": "m",
                    "team": None,
                    "opened_at": "x",
                    "url": "https://example.com/a/1/",
                }
            ]
        },
        inbox="https://example.com/alerts/",
    )
    jsonschema.validate(good, TEAMS_MESSAGE_SCHEMA)
    for spoil in (
        lambda c: c.update(version="4"),
        lambda c: c["body"][1]["items"][0].update(color="Red"),
        lambda c: c["actions"][0].pop("url"),
        lambda c: c["body"].append({"type": "Marquee", "text": "x"}),
    ):
        bad = json.loads(json.dumps(good))
        spoil(bad["attachments"][0]["content"])
        with pytest.raises(jsonschema.ValidationError):
            jsonschema.validate(bad, TEAMS_MESSAGE_SCHEMA)


def test_a_chat_webhook_sees_through_its_owners_eyes(company):
    """A private team's alert never reaches a chat webhook whose owner may not see it."""
    secret = TeamFactory(parent=company, name="M&A", is_private=True)
    open_team = TeamFactory(parent=company, name="Sales")
    owner = UserFactory()
    MembershipFactory(user=owner, team=open_team)
    hidden = AlertFactory(team=secret, severity=3, title="Buy Initech")
    shown = AlertFactory(team=open_team, severity=3, title="Win rate down")
    with Receiver() as receiver:
        WebhookFactory(url=receiver.url, kind=Webhook.Kind.SLACK, owner=owner, min_severity=1)
        alerts_notify(alert_ids=[hidden.id, shown.id])
    body = receiver.requests[-1][1].decode()
    assert "Win rate down" in body
    assert "Initech" not in body
