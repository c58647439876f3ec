"""Notifications: one email per owner per opening, signed webhooks with retries and a log."""

from __future__ import annotations

import hashlib
import hmac
import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from celery.exceptions import Retry
from django.core import mail

from metrics.engine import full_recompute
from metrics.models import Alert, OutboxMessage, WebhookDelivery
from metrics.notifications import (
    SIGNATURE_HEADER,
    alerts_notify,
    webhook_backoff,
    webhook_signature,
)
from metrics.preferences import preferences_update
from metrics.tasks import webhook_deliver
from tests.factories import (
    AlertFactory,
    KPIFactory,
    MeasurementFactory,
    MembershipFactory,
    MilestoneFactory,
    UserFactory,
    WebhookFactory,
)
from tests.metrics.conftest import TODAY


@pytest.fixture(autouse=True)
def _local_receivers_allowed(settings) -> None:
    """These tests post to receivers on 127.0.0.1 over plain HTTP: the test-only settings
    allow exactly that (tests/api/test_webhook_outbound.py tests the refusals)."""
    settings.WEBHOOK_ALLOW_HTTP = True
    settings.WEBHOOK_ALLOWED_NETWORKS = ["127.0.0.1/32"]


class Receiver:
    """A real HTTP server on 127.0.0.1 that fails the first ``failures`` requests."""

    def __init__(self, failures: int = 0):
        self.failures = failures
        self.requests: list = []
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                body = self.rfile.read(int(self.headers["Content-Length"]))
                receiver.requests.append((self.headers, body))  # case-insensitive
                failing = len(receiver.requests) <= receiver.failures
                self.send_response(500 if failing else 204)
                self.end_headers()

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_port}/hook"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def __enter__(self):
        self.thread.start()
        return self

    def __exit__(self, *exc):
        self.server.shutdown()
        self.server.server_close()


def members_of(team, *users) -> None:
    """Give these people a role on ``team``: only people who may see an alert hear of it."""
    for user in users:
        MembershipFactory(user=user, team=team)


def test_each_opening_notifies_its_owner_once(plan, team, django_capture_on_commit_callbacks):
    members_of(team, *{o.owner for o in (plan["parent"], plan["child"], plan["initiative"])})
    members_of(team, *{k.owner for k in (plan["nps"], plan["leads"])})
    with django_capture_on_commit_callbacks(execute=True):
        full_recompute(today=TODAY)
    opened = Alert.objects.filter(status="open")
    assert opened.exists()
    assert not opened.filter(notified_at__isnull=True).exists()
    owners = {a.owner.email for a in opened if a.owner}
    assert sorted(m.to[0] for m in mail.outbox) == sorted(owners)  # one email per owner

    with django_capture_on_commit_callbacks(execute=True):
        full_recompute(today=TODAY)
        alerts_notify(alert_ids=list(opened.values_list("id", flat=True)))  # a redelivery
    assert len(mail.outbox) == len(owners)


def test_a_full_recompute_does_not_storm(plan, team, settings, django_capture_on_commit_callbacks):
    owner = UserFactory(email="busy@example.com")
    members_of(team, owner)
    objective = plan["child"]
    for i in range(12):
        kpi = KPIFactory(objective=objective, team=objective.team, owner=owner, name=f"K{i}")
        MeasurementFactory(kpi=kpi, as_of=TODAY, value=21.0)  # all off track
    with WebhookFactory_url() as receiver, django_capture_on_commit_callbacks(execute=True):
        full_recompute(today=TODAY, chunk_size=3)  # five KPI chunks
    busy = [m for m in mail.outbox if m.to == ["busy@example.com"]]
    assert len(busy) == 1
    assert "new alerts need your attention" in busy[0].subject
    # The noise budget: the day's first NOTIFY_IMMEDIATE_PER_DAY at once, the rest held for
    # the daily digest (tests/metrics/test_noise_budget.py).
    budget = settings.NOTIFY_IMMEDIATE_PER_DAY
    assert busy[0].body.count("KPI off track") == budget
    held = OutboxMessage.objects.get(kind=OutboxMessage.Kind.HELD, recipient=owner)
    assert len(held.alert_ids) == 12 - budget
    assert WebhookDelivery.objects.count() == 1  # one batch per webhook
    assert len(receiver.requests) == 1
    payload = json.loads(receiver.requests[0][1])
    assert payload["event"] == "alerts.opened"
    assert len(payload["alerts"]) == Alert.objects.filter(severity__gte=2).count()


class WebhookFactory_url:
    def __enter__(self):
        self.receiver = Receiver().__enter__()
        WebhookFactory(url=self.receiver.url)
        return self.receiver

    def __exit__(self, *exc):
        self.receiver.__exit__(*exc)


def test_webhook_is_signed_and_retried_with_backoff(db, settings):
    settings.GAP_WEBHOOK_MAX_RETRIES = 5
    alert = AlertFactory(severity=Alert.Severity.CRITICAL)
    with Receiver(failures=2) as receiver:
        webhook = WebhookFactory(url=receiver.url, secret="shh")
        alerts_notify(alert_ids=[alert.id])  # eager: the first attempt runs inline
        delivery = WebhookDelivery.objects.get()
        assert delivery.alert == alert
        assert delivery.attempts == 1

        for attempt in (2,):
            with pytest.raises(Retry) as retry:
                webhook_deliver.apply(kwargs={"delivery_id": delivery.id}, throw=True).get()
            assert retry.value.when == webhook_backoff(attempts=attempt)
            delivery.refresh_from_db()
            assert delivery.status == "pending"
            assert delivery.attempts == attempt
            assert delivery.response_code == 500
            assert delivery.last_error.startswith("HTTP 500")
        assert webhook_deliver.apply(kwargs={"delivery_id": delivery.id}).get() == "delivered"

    delivery.refresh_from_db()
    assert delivery.status == "delivered"
    assert delivery.attempts == 3
    assert delivery.delivered_at is not None
    headers, body = receiver.requests[-1]
    expected = "sha256=" + hmac.new(b"shh", body, hashlib.sha256).hexdigest()
    assert headers[SIGNATURE_HEADER] == expected
    assert webhook_signature(secret=webhook.secret, body=body) == expected
    assert headers["Content-Type"] == "application/json"
    assert json.loads(body)["alerts"][0]["id"] == alert.id
    # Delivered: a redelivered message does nothing.
    assert webhook_deliver.apply(kwargs={"delivery_id": delivery.id}).get() == "nothing to do"
    assert len(receiver.requests) == 3


def test_webhook_gives_up_after_the_last_retry(db, settings):
    settings.GAP_WEBHOOK_MAX_RETRIES = 1
    alert = AlertFactory(severity=Alert.Severity.CRITICAL)
    with Receiver(failures=10) as receiver:
        WebhookFactory(url=receiver.url)
        alerts_notify(alert_ids=[alert.id])  # eager: the first attempt runs inline
        delivery = WebhookDelivery.objects.get()
        assert delivery.status == "pending"
        assert webhook_deliver.apply(kwargs={"delivery_id": delivery.id}).get() == "failed"
    delivery.refresh_from_db()
    assert delivery.status == "failed"
    assert delivery.attempts == 2


def test_unreachable_webhook_is_logged_not_raised(db):
    alert = AlertFactory(severity=Alert.Severity.CRITICAL)
    WebhookFactory(url="http://127.0.0.1:9/hook")  # discard port: connection refused
    alerts_notify(alert_ids=[alert.id])  # eager: the first attempt runs inline
    delivery = WebhookDelivery.objects.get()
    delivery.refresh_from_db()
    assert delivery.status == "pending"
    assert delivery.response_code is None
    assert "refused" in delivery.last_error.lower()


def test_webhook_below_its_minimum_severity_is_not_called(team, django_capture_on_commit_callbacks):
    alert = AlertFactory(severity=Alert.Severity.INFO, team=team)
    members_of(team, alert.owner)
    WebhookFactory(min_severity=Alert.Severity.WARNING)
    # Information alerts go to the daily digest by default: this owner wants them at once.
    preferences_update(user=alert.owner, data={"alert_info": "immediate"})
    with django_capture_on_commit_callbacks(execute=True):  # the outbox sends after commit
        assert alerts_notify(alert_ids=[alert.id])["webhooks"] == 0
    assert alert.owner.email in mail.outbox[0].to


def test_every_notification_links_the_app_page_of_its_subject_never_the_admin(
    plan, team, client, settings, django_capture_on_commit_callbacks
):
    """Every e-mail and webhook of a notification pass links each alert to the app's page of
    its subject (the recipient is rarely a superuser); following the link as the recipient
    opens that page."""
    settings.SITE_URL = "https://es.example.com/"
    settings.NOTIFY_IMMEDIATE_PER_DAY = 50  # all in one immediate e-mail (no digest)
    owner = UserFactory(username="owner", email="owner@example.com")
    members_of(team, owner, *{k.owner for k in (plan["nps"], plan["leads"], plan["child"])})
    milestone = MilestoneFactory(initiative=plan["initiative"], due_date=TODAY)
    expected = {  # subject -> the page its alert must link to
        ("milestone", milestone.pk): plan["initiative"].get_absolute_url(),
        ("initiative", plan["initiative"].pk): plan["initiative"].get_absolute_url(),
        ("objective", plan["child"].pk): plan["child"].get_absolute_url(),
        ("team", team.pk): f"/overview/?team={team.pk}",
        ("theme", plan["theme"].pk): f"/overview/?theme={plan['theme'].pk}",
        ("strategy", plan["strategy"].pk): "/overview/",
        ("kpi", plan["nps"].pk): f"/kpis/id/{plan['nps'].pk}/",
        ("milestone", 987_654_321): "/alerts/",  # deleted since: the inbox
    }
    with Receiver() as receiver:
        WebhookFactory(url=receiver.url)
        with django_capture_on_commit_callbacks(execute=True):
            full_recompute(today=TODAY)  # opens and notifies alerts of its own
        alerts = [
            AlertFactory(
                subject_type=kind,
                subject_id=pk,
                dedup_key=f"links:{kind}:{pk}",
                owner=owner,
                team=team,
                severity=3,
            )
            for kind, pk in expected
        ]
        with django_capture_on_commit_callbacks(execute=True):
            alerts_notify(alert_ids=[a.id for a in alerts])
    assert mail.outbox
    assert receiver.requests
    for message in mail.outbox:
        assert "/admin/" not in message.body
    [mine] = [m for m in mail.outbox if m.to == ["owner@example.com"]]
    for subject, path in expected.items():
        assert f"What it is about: https://es.example.com{path}\n" in mine.body, subject
    for alert in alerts:
        assert f"The alert: https://es.example.com{alert.get_absolute_url()}\n" in mine.body
    assert "https://es.example.com/alerts/?mine=on" in mine.body
    sent = {
        (a["subject_type"], a["subject_id"]): a
        for _, body in receiver.requests
        for a in json.loads(body)["alerts"]
    }
    for subject, path in expected.items():
        assert sent[subject]["subject_url"] == f"https://es.example.com{path}"
    assert not any("/admin/" in a["url"] + a["subject_url"] for a in sent.values())

    client.force_login(owner)
    for path in {*expected.values(), *(a.get_absolute_url() for a in alerts)}:
        response = client.get(path, follow=True)
        assert response.status_code == 200, path
