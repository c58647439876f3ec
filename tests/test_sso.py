"""Single sign-on (issue #21 §1) against a real OpenID Connect provider that the test starts on
loopback (oidc-provider-mock): the full authorization-code flow with PKCE through
django-allauth (discovery, redirect, code exchange at the token endpoint, ID token signature
and claims, userinfo), never an outside service.

The provider's login page is answered the way a browser would (a form post naming the
subject); everything else is the real HTTP exchange between the app and the provider.
"""

from __future__ import annotations

from collections.abc import Iterator
from urllib.parse import parse_qs, urlsplit

import pytest
import requests
from allauth.socialaccount.models import SocialAccount
from django.contrib.auth import get_user_model
from django.test import Client
from oidc_provider_mock import run_server_in_thread

from tests.factories import UserFactory
from tests.test_mfa import enrol_totp, totp_code

pytestmark = pytest.mark.django_db

PASSWORD = "correct-horse-battery"


@pytest.fixture(scope="module")
def provider() -> Iterator[str]:
    """The provider's base URL (http://localhost:<port>), for this module's tests."""
    with run_server_in_thread(require_nonce=False) as server:
        yield f"http://localhost:{server.server_port}"


@pytest.fixture
def sso(provider, settings) -> str:
    settings.SOCIALACCOUNT_PROVIDERS = {
        "openid_connect": {
            "OAUTH_PKCE_ENABLED": True,
            "APPS": [
                {
                    "provider_id": "sso",
                    "name": "Acme SSO",
                    "client_id": "execsupport",
                    "secret": "client-secret",
                    "settings": {"server_url": provider},
                }
            ],
        }
    }
    return provider


def provider_user(provider: str, sub: str, **claims) -> None:
    """Sets who the provider says ``sub`` is (its user directory)."""
    response = requests.put(f"{provider}/users/{sub}", json=claims, timeout=5)
    assert response.status_code == 204, response.text


def sign_in_with_sso(client: Client, provider: str, sub: str, *, next_url: str = "/my-work/"):
    """The browser's part of the authorization-code flow; returns the app's answer to the
    provider's redirect back (the callback)."""
    start = client.post("/accounts/oidc/sso/login/", {"next": next_url})
    assert start.status_code == 302, start.content[:500]
    authorize = start["Location"]
    assert authorize.startswith(f"{provider}/oauth2/authorize?")
    query = parse_qs(urlsplit(authorize).query)
    assert query["response_type"] == ["code"]
    assert query["code_challenge_method"] == ["S256"]  # PKCE
    assert query["redirect_uri"] == ["http://testserver/accounts/oidc/sso/login/callback/"]
    # The person signs in at the provider, which sends the browser back with a code.
    back = requests.post(authorize, data={"sub": sub}, allow_redirects=False, timeout=5)
    assert back.status_code == 302, back.text[:500]
    callback = urlsplit(back.headers["Location"])
    assert callback.path == "/accounts/oidc/sso/login/callback/"
    assert "code" in parse_qs(callback.query)
    return client.get(f"{callback.path}?{callback.query}")


def signed_in_user_id(client: Client) -> str | None:
    return client.session.get("_auth_user_id")


def test_sso_signs_in_the_account_with_the_verified_address(sso, leader, plan):
    provider_user(sso, "acme-0042", email="LEADER@example.com", email_verified=True)
    client = Client()
    response = sign_in_with_sso(client, sso, "acme-0042")
    assert response.status_code == 302
    assert response["Location"] == "/my-work/"
    assert signed_in_user_id(client) == str(leader.pk)
    assert client.get("/my-work/").status_code == 200
    link = SocialAccount.objects.get(user=leader)
    assert (link.provider, link.uid) == ("sso", "acme-0042")

    # Later sign-ins match by the provider's subject, even after the address changed there.
    provider_user(sso, "acme-0042", email="l.eader@example.org", email_verified=True)
    again = Client()
    sign_in_with_sso(again, sso, "acme-0042")
    assert signed_in_user_id(again) == str(leader.pk)


def test_an_unknown_address_is_refused_and_no_account_is_made(sso, leader):
    provider_user(sso, "stranger", email="stranger@example.com", email_verified=True)
    users = get_user_model().objects.count()
    client = Client()
    response = sign_in_with_sso(client, sso, "stranger")
    assert response.status_code == 302
    assert response["Location"] == "/accounts/login/"
    assert signed_in_user_id(client) is None
    assert get_user_model().objects.count() == users
    assert not SocialAccount.objects.exists()
    page = client.get("/accounts/login/").content.decode()
    assert "no account here has that verified e-mail address" in page


def test_an_unverified_address_matches_nobody(sso, leader):
    provider_user(sso, "claims-leader", email="leader@example.com", email_verified=False)
    client = Client()
    sign_in_with_sso(client, sso, "claims-leader")
    assert signed_in_user_id(client) is None
    assert not SocialAccount.objects.exists()


def test_an_inactive_or_shared_address_matches_nobody(sso, db):
    UserFactory(username="gone", email="gone@example.com", is_active=False)
    UserFactory(username="twin1", email="twins@example.com")
    UserFactory(username="twin2", email="Twins@example.com")
    for sub, email in (("s-gone", "gone@example.com"), ("s-twins", "twins@example.com")):
        provider_user(sso, sub, email=email, email_verified=True)
        client = Client()
        sign_in_with_sso(client, sso, sub)
        assert signed_in_user_id(client) is None, email
    assert not SocialAccount.objects.exists()


def test_accounts_are_created_only_when_allowed(sso, settings, db):
    settings.SSO_CREATE_USERS = True
    provider_user(
        sso,
        "newcomer",
        email="newcomer@example.com",
        email_verified=True,
        preferred_username="newcomer",
        given_name="Nia",
        family_name="Newcomer",
    )
    client = Client()
    sign_in_with_sso(client, sso, "newcomer")
    user = get_user_model().objects.get(email="newcomer@example.com")
    assert signed_in_user_id(client) == str(user.pk)
    assert not user.has_usable_password()
    assert not user.is_staff  # no access beyond the memberships the office gives
    assert not user.groups.exists()


def test_a_second_factor_is_still_asked_after_sso(sso, leader, plan):
    client = Client()
    client.force_login(leader)
    secret = enrol_totp(client)
    provider_user(sso, "acme-0042", email="leader@example.com", email_verified=True)
    client = Client()
    response = sign_in_with_sso(client, sso, "acme-0042")
    assert response["Location"] == "/accounts/2fa/authenticate/"
    assert signed_in_user_id(client) is None
    client.post("/accounts/2fa/authenticate/", {"code": totp_code(secret)})
    assert signed_in_user_id(client) == str(leader.pk)


def test_the_sign_in_page_offers_the_provider(sso, client):
    html = client.get("/accounts/login/").content.decode()
    assert "Sign in with Acme SSO" in html
    assert 'name="password"' in html


# --- SSO_ONLY -----------------------------------------------------------------------------------
@pytest.fixture
def sso_only(sso, settings) -> str:
    settings.SSO_ONLY = True
    return sso


def test_sso_only_removes_password_sign_in(sso_only, leader, client):
    html = client.get("/accounts/login/").content.decode()
    assert "Sign in with Acme SSO" in html
    assert 'name="password"' not in html
    assert "Forgot your password" not in html
    response = client.post("/accounts/login/", {"login": "leader", "password": PASSWORD})
    assert response.status_code == 403
    assert signed_in_user_id(client) is None


def test_sso_only_removes_password_reset_and_change(sso_only, leader, client):
    assert client.get("/accounts/password/reset/").status_code == 404
    assert (
        client.post("/accounts/password/reset/", {"email": "leader@example.com"}).status_code == 404
    )
    client.force_login(leader)
    assert client.get("/accounts/password/change/").status_code == 404
    assert client.get("/accounts/password/set/").status_code == 404


def test_sso_only_accepts_no_password_anywhere(sso_only, leader, rf):
    """Even a password check reached another way (allauth's adapter) fails."""
    from allauth.account.adapter import get_adapter

    request = rf.post("/accounts/login/")
    assert get_adapter(request).authenticate(request, username="leader", password=PASSWORD) is None
    assert get_adapter(request).reauthenticate(leader, PASSWORD) is False


def test_sso_only_still_signs_in_with_the_provider(sso_only, leader, plan):
    provider_user(sso_only, "acme-0042", email="leader@example.com", email_verified=True)
    client = Client()
    sign_in_with_sso(client, sso_only, "acme-0042")
    assert signed_in_user_id(client) == str(leader.pk)
