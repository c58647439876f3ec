"""Tokens, conditional GET, CSV, throttling, login brute force, errors and no leaks."""

from __future__ import annotations

import datetime as dt
import hashlib
from io import StringIO

import pytest
from axes.models import AccessAttempt
from django.core.management import CommandError, call_command
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone
from rest_framework.test import APIClient

from metrics.models import Alert, SubjectType
from strategy.models import ApiToken
from strategy.services import token_create, token_revoke
from tests.api.conftest import token_client
from tests.factories import GapScoreFactory, InitiativeFactory, KPIFactory, UserFactory


def bearer(secret: str) -> APIClient:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {secret}")
    return client


# --- tokens -----------------------------------------------------------------------------------
def test_token_is_stored_only_as_a_sha512_digest(plan, leader):
    token, secret = token_create(user=leader, name="BI", scopes=["read"], created_by=leader)
    assert secret.startswith("es_")
    stored = ApiToken.objects.get(pk=token.pk)
    assert secret not in {stored.digest, stored.token_key}
    assert stored.digest == hashlib.sha512(secret.encode()).hexdigest()
    assert bearer(secret).get("/api/v1/kpis/").status_code == 200


def test_last_used_time_is_recorded(plan, leader):
    token, secret = token_create(user=leader, name="BI", scopes=["read"], created_by=leader)
    assert token.last_used_at is None
    bearer(secret).get("/api/v1/teams/")
    token.refresh_from_db()
    assert token.last_used_at is not None
    assert (timezone.now() - token.last_used_at).total_seconds() < 60


def test_expired_token_is_refused(plan, leader):
    token, secret = token_create(
        user=leader,
        name="BI",
        scopes=["read"],
        created_by=leader,
        expires_at=timezone.now() + dt.timedelta(days=1),
    )
    ApiToken.objects.filter(pk=token.pk).update(expiry=timezone.now() - dt.timedelta(seconds=1))
    response = bearer(secret).get("/api/v1/teams/")
    assert response.status_code == 401
    assert response.json()["detail"] == "This token has expired."


def test_revoked_token_is_refused_and_kept_for_audit(plan, leader):
    token, secret = token_create(user=leader, name="BI", scopes=["read"], created_by=leader)
    assert token_revoke(token=token, by=leader) is True
    assert token_revoke(token=token, by=leader) is False
    response = bearer(secret).get("/api/v1/teams/")
    assert response.status_code == 401
    assert response.json()["detail"] == "This token has been revoked."
    assert ApiToken.objects.filter(pk=token.pk).exists()


def test_wrong_secret_with_a_real_prefix_is_refused(plan, leader):
    _, secret = token_create(user=leader, name="BI", scopes=["read"], created_by=leader)
    forged = secret[:-4] + ("0000" if secret[-4:] != "0000" else "1111")
    assert bearer(forged).get("/api/v1/teams/").status_code == 401


def test_token_of_deactivated_user_is_refused(plan, leader):
    _, secret = token_create(user=leader, name="BI", scopes=["read"], created_by=leader)
    leader.is_active = False
    leader.save()
    assert bearer(secret).get("/api/v1/teams/").status_code == 401


def test_viewer_cannot_get_a_write_scope(plan, viewer):
    with pytest.raises(Exception, match="only reads"):
        token_create(user=viewer, name="x", scopes=["write:measurements"], created_by=viewer)


def test_outsider_gets_no_token_and_unknown_scopes_are_refused(plan, outsider, leader):
    with pytest.raises(Exception, match="no role"):
        token_create(user=outsider, name="x", scopes=["read"], created_by=outsider)
    with pytest.raises(Exception, match="Choose one or more"):
        token_create(user=leader, name="x", scopes=["root"], created_by=leader)


def test_only_the_office_creates_tokens_for_others(plan, leader, member, admin):
    with pytest.raises(Exception, match="strategy office"):
        token_create(user=member, name="x", scopes=["read"], created_by=leader)
    token, _ = token_create(user=member, name="x", scopes=["read"], created_by=admin)
    assert token.created_by == admin


def test_token_never_exceeds_the_person_behind_it(plan, member):
    # The member's admin-scope token still cannot edit what only leaders edit.
    client = token_client(member, ApiToken.Scope.ADMIN)
    response = client.patch(f"/api/v1/kpis/{plan.kpi.key}/", {"name": "x"}, format="json")
    assert response.status_code == 403


def test_management_command_prints_the_secret_once(plan, leader):
    out, err = StringIO(), StringIO()
    call_command(
        "create_api_token", "leader", "--scope", "read", "--days", "30", stdout=out, stderr=err
    )
    secret = out.getvalue().strip()
    assert bearer(secret).get("/api/v1/teams/").status_code == 200
    token = ApiToken.objects.get(user=leader)
    assert 29 <= (token.expiry - timezone.now()).days <= 30
    with pytest.raises(CommandError, match="No such user"):
        call_command("create_api_token", "nobody")


def test_admin_site_creates_a_token_and_shows_it_once(plan, admin, leader, client):
    admin.is_staff = True
    admin.is_superuser = True
    admin.save()
    client.force_login(admin)
    response = client.post(
        reverse("admin:strategy_apitoken_add"),
        {"user": leader.pk, "name": "Sheet", "scopes": ["read"], "expiry": ""},
        follow=True,
    )
    messages = [str(m) for m in response.context["messages"]]
    secret = next(m.split(": ")[-1] for m in messages if "not be shown again" in m)
    assert bearer(secret).get("/api/v1/teams/").status_code == 200
    token = ApiToken.objects.get(name="Sheet")
    page = client.get(reverse("admin:strategy_apitoken_change", args=[token.pk]))
    assert secret not in page.content.decode()


# --- conditional GET --------------------------------------------------------------------------
@pytest.mark.parametrize("url", ["/api/v1/kpis/", "/api/v1/scores/"])
def test_unchanged_list_answers_304_and_a_change_a_new_etag(url, plan, leader):
    client = APIClient()
    client.force_login(leader)
    first = client.get(url)
    etag = first["ETag"]
    assert first.status_code == 200
    again = client.get(url, HTTP_IF_NONE_MATCH=etag)
    assert again.status_code == 304
    assert again.content == b""
    if "kpis" in url:
        KPIFactory(objective=plan.objective)
    else:
        GapScoreFactory(subject_type=SubjectType.TEAM, subject_id=plan.team.pk)
    changed = client.get(url, HTTP_IF_NONE_MATCH=etag)
    assert changed.status_code == 200
    assert changed["ETag"] != etag


@pytest.mark.parametrize("endpoint", ["kpis", "initiatives"])
def test_cached_page_is_reused_until_the_data_changes(endpoint, plan, leader):
    client = APIClient()
    client.force_login(leader)
    url = f"/api/v1/{endpoint}/"
    with CaptureQueriesContext(connection) as built:
        first = client.get(url).json()
    with CaptureQueriesContext(connection) as repeat:
        assert client.get(url).json() == first
    # Served from the cache: no page, score (or contributor) queries; auth and version.
    saved = {"kpis": 2, "initiatives": 3}[endpoint]
    assert len(repeat.captured_queries) == len(built.captured_queries) - saved
    item = plan.kpi if endpoint == "kpis" else plan.initiative
    item_url = f"{url}{item.pk}/"
    field = "name" if endpoint == "kpis" else "title"
    assert client.patch(item_url, {field: "Renamed"}, format="json").status_code == 200
    assert client.get(url).json()["results"][0][field] == "Renamed"


def test_etag_differs_per_person_and_per_filter(plan, leader, member):
    a, b = APIClient(), APIClient()
    a.force_login(leader)
    b.force_login(member)
    assert a.get("/api/v1/kpis/")["ETag"] != b.get("/api/v1/kpis/")["ETag"]
    assert a.get("/api/v1/kpis/")["ETag"] != a.get("/api/v1/kpis/?kind=leading")["ETag"]


def test_new_latest_score_changes_the_kpi_list_etag(plan, leader):
    client = APIClient()
    client.force_login(leader)
    etag = client.get("/api/v1/kpis/")["ETag"]
    GapScoreFactory(subject_type=SubjectType.KPI, subject_id=plan.kpi.pk, is_latest=False)
    assert client.get("/api/v1/kpis/", HTTP_IF_NONE_MATCH=etag).status_code == 304
    plan.score.is_latest = False
    plan.score.save()
    GapScoreFactory(subject_type=SubjectType.KPI, subject_id=plan.kpi.pk, status="off_track")
    assert client.get("/api/v1/kpis/", HTTP_IF_NONE_MATCH=etag).status_code == 200


# --- CSV --------------------------------------------------------------------------------------
def test_kpis_as_csv_with_flattened_score(plan, leader):
    client = APIClient()
    client.force_login(leader)
    response = client.get("/api/v1/kpis/?format=csv")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/csv")
    assert 'filename="kpi.csv"' in response["Content-Disposition"]
    lines = response.content.decode().splitlines()
    header = lines[0].split(",")
    assert {"key", "name", "latest_score.status", "latest_score.reason"} <= set(header)
    assert len(lines) == 2
    assert "win-rate" in lines[1]


def test_csv_by_accept_header_and_formula_cells_are_neutralised(plan, leader):
    KPIFactory(key="evil", name='=HYPERLINK("http://x")', objective=plan.objective)
    client = APIClient()
    client.force_login(leader)
    response = client.get("/api/v1/kpis/?key=evil", HTTP_ACCEPT="text/csv")
    body = response.content.decode()
    assert "'=HYPERLINK" in body
    assert "\n=HYPERLINK" not in body
    assert ",=HYPERLINK" not in body


def test_errors_are_json_even_when_csv_is_asked(plan, leader):
    client = APIClient()
    client.force_login(leader)
    response = client.get("/api/v1/kpis/?format=csv&team=abc")
    assert response.status_code == 400
    assert response["Content-Type"] == "application/json"
    assert response.json()["errors"][0]["field"] == "team"


# --- throttling -------------------------------------------------------------------------------
def test_token_throttle_answers_429_with_retry_after(plan, leader, settings):
    settings.API_THROTTLE_TOKEN = "3/min"
    client = token_client(leader, "read")
    codes = [client.get("/api/v1/teams/").status_code for _ in range(4)]
    assert codes == [200, 200, 200, 429]
    response = client.get("/api/v1/teams/")
    assert response.json()["code"] == "throttled"
    assert 0 < int(response["Retry-After"]) <= 60


def test_each_token_has_its_own_allowance_but_the_person_a_shared_one(plan, leader, settings):
    settings.API_THROTTLE_TOKEN = "2/min"
    settings.API_THROTTLE_USER = "4/min"
    one, two = token_client(leader, "read"), token_client(leader, "read")
    assert [one.get("/api/v1/teams/").status_code for _ in range(3)] == [200, 200, 429]
    assert two.get("/api/v1/teams/").status_code == 200  # its own token allowance...
    assert two.get("/api/v1/teams/").status_code == 429  # ...but the person's 4 are spent


def test_session_user_throttle(plan, leader, settings):
    settings.API_THROTTLE_USER = "2/min"
    client = APIClient()
    client.force_login(leader)
    assert [client.get("/api/v1/teams/").status_code for _ in range(3)] == [200, 200, 429]


# --- login brute force ------------------------------------------------------------------------
# One sign-in page for the site, the admin and the browsable API (django-allauth's); the admin's
# and the API's login URLs send there.
def test_login_is_locked_after_repeated_failures(plan, leader, settings):
    settings.AXES_FAILURE_LIMIT = 3
    url = "/accounts/login/"
    client = Client()
    codes = [client.post(url, {"login": "leader", "password": "wrong"}).status_code]
    codes += [client.post(url, {"login": "leader", "password": "wrong"}).status_code]
    codes += [client.post(url, {"login": "leader", "password": "wrong"}).status_code]
    assert codes == [200, 200, 429]  # the third failure reaches the limit and locks
    response = client.post(url, {"login": "leader", "password": "correct-horse-battery"})
    assert response.status_code == 429
    assert "_auth_user_id" not in client.session
    # axes counted each failure, and the attempt while locked out too
    assert AccessAttempt.objects.get(username="leader").failures_since_start == 4


@pytest.mark.parametrize("url", ["/admin/login/", "/api/auth/login/"])
def test_admin_and_api_logins_send_to_the_one_sign_in_page(url, plan, leader):
    """Their own password forms are gone: a password posted there signs nobody in."""
    leader.is_staff = True
    leader.save()
    client = Client()
    response = client.post(url, {"username": "leader", "password": "correct-horse-battery"})
    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/")
    assert "_auth_user_id" not in client.session
    assert client.get(f"{url}?next=/admin/")["Location"].startswith("/accounts/login/?next=")


def test_login_works_below_the_limit(plan, leader):
    client = Client()
    client.post("/accounts/login/", {"login": "leader", "password": "wrong"})
    response = client.post(
        "/accounts/login/", {"login": "leader", "password": "correct-horse-battery"}
    )
    assert response.status_code == 302
    assert client.session["_auth_user_id"] == str(leader.pk)


# --- errors and leaks -------------------------------------------------------------------------
def test_private_object_is_404_exactly_like_a_missing_one(plan, member, leader):
    client = APIClient()
    client.force_login(member)
    for url in (
        f"/api/v1/objectives/{plan.secret_objective.pk}/",
        f"/api/v1/initiatives/{plan.secret_initiative.pk}/",
        f"/api/v1/kpis/{plan.secret_kpi.key}/",
        f"/api/v1/kpis/{plan.secret_kpi.pk}/",
    ):
        hidden = [client.get(url), client.patch(url, {"title": "x"}, format="json")]
        missing_url = url.rsplit("/", 2)[0] + "/999999/"
        missing = [client.get(missing_url), client.patch(missing_url, {}, format="json")]
        assert [r.status_code for r in hidden] == [404, 404]
        assert [r.json() for r in hidden] == [r.json() for r in missing]


def test_referring_to_a_private_team_is_does_not_exist(plan, leader):
    client = APIClient()
    client.force_login(leader)
    payload = {
        "strategy": plan.strategy.pk,
        "theme": plan.theme.pk,
        "period": plan.period.pk,
        "title": "x",
        "start_date": "2026-01-01",
        "due_date": "2026-12-31",
    }
    hidden = client.post("/api/v1/objectives/", {**payload, "team": plan.secret_team.pk})
    missing = client.post("/api/v1/objectives/", {**payload, "team": 999999})
    assert hidden.status_code == missing.status_code == 400
    assert hidden.json()["errors"][0]["message"].replace(str(plan.secret_team.pk), "N") == (
        missing.json()["errors"][0]["message"].replace("999999", "N")
    )


def test_validation_error_from_the_model_has_field_detail(plan, leader):
    client = APIClient()
    client.force_login(leader)
    response = client.patch(
        f"/api/v1/objectives/{plan.objective.pk}/", {"due_date": "2025-01-01"}, format="json"
    )
    assert response.status_code == 400
    assert response.json()["errors"] == [
        {
            "field": "due_date",
            "code": "inconsistent",
            "message": "The due date must be after the start date.",
        }
    ]


@pytest.mark.parametrize(
    ("endpoint", "payload", "field"),
    [
        ("periods", {"start_date": "2027-01-01", "end_date": "2026-01-01"}, "end_date"),
        ("strategies", {"horizon_start": "2027-01-01", "horizon_end": "2027-01-01"}, "horizon_end"),
    ],
)
def test_date_order_errors_name_their_field(endpoint, payload, field, plan, admin):
    client = APIClient()
    client.force_login(admin)
    item = plan.period if endpoint == "periods" else plan.strategy
    response = client.patch(f"/api/v1/{endpoint}/{item.pk}/", payload, format="json")
    assert response.status_code == 400
    assert [error["field"] for error in response.json()["errors"]] == [field]


def test_deleting_a_referenced_object_is_a_409(plan, admin):
    client = APIClient()
    client.force_login(admin)
    response = client.delete(f"/api/v1/teams/{plan.team.pk}/")
    assert response.status_code == 409
    assert response.json()["code"] == "conflict"


def test_unknown_api_url_is_json_404_after_authentication(plan, leader):
    assert APIClient().get("/api/v1/nothing/").status_code == 401
    client = APIClient()
    client.force_login(leader)
    response = client.get("/api/v1/nothing/")
    assert response.status_code == 404
    assert response.json()["code"] == "not_found"


# --- behaviour of particular endpoints --------------------------------------------------------
def test_kpi_by_key_and_by_id(plan, leader):
    client = APIClient()
    client.force_login(leader)
    by_key = client.get(f"/api/v1/kpis/{plan.kpi.key}/").json()
    by_id = client.get(f"/api/v1/kpis/{plan.kpi.pk}/").json()
    assert by_key == by_id
    assert by_key["latest_score"]["status"] == "on_track"


def test_kpi_plan_change_needs_a_reason_and_is_recorded(plan, leader):
    client = APIClient()
    client.force_login(leader)
    url = f"/api/v1/kpis/{plan.kpi.key}/"
    refused = client.patch(url, {"target_value": 50}, format="json")
    assert refused.status_code == 400
    assert refused.json()["errors"][0]["field"] == "reason"
    ok = client.patch(url, {"target_value": 50, "reason": "Bigger market."}, format="json")
    assert ok.status_code == 200
    assert plan.kpi.target_revisions.get().reason == "Bigger market."


def test_member_updates_progress_of_own_initiative_but_not_its_definition(plan, member):
    client = APIClient()
    client.force_login(member)
    url = f"/api/v1/initiatives/{plan.initiative.pk}/"
    assert client.patch(url, {"progress": 55}, format="json").status_code == 200
    assert client.patch(url, {"progress": 60, "title": "x"}, format="json").status_code == 403


def test_member_completes_a_milestone_of_own_initiative(plan, member):
    client = APIClient()
    client.force_login(member)
    url = f"/api/v1/milestones/{plan.milestone.pk}/"
    response = client.patch(url, {"completed_on": "2026-05-30"}, format="json")
    assert response.status_code == 200
    assert response.json()["completed_on"] == "2026-05-30"


def test_alert_acknowledged_twice_is_a_conflict(plan, leader):
    client = APIClient()
    client.force_login(leader)
    url = f"/api/v1/alerts/{plan.alert.pk}/acknowledge/"
    assert client.post(url).json()["status"] == "acknowledged"
    second = client.post(url)
    assert second.status_code == 409
    assert Alert.objects.get(pk=plan.alert.pk).acknowledged_by == leader


def test_objective_tree_in_one_call(plan, leader):
    from tests.factories import ObjectiveFactory

    child = ObjectiveFactory(
        theme=plan.theme, period=plan.period, team=plan.team, parent=plan.objective
    )
    client = APIClient()
    client.force_login(leader)
    body = client.get("/api/v1/objectives/tree/").json()
    assert body["strategy"] == plan.strategy.pk
    root = next(n for n in body["roots"] if n["id"] == plan.objective.pk)
    assert [c["id"] for c in root["children"]] == [child.pk]
    assert plan.secret_objective.pk not in [n["id"] for n in body["roots"]]


def test_history_is_cursor_paginated(plan, leader):
    for _ in range(3):
        GapScoreFactory(subject_type=SubjectType.KPI, subject_id=plan.kpi.pk, is_latest=False)
    client = APIClient()
    client.force_login(leader)
    page = client.get(
        "/api/v1/scores/history/",
        {"subject_type": "kpi", "subject_id": plan.kpi.pk, "page_size": 2},
    ).json()
    assert len(page["results"]) == 2
    assert "cursor=" in page["next"]
    rest = client.get(page["next"]).json()
    assert len(rest["results"]) == 2


def test_filters_updated_since_and_team(plan, leader):
    client = APIClient()
    client.force_login(leader)
    future = (timezone.now() + dt.timedelta(days=1)).isoformat()
    assert client.get("/api/v1/initiatives/", {"updated_since": future}).json()["count"] == 0
    assert client.get("/api/v1/initiatives/", {"team": plan.team.pk}).json()["count"] == 1
    other = UserFactory()
    assert client.get("/api/v1/kpis/", {"owner": other.pk}).json()["count"] == 0


def test_schema_and_docs_are_served(client):
    assert client.get("/api/schema/").status_code == 200
    assert client.get("/api/docs/").status_code == 200


@pytest.mark.parametrize("endpoint", ["kpis", "initiatives", "scores"])
def test_page_count_and_links_come_from_the_version_query(endpoint, plan, leader):
    """The version query counts the rows; pages, count and links must still be right."""
    for _ in range(4):
        if endpoint == "kpis":
            KPIFactory(objective=plan.objective)
        else:
            item = InitiativeFactory(objective=plan.objective)
            GapScoreFactory(subject_type=SubjectType.INITIATIVE, subject_id=item.pk)
    client = APIClient()
    client.force_login(leader)
    everything = client.get(f"/api/v1/{endpoint}/", {"page_size": 500}).json()
    total = len(everything["results"])
    assert everything["count"] == total >= 5
    seen = []
    url = f"/api/v1/{endpoint}/?page_size=2"
    while url:
        page = client.get(url).json()
        assert page["count"] == total
        seen += [row["id"] for row in page["results"]]
        url = page["next"]
    assert seen == [row["id"] for row in everything["results"]]
    assert client.get(f"/api/v1/{endpoint}/", {"page_size": 2, "page": 99}).status_code == 404


def test_filter_forms_are_built_once_and_still_validate_every_request(plan, leader):
    from execsupport.viewsets import _FILTER_FORMS
    from metrics.api import KPIFilter

    client = APIClient()
    client.force_login(leader)
    assert client.get("/api/v1/kpis/", {"owner": "x"}).status_code == 400
    form_class = _FILTER_FORMS[KPIFilter]
    assert client.get("/api/v1/kpis/", {"owner": leader.pk}).status_code == 200
    bad = client.get("/api/v1/kpis/", {"owner": "0", "status": "nonsense"})
    assert bad.status_code == 400
    assert {e["field"] for e in bad.json()["errors"]} == {"owner", "status"}
    assert _FILTER_FORMS[KPIFilter] is form_class


@pytest.mark.parametrize(
    ("method", "url"),
    [
        ("get", "/api/v1/objectives/tree.csv"),
        ("get", "/api/v1/objectives/tree.json"),
        ("get", "/api/v1/scores/history.json?subject_type=kpi&subject_id=1"),
        ("post", "/api/v1/measurements/ingest.json"),
        ("post", "/api/v1/alerts/{alert}/acknowledge.json"),
        ("post", "/api/v1/alerts/{alert}/resolve.json"),
    ],
)
def test_actions_answer_their_format_suffix_urls(plan, leader, method, url):
    """The router gives every action a ``.<format>`` URL too: it once crashed the actions
    (500, "unexpected keyword argument 'format'"); found by the canary crawl."""
    client = APIClient()
    client.force_login(leader)
    response = getattr(client, method)(url.format(alert=plan.alert.pk), format="json")
    assert response.status_code < 500
