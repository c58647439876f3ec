"""The security log (issue #21 §8): every kind of event written with who, when, the client's
address behind the proxy and the request id; one JSON log line each; failures bounded; the
strategy office reads, filters and exports it; events past the retention are pruned."""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
import logging

import pytest
from django.contrib.auth.models import Group
from django.test import Client
from django.utils import timezone
from pythonjsonlogger.json import JsonFormatter
from rest_framework.test import APIClient

from metrics.models import Webhook
from security.models import SecurityEvent
from security.services import security_event_record, security_events_prune
from strategy.models import STRATEGY_OFFICE_GROUP, ApiToken, Membership
from strategy.services import team_save, token_create, token_revoke
from tests.factories import MembershipFactory, TeamFactory, UserFactory

Kind = SecurityEvent.Kind
PROXY = "10.0.0.2"
CLIENT_IP = "203.0.113.7"
PASSWORD = "correct-horse-battery"


@pytest.fixture(autouse=True)
def _behind_one_proxy(settings):
    settings.TRUSTED_PROXY_COUNT = 1


@pytest.fixture
def root(db, company):
    """A superuser (the admin site needs staff; superusers are the strategy office too)."""
    return UserFactory(username="root", is_staff=True, is_superuser=True)


def via_proxy(client: Client, ip: str = CLIENT_IP, request_id: str = "req-42") -> Client:
    """Requests as they arrive from the reverse proxy: its address, the client's in
    X-Forwarded-For (after one the client made up), and the proxy's request id."""
    client.defaults.update(
        REMOTE_ADDR=PROXY,
        HTTP_X_FORWARDED_FOR=f"192.0.2.99, {ip}",
        HTTP_X_REQUEST_ID=request_id,
        HTTP_USER_AGENT="Firefox/140",
    )
    return client


def only(kind: str) -> SecurityEvent:
    events = list(SecurityEvent.objects.filter(kind=kind))
    assert len(events) == 1, [(e.kind, e.details) for e in SecurityEvent.objects.all()]
    return events[0]


def assert_from_client(event: SecurityEvent, request_id: str = "req-42") -> None:
    assert event.ip == CLIENT_IP
    assert event.request_id == request_id
    assert event.user_agent == "Firefox/140"


# --- signing in and out ---------------------------------------------------------------------
def test_sign_in_is_written_with_who_address_and_request_id(leader):
    client = via_proxy(Client())
    response = client.post("/accounts/login/", {"login": "leader", "password": PASSWORD})
    assert response.status_code == 302
    assert response["X-Request-ID"] == "req-42"
    event = only(Kind.SIGN_IN)
    assert (event.actor, event.subject, event.actor_name) == (leader, leader, "leader")
    assert event.details == {"path": "/accounts/login/"}
    assert_from_client(event)
    assert timezone.now() - event.at < dt.timedelta(minutes=1)


def test_failed_sign_in_names_the_account_not_the_password(leader):
    via_proxy(Client()).post("/accounts/login/", {"login": "leader", "password": "Hunter2!x"})
    event = only(Kind.SIGN_IN_FAILED)
    assert (event.actor, event.subject, event.subject_name) == (None, leader, "leader")
    assert_from_client(event)
    stored = json.dumps([event.details, event.subject_name, event.aggregate_key])
    assert "Hunter2" not in stored


def test_failed_sign_in_of_an_unknown_name_keeps_what_was_typed(db):
    via_proxy(Client()).post("/accounts/login/", {"login": "n0body", "password": "x"})
    event = only(Kind.SIGN_IN_FAILED)
    assert (event.subject, event.subject_name) == (None, "n0body")


def test_lockout_is_written(leader, settings):
    settings.AXES_FAILURE_LIMIT = 2
    client = via_proxy(Client())
    for _ in range(3):
        client.post("/accounts/login/", {"login": "leader", "password": "wrong"})
    event = only(Kind.LOCKED_OUT)
    assert (event.subject, event.subject_name) == (leader, "leader")
    assert event.count == 2  # locked at the 2nd failure, refused again at the 3rd
    assert_from_client(event)


def test_sign_out_is_written(leader):
    client = via_proxy(Client())
    client.force_login(leader)
    SecurityEvent.objects.all().delete()
    client.post("/accounts/logout/")
    event = only(Kind.SIGN_OUT)
    assert (event.actor, event.subject) == (leader, leader)
    assert_from_client(event)


def test_password_change_is_written(leader):
    client = via_proxy(Client())
    client.force_login(leader)
    SecurityEvent.objects.all().delete()  # the factory's own set_password
    response = client.post(
        "/accounts/password/change/",
        {
            "oldpassword": PASSWORD,
            "password1": "a-much-longer-passphrase-41",
            "password2": "a-much-longer-passphrase-41",
        },
    )
    assert response.status_code == 302
    event = only(Kind.PASSWORD_CHANGED)
    assert (event.actor, event.subject) == (leader, leader)
    assert_from_client(event)


# --- failures an outsider can repeat are bounded --------------------------------------------
def test_repeated_failures_raise_a_count_instead_of_adding_rows(leader, settings):
    settings.AXES_ENABLED = False
    client = via_proxy(Client())
    for _ in range(5):
        client.post("/accounts/login/", {"login": "leader", "password": "wrong"})
    event = only(Kind.SIGN_IN_FAILED)
    assert event.count == 5
    assert event.last_at >= event.at
    # Another address is another row.
    via_proxy(Client(), ip="198.51.100.3").post(
        "/accounts/login/", {"login": "leader", "password": "wrong"}
    )
    assert SecurityEvent.objects.filter(kind=Kind.SIGN_IN_FAILED).count() == 2


def test_a_flood_from_many_addresses_stops_at_the_cap(db, settings):
    settings.AXES_ENABLED = False
    settings.SECURITY_LOG_FAILURE_MAX_ROWS = 5
    for i in range(12):
        via_proxy(Client(), ip=f"198.51.100.{i + 1}").post(
            "/accounts/login/", {"login": f"guess{i}", "password": "x"}
        )
    rows = list(SecurityEvent.objects.filter(kind=Kind.SIGN_IN_FAILED).order_by("id"))
    assert len(rows) == 6  # 5 with their details, then one overflow row
    overflow = rows[-1]
    assert overflow.details["overflow"] is True
    assert (overflow.ip, overflow.count) == (None, 7)
    assert sum(r.count for r in rows) == 12


def test_failures_after_the_window_start_a_new_row(leader, settings, time_machine):
    settings.AXES_ENABLED = False
    time_machine.move_to(timezone.now(), tick=False)
    client = via_proxy(Client())
    client.post("/accounts/login/", {"login": "leader", "password": "wrong"})
    time_machine.shift(dt.timedelta(seconds=settings.SECURITY_LOG_FAILURE_WINDOW_SECONDS + 1))
    client.post("/accounts/login/", {"login": "leader", "password": "wrong"})
    assert SecurityEvent.objects.filter(kind=Kind.SIGN_IN_FAILED).count() == 2


# --- API authentication failures ------------------------------------------------------------
def _api(token: str | None = None) -> APIClient:
    client = APIClient()
    via_proxy(client)
    if token is not None:
        client.credentials(HTTP_AUTHORIZATION=f"Bearer {token}")
    return client


@pytest.mark.parametrize(
    ("token", "reason"),
    [
        (None, "Authentication credentials were not provided."),
        ("es_" + "x" * 60, "Invalid token."),
        ("not-a-token", "Invalid token."),
    ],
)
def test_api_authentication_failure_is_written(db, token, reason):
    assert _api(token).get("/api/v1/teams/").status_code == 401
    event = only(Kind.API_AUTH_FAILED)
    assert event.details["reason"] == reason
    assert event.details["path"] == "/api/v1/teams/"
    assert_from_client(event)
    assert token is None or token not in json.dumps(event.details)


def test_revoked_and_expired_tokens_are_named_with_their_person(leader, time_machine):
    token, secret = token_create(user=leader, name="BI", scopes=["read"], created_by=leader)
    token_revoke(token=token, by=leader)
    assert _api(secret).get("/api/v1/teams/").status_code == 401
    event = only(Kind.API_AUTH_FAILED)
    assert event.details["reason"] == "This token has been revoked."
    assert (event.details["token"], event.subject) == (token.digest[:12], leader)

    other, secret = token_create(
        user=leader,
        name="old",
        scopes=["read"],
        created_by=leader,
        expires_at=timezone.now() + dt.timedelta(days=1),
    )
    time_machine.move_to(timezone.now() + dt.timedelta(days=2))
    assert _api(secret).get("/api/v1/teams/").status_code == 401
    expired = SecurityEvent.objects.get(kind=Kind.API_AUTH_FAILED, details__token=other.digest[:12])
    assert expired.details["reason"] == "This token has expired."


def test_api_failures_are_counted_not_stored_one_by_one(db):
    client = _api("es_" + "y" * 60)
    for _ in range(20):
        client.get("/api/v1/teams/")
    assert only(Kind.API_AUTH_FAILED).count == 20


# --- tokens -----------------------------------------------------------------------------------
def test_token_creation_and_revocation_are_written(root, admin, member):
    token, secret = token_create(user=member, name="BI", scopes=["read"], created_by=admin)
    created = only(Kind.TOKEN_CREATED)
    assert (created.actor, created.subject) == (admin, member)
    assert created.details["token"] == token.digest[:12]
    assert created.details["scopes"] == ["read"]
    assert secret not in json.dumps(created.details)
    assert token.digest not in json.dumps(created.details)  # a prefix names it

    client = via_proxy(Client())
    client.force_login(root)
    response = client.post(
        "/admin/strategy/apitoken/",
        {"action": "revoke", "_selected_action": [token.pk]},
    )
    assert response.status_code == 302
    revoked = only(Kind.TOKEN_REVOKED)
    assert (revoked.actor, revoked.subject) == (root, member)
    assert revoked.details == {"tokens": [token.digest[:12]], "reason": "revoked"}
    assert_from_client(revoked)


def test_tokens_revoked_by_a_password_change_are_written(member):
    token, _ = token_create(user=member, name="BI", scopes=["read"], created_by=member)
    member.set_password("another-long-passphrase-77")
    member.save()
    revoked = only(Kind.TOKEN_REVOKED)
    assert (revoked.actor, revoked.subject) == (None, member)
    assert revoked.details == {"tokens": [token.digest[:12]], "reason": "credentials_changed"}


# --- memberships and roles --------------------------------------------------------------------
def test_membership_added_changed_and_removed(team, outsider):
    membership = MembershipFactory(user=outsider, team=team, role=Membership.Role.VIEWER)
    added = only(Kind.MEMBERSHIP_ADDED)
    assert added.subject == outsider
    assert added.details == {"team_id": team.pk, "team": "Sales", "role": "viewer"}

    membership = Membership.objects.get(pk=membership.pk)
    membership.role = Membership.Role.LEADER
    membership.save()
    changed = only(Kind.MEMBERSHIP_CHANGED)
    assert (changed.details["from_role"], changed.details["to_role"]) == ("viewer", "leader")

    membership.save()  # nothing changed: nothing written
    assert SecurityEvent.objects.filter(kind=Kind.MEMBERSHIP_CHANGED).count() == 1

    membership.delete()
    removed = only(Kind.MEMBERSHIP_REMOVED)
    assert removed.subject == outsider
    assert removed.details == {"team_id": team.pk, "role": "leader"}


def test_membership_change_in_the_admin_names_who_and_from_where(root, leader, team):
    membership = Membership.objects.get(user=leader, team=team)
    client = via_proxy(Client())
    client.force_login(root)
    response = client.post(
        f"/admin/strategy/membership/{membership.pk}/change/",
        {"user": leader.pk, "team": team.pk, "role": "member"},
    )
    assert response.status_code == 302, response.content[:2000]
    event = only(Kind.MEMBERSHIP_CHANGED)
    assert (event.actor, event.subject) == (root, leader)
    assert_from_client(event)


def test_joining_and_leaving_the_strategy_office_is_a_role_change(outsider):
    office = Group.objects.get_or_create(name=STRATEGY_OFFICE_GROUP)[0]
    outsider.groups.add(office)
    outsider.groups.add(Group.objects.create(name="Book club"))
    event = only(Kind.ROLE_CHANGED)
    assert event.subject == outsider
    assert event.details == {
        "role": "strategy office",
        "from": False,
        "to": True,
        "new_account": False,
    }
    office.user_set.remove(outsider)
    left = SecurityEvent.objects.filter(kind=Kind.ROLE_CHANGED).order_by("-id").first()
    assert (left.details["from"], left.details["to"]) == (True, False)


def test_setup_link_for_a_new_person_logs_an_account_creation_not_a_role_change(db):
    from django.core.management import call_command

    call_command("setup_link", username="founder", stdout=io.StringIO(), stderr=io.StringIO())
    event = only(Kind.ACCOUNT_CREATED)
    assert event.subject.username == "founder"
    assert event.details == {"roles": ["strategy office"]}
    assert not SecurityEvent.objects.filter(kind=Kind.ROLE_CHANGED).exists()
    # Later joins and departures of the same person are role changes again.
    person = event.subject
    office = Group.objects.get(name=STRATEGY_OFFICE_GROUP)
    office.user_set.remove(person)
    assert only(Kind.ROLE_CHANGED).details["to"] is False


def test_a_new_superuser_is_an_account_creation_with_its_roles(db):
    UserFactory(username="boss", is_staff=True, is_superuser=True)
    event = only(Kind.ACCOUNT_CREATED)
    assert event.details == {"roles": ["superuser", "staff"]}
    assert not SecurityEvent.objects.filter(kind=Kind.ROLE_CHANGED).exists()


def test_superuser_staff_and_deactivation_are_role_changes(outsider):
    outsider.is_superuser = True
    outsider.is_staff = True
    outsider.save()
    outsider.is_active = False
    outsider.save()
    roles = sorted(
        (e.details["role"], e.details["to"])
        for e in SecurityEvent.objects.filter(kind=Kind.ROLE_CHANGED, subject=outsider)
    )
    assert roles == [("active", False), ("staff", True), ("superuser", True)]


def test_signing_in_writes_no_role_change(leader):
    Client().post("/accounts/login/", {"login": "leader", "password": PASSWORD})
    assert not SecurityEvent.objects.filter(kind=Kind.ROLE_CHANGED).exists()


# --- team privacy and webhooks ----------------------------------------------------------------
def test_team_privacy_change_is_written(team):
    team.is_private = True
    team_save(team=team)
    event = only(Kind.TEAM_PRIVACY_CHANGED)
    assert event.details == {"team_id": team.pk, "team": "Sales", "from": "public", "to": "private"}
    team.description = "Sells."
    team_save(team=team)  # privacy unchanged: nothing written
    assert SecurityEvent.objects.filter(kind=Kind.TEAM_PRIVACY_CHANGED).count() == 1
    TeamFactory(name="Secret", is_private=True)
    assert SecurityEvent.objects.filter(kind=Kind.TEAM_PRIVACY_CHANGED).count() == 2


def test_webhook_changes_are_written_without_secrets(admin, settings):
    client = APIClient()
    via_proxy(client)
    client.force_login(admin)
    url = "https://93.184.215.14/hooks/T000/B000/receiver-secret-path?token=abc"
    response = client.post("/api/v1/webhooks/", {"name": "Chat", "url": url}, format="json")
    assert response.status_code == 201, response.json()
    webhook = Webhook.objects.get()
    created = only(Kind.WEBHOOK_CREATED)
    assert (created.actor, created.subject) == (admin, admin)
    assert created.details["host"] == "93.184.215.14"
    assert_from_client(created)

    response = client.patch(
        f"/api/v1/webhooks/{webhook.pk}/", {"is_active": False, "name": "Chat 2"}, format="json"
    )
    assert response.status_code == 200
    changed = only(Kind.WEBHOOK_CHANGED)
    assert changed.details["changes"] == {
        "is_active": {"from": True, "to": False},
        "name": {"from": "Chat", "to": "Chat 2"},
    }
    assert client.delete(f"/api/v1/webhooks/{webhook.pk}/").status_code == 204
    deleted = only(Kind.WEBHOOK_DELETED)
    assert deleted.details["webhook_id"] == webhook.pk
    everything = json.dumps(list(SecurityEvent.objects.values("details")))
    for secret in ("receiver-secret-path", "token=abc", webhook.secret):
        assert secret not in everything


# --- the JSON log line ------------------------------------------------------------------------
def test_each_event_is_one_json_log_line(leader, caplog, django_capture_on_commit_callbacks):
    logger = logging.getLogger("execsupport.security")
    logger.addHandler(caplog.handler)  # the logger does not propagate (its own JSON handler)
    try:
        with django_capture_on_commit_callbacks(execute=True):
            via_proxy(Client()).post("/accounts/login/", {"login": "leader", "password": PASSWORD})
    finally:
        logger.removeHandler(caplog.handler)
    records = [r for r in caplog.records if r.name == "execsupport.security"]
    assert len(set(records)) == 1
    (formatter,) = {h.formatter for h in logger.handlers if isinstance(h.formatter, JsonFormatter)}
    line = formatter.format(records[0])
    assert "\n" not in line
    data = json.loads(line)
    assert data["event_kind"] == "sign_in"
    assert (data["actor"], data["subject"]) == ("leader", "leader")
    assert (data["ip"], data["request_id"]) == (CLIENT_IP, "req-42")
    assert data["event_id"] == only(Kind.SIGN_IN).pk
    assert data["levelname"] == "INFO"
    assert "timestamp" in data


def test_a_change_rolled_back_logs_nothing(outsider, team, caplog):
    from django.db import transaction

    logger = logging.getLogger("execsupport.security")

    def add_then_fail() -> None:
        with transaction.atomic():
            MembershipFactory(user=outsider, team=team)
            raise RuntimeError

    logger.addHandler(caplog.handler)
    try:
        with pytest.raises(RuntimeError):
            add_then_fail()
    finally:
        logger.removeHandler(caplog.handler)
    assert not SecurityEvent.objects.filter(kind=Kind.MEMBERSHIP_ADDED).exists()
    assert not [r for r in caplog.records if r.name == "execsupport.security"]


# --- the request id ---------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("given", "kept"),
    [
        ("req-42", True),
        ("0f8e0c5e-7b8e-4cf0-9d83-2c5d3b6d8a11", True),
        ("a" * 64, True),
        ("a" * 65, False),
        ("bad id", False),
        ("x\r\nSet-Cookie: a=b", False),
        ("<script>", False),
        ("", False),
    ],
)
def test_request_id_is_kept_only_in_a_safe_shape(db, given, kept):
    response = Client().get("/healthz", HTTP_X_REQUEST_ID=given)
    if kept:
        assert response["X-Request-ID"] == given
    else:
        assert response["X-Request-ID"] != given
        assert len(response["X-Request-ID"]) == 32
        int(response["X-Request-ID"], 16)


# --- reading: the strategy office only --------------------------------------------------------
@pytest.mark.parametrize("persona", ["leader", "member", "viewer", "outsider"])
def test_only_the_strategy_office_reads_the_log(persona, request, plan):
    client = Client()
    client.force_login(request.getfixturevalue(persona))
    assert client.get("/security/events/").status_code == 403
    assert client.get("/security/events/?format=csv").status_code == 403


def test_signed_out_visitor_is_sent_to_sign_in(db):
    response = Client().get("/security/events/")
    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/")


def _office_client(admin) -> Client:
    client = Client()
    client.force_login(admin)
    return client


def test_office_filters_by_kind_person_and_days(admin, leader, member, time_machine):
    client = _office_client(admin)
    SecurityEvent.objects.all().delete()  # the personas' creation and the office's sign-in
    time_machine.move_to(dt.datetime(2026, 3, 10, 12, tzinfo=dt.UTC), tick=False)
    security_event_record(kind=Kind.SIGN_IN, actor=leader, subject=leader)
    time_machine.move_to(dt.datetime(2026, 3, 12, 12, tzinfo=dt.UTC), tick=False)
    security_event_record(kind=Kind.SIGN_IN, actor=member, subject=member)
    security_event_record(kind=Kind.SIGN_OUT, actor=member, subject=member)

    def names(query: str) -> list[tuple[str, str]]:
        response = client.get(f"/security/events/?{query}")
        assert response.status_code == 200
        return [(e.kind, e.subject_name) for e in response.context["page"].object_list]

    assert names("kind=sign_in&person=LEADER") == [("sign_in", "leader")]
    assert names("kind=sign_in") == [("sign_in", "member"), ("sign_in", "leader")]
    assert names("since=2026-03-11&until=2026-03-12&person=member") == [
        ("sign_out", "member"),
        ("sign_in", "member"),
    ]
    assert names("since=2026-03-01&until=2026-03-10&kind=sign_in") == [("sign_in", "leader")]


def test_bad_filters_are_a_400_with_the_errors(admin):
    response = _office_client(admin).get(
        "/security/events/?kind=nope&since=2026-13-01&until=2026-01-01"
    )
    assert response.status_code == 400
    assert b"Please correct the filters" in response.content
    response = _office_client(admin).get("/security/events/?since=2026-03-02&until=2026-03-01")
    assert response.status_code == 400
    assert b"The end comes before the start." in response.content


def test_the_log_is_paginated(admin, leader):
    SecurityEvent.objects.bulk_create(
        SecurityEvent(kind=Kind.SIGN_OUT, actor_name="leader", subject_name="leader")
        for _ in range(120)
    )
    client = _office_client(admin)
    first = client.get("/security/events/?kind=sign_out")
    assert len(first.context["page"].object_list) == 50
    assert b'kind=sign_out&amp;page=2" rel="next"' in first.content
    last = client.get("/security/events/?kind=sign_out&page=3")
    assert len(last.context["page"].object_list) == 20
    assert client.get("/security/events/?page=999").status_code == 200  # the last page


def test_csv_export_is_utf8_with_bom_and_formula_safe(admin, settings):
    settings.AXES_ENABLED = False
    client = _office_client(admin)
    SecurityEvent.objects.all().delete()
    via_proxy(Client()).post("/accounts/login/", {"login": "=HYPERLINK(1)", "password": "x"})
    security_event_record(kind=Kind.SIGN_IN, actor=admin, subject=admin, details={"é": "ü"})
    response = client.get("/security/events/?format=csv")
    assert response.status_code == 200
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert response["Content-Disposition"].startswith('attachment; filename="security-log-')
    body = b"".join(response.streaming_content)
    assert body.startswith(b"\xef\xbb\xbf")
    rows = list(csv.DictReader(io.StringIO(body.decode("utf-8-sig"))))
    assert [r["kind"] for r in rows] == ["sign_in", "sign_in_failed"]
    assert rows[0]["details"] == '{"é":"ü"}'
    assert rows[1]["subject"] == "'=HYPERLINK(1)"
    assert rows[1]["ip"] == CLIENT_IP
    assert rows[1]["request_id"] == "req-42"


def test_csv_export_follows_the_filters(admin, leader):
    security_event_record(kind=Kind.SIGN_IN, actor=leader, subject=leader)
    security_event_record(kind=Kind.SIGN_OUT, actor=leader, subject=leader)
    response = _office_client(admin).get("/security/events/?kind=sign_out&format=csv")
    rows = list(
        csv.DictReader(io.StringIO(b"".join(response.streaming_content).decode("utf-8-sig")))
    )
    assert [r["kind"] for r in rows] == ["sign_out"]


# --- the API ----------------------------------------------------------------------------------
def test_api_lists_events_for_the_office_with_filters(admin, leader):
    security_event_record(kind=Kind.SIGN_IN, actor=leader, subject=leader)
    security_event_record(kind=Kind.SIGN_OUT, actor=leader, subject=leader)
    client = APIClient()
    client.force_login(admin)
    body = client.get("/api/v1/security-events/?kind=sign_out&person=leader").json()
    assert [r["kind"] for r in body["results"]] == ["sign_out"]
    assert body["results"][0]["subject"] == "leader"
    csv_body = client.get("/api/v1/security-events/?format=csv").content.decode("utf-8-sig")
    assert csv_body.splitlines()[0].startswith("id,at,kind,actor")


def test_api_needs_an_admin_scope_token(admin, leader):
    from tests.api.conftest import token_client

    security_event_record(kind=Kind.SIGN_IN, actor=leader, subject=leader)
    assert (
        token_client(admin, ApiToken.Scope.READ).get("/api/v1/security-events/").status_code == 403
    )
    assert (
        token_client(admin, ApiToken.Scope.ADMIN).get("/api/v1/security-events/").status_code == 200
    )


# --- retention --------------------------------------------------------------------------------
def test_events_past_the_retention_are_pruned(db, settings, time_machine):
    settings.SECURITY_LOG_RETENTION_DAYS = 365
    now = dt.datetime(2026, 11, 30, 3, 45, tzinfo=dt.UTC)
    time_machine.move_to(now, tick=False)
    old = SecurityEvent.objects.create(kind=Kind.SIGN_IN, at=now - dt.timedelta(days=366))
    edge = SecurityEvent.objects.create(kind=Kind.SIGN_IN, at=now - dt.timedelta(days=364))
    young = SecurityEvent.objects.create(kind=Kind.SIGN_IN, at=now)
    from security.tasks import security_events_prune as task

    assert task.delay().get() == 1
    assert set(SecurityEvent.objects.values_list("pk", flat=True)) == {edge.pk, young.pk}
    assert not SecurityEvent.objects.filter(pk=old.pk).exists()


def test_retention_zero_keeps_everything(db, settings):
    settings.SECURITY_LOG_RETENTION_DAYS = 0
    SecurityEvent.objects.create(kind=Kind.SIGN_IN, at=timezone.now() - dt.timedelta(days=5000))
    assert security_events_prune() == 0
    assert SecurityEvent.objects.count() == 1


def test_prune_runs_daily_from_beat(settings):
    entry = settings.CELERY_BEAT_SCHEDULE["security-events-prune"]
    assert entry["task"] == "security.events_prune"


def test_page_query_count_is_constant(admin, django_assert_num_queries):
    client = _office_client(admin)
    for rows in (3, 60):
        SecurityEvent.objects.bulk_create(
            SecurityEvent(kind=Kind.SIGN_OUT, actor_name="x", subject_name="x") for _ in range(rows)
        )
        # session, user, office group; count, page of events
        with django_assert_num_queries(5):
            assert client.get("/security/events/?kind=sign_out").status_code == 200
