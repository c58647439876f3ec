"""The integrations page (issue #15): personal API tokens (create with the secret shown once,
scopes, last use, revoke) and outbound webhooks for leaders and the office (settings, alert
kinds, team scope, delivery log with retry), with the same rules as the API."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.cache import cache
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from rest_framework.test import APIClient

from metrics.models import Alert, Webhook, WebhookDelivery
from metrics.notifications import webhook_alerts_choose
from metrics.services import webhook_delivery_retry
from metrics.webhook_formats import standard_secret
from strategy.access import access_for
from strategy.models import ApiToken
from strategy.services import token_create
from tests.factories import TeamFactory, UserFactory, WebhookFactory

pytestmark = pytest.mark.django_db

PAGE = "/integrations/"


def _token(user, name="BI", scopes=("read",)) -> tuple[ApiToken, str]:
    return token_create(user=user, name=name, scopes=list(scopes), created_by=user)


def _failed(webhook, **kwargs) -> WebhookDelivery:
    return WebhookDelivery.objects.create(
        webhook=webhook,
        payload={"alerts": []},
        status=WebhookDelivery.Status.FAILED,
        attempts=7,
        last_error="HTTP 500",
        **kwargs,
    )


# --- tokens ------------------------------------------------------------------------------------
def test_a_person_creates_a_token_and_sees_its_secret_once(client, member, settings):
    settings.API_TOKEN_MAX_TTL_DAYS = 30
    client.force_login(member)
    response = client.post(
        "/integrations/tokens/new/",
        {"name": "Sales sheet", "scopes": ["read", "write:measurements"]},
    )
    assert response.status_code == 201
    assert response["Cache-Control"] == "no-store"
    token = ApiToken.objects.get(user=member)
    assert token.name == "Sales sheet"
    assert sorted(token.scopes) == ["read", "write:measurements"]
    assert token.expiry <= timezone.now() + dt.timedelta(days=30, minutes=1)
    secret = response.context["new_secret"]
    assert secret.startswith(token.token_key)
    assert secret in response.content.decode()
    assert all(secret not in morsel.value for morsel in client.cookies.values())
    # Never again: the page after it does not hold it.
    again = client.get(PAGE).content.decode()
    assert secret not in again
    assert "Sales sheet" in again
    assert token.token_key in again
    # And it works against the API.
    api = APIClient()
    api.credentials(HTTP_AUTHORIZATION=f"Bearer {secret}")
    assert api.get("/api/v1/teams/").status_code == 200


def test_a_token_with_a_chosen_last_day(client, member, settings):
    settings.API_TOKEN_MAX_TTL_DAYS = 30
    client.force_login(member)
    day = timezone.localdate() + dt.timedelta(days=10)
    response = client.post(
        "/integrations/tokens/new/",
        {"name": "Short", "scopes": ["read"], "expires_on": day.isoformat()},
    )
    assert response.status_code == 201
    assert timezone.localtime(ApiToken.objects.get(user=member).expiry).date() == day


@pytest.mark.parametrize(
    ("data", "field"),
    [
        ({"name": "", "scopes": ["read"]}, "name"),
        ({"name": "x", "scopes": []}, "scopes"),
        ({"name": "x", "scopes": ["root"]}, "scopes"),
        ({"name": "Later", "scopes": ["read"], "expires_on": "2199-01-01"}, "expires_on"),
        ({"name": "Past", "scopes": ["read"], "expires_on": "2001-01-01"}, "expires_on"),
    ],
)
def test_a_refused_token_keeps_what_was_typed_and_writes_nothing(client, member, data, field):
    client.force_login(member)
    response = client.post("/integrations/tokens/new/", data)
    assert response.status_code == 400
    form = response.context["form"]
    assert field in form.errors, form.errors
    assert form.data["name"] == data["name"]
    assert not ApiToken.objects.filter(user=member).exists()


def test_a_viewer_is_offered_and_given_only_the_read_scope(client, viewer):
    client.force_login(viewer)
    page = client.get(PAGE)
    assert [c[0] for c in page.context["form"].fields["scopes"].choices] == ["read"]
    response = client.post("/integrations/tokens/new/", {"name": "x", "scopes": ["admin"]})
    assert response.status_code == 400
    assert not ApiToken.objects.filter(user=viewer).exists()


def test_the_page_shows_last_use_and_revokes(client, member):
    token, secret = _token(member)
    ApiToken.objects.filter(pk=token.pk).update(last_used_at=timezone.now() - dt.timedelta(hours=3))
    client.force_login(member)
    row = client.get(PAGE).content.decode()
    assert "3\xa0hours ago" in row
    response = client.post(f"/integrations/tokens/{token.token_key}/revoke/")
    assert response.status_code == 302
    token.refresh_from_db()
    assert token.revoked_at is not None
    api = APIClient()
    api.credentials(HTTP_AUTHORIZATION=f"Bearer {secret}")
    assert api.get("/api/v1/teams/").status_code == 401
    page = client.get(PAGE)
    assert page.context["live"] == []
    assert page.context["past"] == [token]


@pytest.mark.parametrize("persona", ["member", "leader", "admin"])
def test_nobody_sees_or_revokes_another_persons_token_on_the_page(client, persona, request, viewer):
    theirs, _ = _token(viewer, name="Viewer's secret export")
    client.force_login(request.getfixturevalue(persona))
    assert "Viewer's secret export" not in client.get(PAGE).content.decode()
    assert client.post(f"/integrations/tokens/{theirs.token_key}/revoke/").status_code == 404
    theirs.refresh_from_db()
    assert theirs.revoked_at is None


def test_token_pages_need_a_sign_in_and_revoke_needs_a_post(client, member):
    token, _ = _token(member)
    assert client.get(PAGE).status_code == 302
    assert client.post(f"/integrations/tokens/{token.token_key}/revoke/").status_code == 302
    client.force_login(member)
    assert client.get(f"/integrations/tokens/{token.token_key}/revoke/").status_code == 405
    token.refresh_from_db()
    assert token.revoked_at is None


def test_the_page_links_the_api_documentation(client, member):
    client.force_login(member)
    page = client.get(PAGE).content.decode()
    assert 'href="/api/docs/"' in page
    assert 'href="/api/redoc/"' in page


# --- webhooks: who ------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("persona", "page", "new"),
    [("viewer", False, 403), ("member", False, 403), ("leader", True, 200), ("admin", True, 200)],
)
def test_who_manages_webhooks(client, request, persona, page, new):
    client.force_login(request.getfixturevalue(persona))
    listing = client.get(PAGE)
    assert listing.status_code == 200
    assert ("Outbound webhooks" in listing.content.decode()) is page
    assert client.get("/integrations/webhooks/new/").status_code == new


def test_a_leader_manages_only_their_own_webhooks(client, leader, admin):
    mine = WebhookFactory(name="Leader's chat", owner=leader)
    office = WebhookFactory(name="Office feed", owner=admin)
    delivery = _failed(office)
    client.force_login(leader)
    page = client.get(PAGE)
    assert [w.name for w in page.context["webhooks"]] == ["Leader's chat"]
    assert client.get(f"/integrations/webhooks/{mine.pk}/").status_code == 200
    for url in (
        f"/integrations/webhooks/{office.pk}/",
        f"/integrations/webhooks/{office.pk}/delete/",
        f"/integrations/webhooks/{office.pk}/deliveries/{delivery.pk}/retry/",
    ):
        assert client.post(url, {"name": "Taken"}).status_code == 404, url
    assert Webhook.objects.filter(pk=office.pk, name="Office feed").exists()
    delivery.refresh_from_db()
    assert delivery.status == WebhookDelivery.Status.FAILED
    # The office sees both.
    client.force_login(admin)
    names = [w.name for w in client.get(PAGE).context["webhooks"]]
    assert names == ["Leader's chat", "Office feed"]


def test_a_leader_creates_a_webhook_acting_for_themselves(client, leader, team):
    client.force_login(leader)
    form = client.get("/integrations/webhooks/new/").context["form"]
    assert "owner" not in form.fields  # a leader's webhook acts for the leader
    response = client.post(
        "/integrations/webhooks/new/",
        {
            "name": "Sales chat",
            "kind": "slack",
            "url": "https://93.184.215.14/hook",
            "is_active": "on",
            "min_severity": "2",
            "alert_kinds": ["kpi_off_track", "milestone_overdue"],
            "team": str(team.pk),
            "owner": str(UserFactory().pk),  # not a field for a leader: ignored
        },
    )
    assert response.status_code == 201, response.context["form"].errors
    webhook = Webhook.objects.get(name="Sales chat")
    assert webhook.owner == leader
    assert webhook.created_by == leader
    assert webhook.team == team
    assert webhook.alert_kinds == ["kpi_off_track", "milestone_overdue"]
    assert response.context["new_secret"] == webhook.secret
    assert webhook.secret in response.content.decode()
    assert (
        webhook.secret not in client.get(f"/integrations/webhooks/{webhook.pk}/").content.decode()
    )


def test_the_office_names_whom_a_webhook_acts_for(client, admin, leader):
    client.force_login(admin)
    response = client.post(
        "/integrations/webhooks/new/",
        {
            "name": "For the leader",
            "kind": "generic",
            "url": "https://93.184.215.14/hook",
            "min_severity": "1",
            "owner": str(leader.pk),
        },
    )
    assert response.status_code == 201
    hook = Webhook.objects.get(name="For the leader")
    assert hook.owner == leader
    page = response.content.decode()
    assert hook.secret in page
    assert standard_secret(hook.secret) in page  # a generic webhook's Standard Webhooks form


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"url": "https://127.0.0.1/hook"}, "url"),
        ({"url": "http://93.184.215.14/hook"}, "url"),
        ({"alert_kinds": ["nonsense"]}, "alert_kinds"),
        ({"name": ""}, "name"),
        ({"team": "hidden"}, "team"),
    ],
)
def test_a_refused_webhook_keeps_what_was_typed(client, leader, company, change, field):
    hidden = TeamFactory(name="Skunkworks", parent=company, is_private=True)
    client.force_login(leader)
    data = {
        "name": "Chat",
        "kind": "generic",
        "url": "https://93.184.215.14/hook",
        "min_severity": "2",
        **change,
    }
    if data.get("team") == "hidden":
        data["team"] = str(hidden.pk)
    response = client.post("/integrations/webhooks/new/", data)
    assert response.status_code == 400
    form = response.context["form"]
    assert field in form.errors, form.errors
    assert form.data["url"] == data["url"]
    assert not Webhook.objects.exists()


def test_editing_a_webhook_and_a_stale_version(client, leader):
    webhook = WebhookFactory(name="Chat", owner=leader)
    client.force_login(leader)
    form = client.get(f"/integrations/webhooks/{webhook.pk}/").context["form"]
    data = {
        "name": "Renamed",
        "kind": "generic",
        "url": webhook.url,
        "min_severity": "3",
        "seen_version": str(form.initial["seen_version"]),
    }
    assert client.post(f"/integrations/webhooks/{webhook.pk}/", data).status_code == 302
    webhook.refresh_from_db()
    assert (webhook.name, webhook.min_severity, webhook.is_active) == ("Renamed", 3, False)
    assert webhook.owner == leader
    stale = client.post(f"/integrations/webhooks/{webhook.pk}/", {**data, "name": "Again"})
    assert stale.status_code == 400
    assert "Someone else changed" in stale.content.decode()
    webhook.refresh_from_db()
    assert webhook.name == "Renamed"


def test_deleting_a_webhook(client, leader):
    webhook = WebhookFactory(owner=leader)
    _failed(webhook)
    client.force_login(leader)
    assert client.post(f"/integrations/webhooks/{webhook.pk}/delete/").status_code == 302
    assert not Webhook.objects.exists()
    assert not WebhookDelivery.objects.exists()


# --- webhooks: the delivery log and retry ------------------------------------------------------
def test_the_log_lists_deliveries_and_retry_requeues_a_failed_one(
    client, leader, monkeypatch, django_capture_on_commit_callbacks
):
    webhook = WebhookFactory(owner=leader)
    failed = _failed(webhook)
    delivered = WebhookDelivery.objects.create(
        webhook=webhook, payload={}, status=WebhookDelivery.Status.DELIVERED, response_code=204
    )
    sent: list[int] = []
    monkeypatch.setattr(
        "metrics.tasks.webhook_deliver.apply_async",
        lambda kwargs, countdown=None: sent.append(kwargs["delivery_id"]),
    )
    client.force_login(leader)
    log = client.get(f"/integrations/webhooks/{webhook.pk}/")
    page = log.content.decode()
    assert "HTTP 500" in page
    assert "HTTP 204" in page
    assert page.count("Retry<span") == 1  # only the failed one
    url = f"/integrations/webhooks/{webhook.pk}/deliveries/{failed.pk}/retry/"
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(url, headers={"HX-Request": "true"})
    assert response.status_code == 200
    assert "queued again" in response.content.decode()
    failed.refresh_from_db()
    assert (failed.status, failed.attempts, failed.last_error) == ("pending", 0, "")
    assert sent == [failed.pk]
    # A second click, or a delivery that did not fail, queues nothing.
    with django_capture_on_commit_callbacks(execute=True):
        client.post(url)
        client.post(f"/integrations/webhooks/{webhook.pk}/deliveries/{delivered.pk}/retry/")
    assert sent == [failed.pk]


def test_a_retried_delivery_goes_through_the_delivery_path(
    leader, monkeypatch, django_capture_on_commit_callbacks
):
    """The retried delivery is attempted by the task (URL re-checked, payload re-scoped to
    what its owner may see): with nothing left to send it fails again, unsent."""
    webhook = WebhookFactory(owner=leader)
    failed = _failed(webhook)
    posted: list[str] = []
    monkeypatch.setattr("metrics.notifications._post", lambda **kw: posted.append(kw["url"]))
    with django_capture_on_commit_callbacks(execute=True):
        assert webhook_delivery_retry(delivery=failed) is True
    failed.refresh_from_db()
    assert failed.status == WebhookDelivery.Status.FAILED
    assert "may not see" in failed.last_error
    assert posted == []


def test_the_delivery_log_pages_in_constant_queries(client, leader):
    webhook = WebhookFactory(owner=leader)
    client.force_login(leader)
    counts = []
    for n in (2, 40):
        WebhookDelivery.objects.all().delete()
        for _ in range(n):
            _failed(webhook)
        cache.clear()
        with CaptureQueriesContext(connection) as queries:
            assert client.get(f"/integrations/webhooks/{webhook.pk}/").status_code == 200
        counts.append(len(queries))
    assert counts[0] == counts[1], counts


@pytest.mark.parametrize("size", [1, 12])
def test_the_integrations_page_runs_constant_queries(
    client, admin, leader, size, django_assert_num_queries
):
    for i in range(size):
        hook = WebhookFactory(name=f"Hook {i}", owner=leader if i % 2 else admin)
        _failed(hook)
        _token(admin, name=f"Token {i}")
    # A third of them revoked: listed apart, still in one query.
    ApiToken.objects.filter(name__in=[f"Token {i}" for i in range(0, size, 3)]).update(
        revoked_at=timezone.now()
    )
    client.force_login(admin)
    # session, user, office group (access_for), live tokens, past tokens, webhooks (one query
    # with their owners, teams, last delivery and failures)
    with django_assert_num_queries(6):
        response = client.get(PAGE)
    assert response.status_code == 200
    assert len(response.context["webhooks"]) == size


# --- alert kinds: the webhook's event kinds -----------------------------------------------------
def test_a_webhook_receives_only_its_alert_kinds(admin):
    hook = WebhookFactory(owner=admin, alert_kinds=["kpi_off_track"], min_severity=1)
    off = Alert(kind=Alert.Kind.KPI_OFF_TRACK, severity=2, team_id=None)
    late = Alert(kind=Alert.Kind.MILESTONE_OVERDUE, severity=2, team_id=None)
    access = access_for(admin)
    assert webhook_alerts_choose(webhook=hook, alerts=[off, late], access=access, scope=None) == [
        off
    ]
    hook.alert_kinds = []
    chosen = webhook_alerts_choose(webhook=hook, alerts=[off, late], access=access, scope=None)
    assert chosen == [off, late]


# --- the API follows the same rule ----------------------------------------------------------------
def _api(user) -> APIClient:
    api = APIClient()
    api.force_authenticate(user)
    return api


def test_the_api_lets_a_leader_manage_their_own_webhooks_only(leader, admin, member):
    office = WebhookFactory(name="Office feed", owner=admin)
    api = _api(leader)
    created = api.post(
        "/api/v1/webhooks/",
        {"name": "Mine", "url": "https://93.184.215.14/h", "alert_kinds": ["kpi_stale"]},
        format="json",
    )
    assert created.status_code == 201, created.json()
    assert created.json()["owner"] == leader.pk
    assert created.json()["secret"]
    assert [w["name"] for w in api.get("/api/v1/webhooks/").json()["results"]] == ["Mine"]
    assert api.get(f"/api/v1/webhooks/{office.pk}/").status_code == 404
    assert (
        api.patch(f"/api/v1/webhooks/{office.pk}/", {"name": "x"}, format="json").status_code == 404
    )
    # A leader cannot make a webhook act for someone else (it would see what they see).
    other = api.post(
        "/api/v1/webhooks/",
        {"name": "As member", "url": "https://93.184.215.14/h", "owner": member.pk},
        format="json",
    )
    assert other.status_code == 400
    assert [e["field"] for e in other.json()["errors"]] == ["owner"]
    mine = Webhook.objects.get(name="Mine")
    moved = api.patch(f"/api/v1/webhooks/{mine.pk}/", {"owner": member.pk}, format="json")
    assert moved.status_code == 400
    mine.refresh_from_db()
    assert mine.owner == leader
    bad_kind = api.post(
        "/api/v1/webhooks/",
        {"name": "Bad", "url": "https://93.184.215.14/h", "alert_kinds": ["nope"]},
        format="json",
    )
    assert bad_kind.status_code == 400
    assert {e["field"] for e in bad_kind.json()["errors"]} == {"alert_kinds.0"}
    # Members and viewers: no webhooks at all.
    assert _api(member).get("/api/v1/webhooks/").status_code == 403


def test_token_dates_read_as_everywhere_else_without_a_leading_zero(client, member):
    """The tester saw "12/01/2026" (US short format) here while every other page writes
    "1 Dec 2026"."""
    token, _ = _token(member)
    created = timezone.make_aware(dt.datetime(2026, 12, 1, 9, 0))
    ApiToken.objects.filter(pk=token.pk).update(
        created=created, expiry=created + dt.timedelta(days=31)
    )
    client.force_login(member)
    html = client.get(PAGE, HTTP_ACCEPT_LANGUAGE="en-us").content.decode()
    assert "1 Dec 2026" in html
    assert "1 Jan 2027" in html
    assert "12/01/2026" not in html
    assert "01 Dec" not in html
