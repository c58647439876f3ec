"""Alerts about a private subject reach only people who may see it: e-mails to owners,
webhooks through their owner's eyes and within their team scope, alert lists."""

from __future__ import annotations

import importlib
import json

import pytest
from django.apps import apps
from django.core import mail
from rest_framework.test import APIClient

from metrics.models import Alert, Webhook, WebhookDelivery
from metrics.notifications import alerts_notify
from metrics.tasks import webhook_deliver
from strategy.models import Membership, Team
from tests.factories import (
    AlertFactory,
    MembershipFactory,
    TeamFactory,
    UserFactory,
    WebhookFactory,
)
from tests.metrics.test_notifications import Receiver, _local_receivers_allowed  # noqa: F401

pytestmark = pytest.mark.django_db


@pytest.fixture
def private(company) -> Team:
    return TeamFactory(name="Skunkworks", slug="skunkworks", parent=company, is_private=True)


@pytest.fixture
def insider(private):
    user = UserFactory(username="insider")
    MembershipFactory(user=user, team=private, role=Membership.Role.MEMBER)
    return user


def _alert(team, owner, **kwargs) -> Alert:
    return AlertFactory(team=team, owner=owner, severity=Alert.Severity.CRITICAL, **kwargs)


def test_owner_who_may_not_see_the_alert_gets_no_email(
    private, insider, member, team, django_capture_on_commit_callbacks
):
    hidden_to_member = _alert(private, member, title="Secret KPI off track")
    seen = _alert(private, insider, title="Secret KPI at risk")
    public = _alert(team, member, title="Win rate off track")
    with django_capture_on_commit_callbacks(execute=True):  # the outbox sends after commit
        result = alerts_notify(alert_ids=[hidden_to_member.id, seen.id, public.id])
    assert result["emails"] == 2
    by_recipient = {m.to[0]: m for m in mail.outbox}
    assert set(by_recipient) == {member.email, insider.email}
    assert "Secret" not in by_recipient[member.email].subject + by_recipient[member.email].body
    assert "Win rate off track" in by_recipient[member.email].subject
    assert "Secret KPI at risk" in by_recipient[insider.email].subject


def test_alert_lists_do_not_show_an_owner_an_alert_they_may_not_see(client, private, member, team):
    _alert(private, member, title="Secret KPI off track")
    _alert(team, member, title="Win rate off track")
    client.force_login(member)
    page = client.get("/alerts/").content.decode()
    assert "Win rate off track" in page
    assert "Secret" not in page
    api = APIClient()
    api.force_login(member)
    titles = [a["title"] for a in api.get("/api/v1/alerts/").json()["results"]]
    assert titles == ["Win rate off track"]


def _bodies(receiver) -> list[dict]:
    return [json.loads(body) for _headers, body in receiver.requests]


def test_webhook_receives_only_what_its_owner_may_see(private, insider, leader, admin, team):
    secret = _alert(private, insider, title="Secret KPI off track")
    public = _alert(team, leader, title="Win rate off track")
    with Receiver() as sales, Receiver() as office:
        WebhookFactory(name="Sales chat", url=sales.url, owner=leader)
        WebhookFactory(name="Office chat", url=office.url, owner=admin)
        assert alerts_notify(alert_ids=[secret.id, public.id])["webhooks"] == 2
    [sales_body] = _bodies(sales)
    assert [a["id"] for a in sales_body["alerts"]] == [public.id]
    assert "Secret" not in json.dumps(sales_body)
    [office_body] = _bodies(office)
    assert sorted(a["id"] for a in office_body["alerts"]) == sorted([secret.id, public.id])


def test_webhook_team_scope_takes_the_team_and_its_sub_teams(
    division, team, other_team, admin, leader
):
    below = TeamFactory(name="Inside sales", slug="inside-sales", parent=team)
    in_division = _alert(team, leader)
    in_sub_team = _alert(below, leader)
    elsewhere = _alert(other_team, leader)
    no_team = _alert(None, leader)
    with Receiver() as receiver:
        WebhookFactory(url=receiver.url, owner=admin, team=division)
        alerts_notify(alert_ids=[in_division.id, in_sub_team.id, elsewhere.id, no_team.id])
    [body] = _bodies(receiver)
    assert sorted(a["id"] for a in body["alerts"]) == sorted([in_division.id, in_sub_team.id])


def test_webhook_without_an_owner_receives_nothing(team, leader):
    alert = _alert(team, leader)
    Webhook.objects.create(name="Orphan", url="http://127.0.0.1:9/hook", secret="x" * 16)
    assert alerts_notify(alert_ids=[alert.id])["webhooks"] == 0


def test_a_queued_delivery_is_rescoped_when_its_owner_lost_sight(private, insider, settings):
    """Queued while its owner could see the alert; the owner left the team before the send."""
    settings.GAP_WEBHOOK_MAX_RETRIES = 3
    alert = _alert(private, insider, title="Secret KPI off track")
    with Receiver(failures=1) as receiver:
        WebhookFactory(url=receiver.url, owner=insider)
        alerts_notify(alert_ids=[alert.id])  # first attempt fails (500): stays pending
        delivery = WebhookDelivery.objects.get()
        assert delivery.status == "pending"
        Membership.objects.filter(user=insider).delete()
        assert webhook_deliver.apply(kwargs={"delivery_id": delivery.id}).get() == "failed"
    assert len(receiver.requests) == 1  # not sent again
    delivery.refresh_from_db()
    assert delivery.status == "failed"
    assert "may not see" in delivery.last_error


def test_api_webhook_owner_defaults_to_the_caller_and_scope_must_be_visible_to_the_owner(
    admin, leader, private, team
):
    client = APIClient()
    client.force_login(admin)
    base = {"name": "Chat", "url": "https://93.184.215.14/hook"}
    created = client.post("/api/v1/webhooks/", base, format="json")
    assert created.status_code == 201, created.json()
    assert (created.json()["owner"], created.json()["team"]) == (admin.pk, None)
    refused = client.post(
        "/api/v1/webhooks/", {**base, "owner": leader.pk, "team": private.pk}, format="json"
    )
    assert refused.status_code == 400
    assert refused.json()["errors"][0]["field"] == "team"
    ok = client.post(
        "/api/v1/webhooks/", {**base, "owner": leader.pk, "team": team.pk}, format="json"
    )
    assert ok.status_code == 201, ok.json()
    assert Webhook.objects.get(pk=ok.json()["id"]).owner == leader


def test_admin_webhook_form_checks_the_scope(client, admin, leader, private):
    admin.is_staff = True
    admin.is_superuser = True
    admin.save()
    client.force_login(admin)
    data = {
        "name": "Chat",
        "kind": Webhook.Kind.GENERIC,
        "url": "https://93.184.215.14/hook",
        "is_active": "on",
        "min_severity": Alert.Severity.WARNING,
        "owner": leader.pk,
        "team": private.pk,
    }
    response = client.post("/admin/metrics/webhook/add/", data)
    assert response.status_code == 200
    assert "may not see this team" in response.content.decode()
    assert not Webhook.objects.exists()
    response = client.post("/admin/metrics/webhook/add/", {**data, "team": ""})
    assert response.status_code == 302
    assert Webhook.objects.get().created_by == admin


def test_migration_gives_existing_webhooks_an_owner_and_cancels_unscoped_deliveries(admin, leader):
    migration = importlib.import_module("metrics.migrations.0008_webhook_owner_and_team_scope")
    first_super = UserFactory(username="root", is_superuser=True)
    made_by_leader = WebhookFactory(name="A", owner=None, created_by=leader)
    made_by_nobody = WebhookFactory(name="B", owner=None, created_by=None)
    pending = WebhookDelivery.objects.create(webhook=made_by_leader, payload={"alerts": []})
    sent = WebhookDelivery.objects.create(
        webhook=made_by_leader, payload={"alerts": []}, status="delivered"
    )
    migration.webhooks_give_owners(apps, None)
    migration.deliveries_unscoped_cancel(apps, None)
    made_by_leader.refresh_from_db()
    made_by_nobody.refresh_from_db()
    assert made_by_leader.owner == leader
    assert made_by_nobody.owner == first_super
    pending.refresh_from_db()
    sent.refresh_from_db()
    assert (pending.status, sent.status) == ("failed", "delivered")
    assert "migration" in pending.last_error
