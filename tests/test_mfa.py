"""Second factor (issue #21 §1): every sign-in (pages, /admin/, the browsable API) goes through
django-allauth's password check and then the person's second factor; the strategy office and
staff must have one when MFA_REQUIRED_FOR_STAFF is on; SSO_ONLY turns passwords off.

Authenticator codes are computed here from RFC 6238 (not with allauth's own helper), so the
test also shows that a standard authenticator app's codes are accepted.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import re
import time

import pytest
from allauth.mfa.models import Authenticator
from django.core import mail
from django.test import Client

from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

PASSWORD = "correct-horse-battery"


def totp_code(secret: str, at: float | None = None) -> str:
    """RFC 6238 code (SHA-1, 30 s, 6 digits) of a base32 secret."""
    key = base64.b32decode(secret + "=" * (-len(secret) % 8))
    counter = int((time.time() if at is None else at) // 30)
    mac = hmac.new(key, counter.to_bytes(8, "big"), hashlib.sha1).digest()
    offset = mac[-1] & 0x0F
    value = int.from_bytes(mac[offset : offset + 4], "big") & 0x7FFFFFFF
    return f"{value % 1_000_000:06d}"


def enrol_totp(client: Client) -> str:
    """Adds an authenticator app through the pages, as a person would: reads the secret the
    activation page shows, answers with the app's code. Returns the secret."""
    page = client.get("/accounts/2fa/totp/activate/")
    assert page.status_code == 200, page.status_code
    secret = re.search(r'id="authenticator_secret"[^>]* value="([A-Z2-7]+)"', page.content.decode())
    assert secret, "the activation page shows the secret"
    response = client.post("/accounts/2fa/totp/activate/", {"code": totp_code(secret[1])})
    assert response.status_code == 302, response.content.decode()[:3000]
    return secret[1]


def signed_in_user_id(client: Client) -> str | None:
    return client.session.get("_auth_user_id")


@pytest.fixture
def enrolled(db):
    """A person with an authenticator app (enrolled through the pages) and recovery codes."""
    user = UserFactory(username="guarded")
    client = Client()
    client.force_login(user)
    secret = enrol_totp(client)
    return user, secret


def test_a_person_with_a_second_factor_needs_it_after_the_password(enrolled):
    user, secret = enrolled
    client = Client()
    response = client.post("/accounts/login/", {"login": "guarded", "password": PASSWORD})
    assert response.status_code == 302
    assert response["Location"] == "/accounts/2fa/authenticate/"
    assert signed_in_user_id(client) is None  # the password alone signs nobody in
    assert client.get("/overview/").status_code == 302

    wrong = client.post("/accounts/2fa/authenticate/", {"code": "000000"})
    assert wrong.status_code == 200
    assert "Incorrect code" in wrong.content.decode()
    assert signed_in_user_id(client) is None

    right = client.post("/accounts/2fa/authenticate/", {"code": totp_code(secret)})
    assert right.status_code == 302
    assert signed_in_user_id(client) == str(user.pk)


def test_a_recovery_code_replaces_the_app_once(enrolled):
    user, _secret = enrolled
    codes = Authenticator.objects.get(user=user, type=Authenticator.Type.RECOVERY_CODES)
    from allauth.mfa.recovery_codes.internal.auth import RecoveryCodes

    code = RecoveryCodes(codes).get_unused_codes()[0]
    for expected_user in (str(user.pk), None):
        client = Client()
        client.post("/accounts/login/", {"login": "guarded", "password": PASSWORD})
        client.post("/accounts/2fa/authenticate/", {"code": code})
        assert signed_in_user_id(client) == expected_user  # the second use fails


def test_admin_sign_in_goes_through_the_same_password_and_second_factor(db):
    staff = UserFactory(username="staffer", is_staff=True, is_superuser=True)
    client = Client()
    client.force_login(staff)
    secret = enrol_totp(client)
    client = Client()
    response = client.get("/admin/")
    assert response["Location"] == "/admin/login/?next=/admin/"
    response = client.get(response["Location"])
    assert response["Location"] == "/accounts/login/?next=%2Fadmin%2F"
    response = client.post(
        "/accounts/login/", {"login": "staffer", "password": PASSWORD, "next": "/admin/"}
    )
    assert response["Location"] == "/accounts/2fa/authenticate/"
    assert client.get("/admin/").status_code == 302
    response = client.post("/accounts/2fa/authenticate/", {"code": totp_code(secret)})
    assert response["Location"] == "/admin/"
    assert client.get("/admin/").status_code == 200


def test_the_browsable_api_login_is_the_site_sign_in(enrolled):
    _user, secret = enrolled
    client = Client()
    response = client.get("/api/auth/login/?next=/api/v1/teams/")
    assert response["Location"] == "/accounts/login/?next=/api/v1/teams/"
    client.post("/accounts/login/", {"login": "guarded", "password": PASSWORD})
    assert client.get("/api/v1/teams/").status_code == 401  # not signed in before the code
    client.post("/accounts/2fa/authenticate/", {"code": totp_code(secret)})
    assert signed_in_user_id(client) == str(_user.pk)
    assert client.get("/api/v1/teams/").status_code == 403  # signed in; in no team


# --- mandatory second factor ------------------------------------------------------------------
@pytest.fixture
def required(settings):
    settings.MFA_REQUIRED_FOR_STAFF = True


@pytest.mark.parametrize("who", ["office", "staff", "superuser"])
def test_office_and_staff_must_enrol_before_any_page(who, required, admin, plan):
    person = {
        "office": admin,
        "staff": UserFactory(username="staffer", is_staff=True),
        "superuser": UserFactory(username="root", is_superuser=True),
    }[who]
    client = Client()
    client.force_login(person)
    for url in ("/", "/overview/", "/my-work/", "/alerts/", "/admin/", "/accounts/sessions/"):
        response = client.get(url)
        assert response.status_code == 302, url
        assert response["Location"] == "/accounts/2fa/", url
    api = client.get("/api/v1/teams/")
    assert api.status_code == 403
    assert api.json()["code"] == "mfa_required"
    htmx = client.post("/alerts/1/acknowledge/", headers={"HX-Request": "true"})
    assert htmx["HX-Redirect"] == "/accounts/2fa/"
    page = client.get("/accounts/2fa/")
    assert page.status_code == 200
    assert "Your role requires a second factor" in page.content.decode()

    enrol_totp(client)
    assert client.get("/admin/" if who == "staff" else "/overview/").status_code == 200
    assert b"mfa_required" not in client.get("/api/v1/teams/").content


def test_people_outside_the_office_and_staff_are_not_forced(required, plan, leader, member):
    for person in (leader, member):
        client = Client()
        client.force_login(person)
        assert client.get("/my-work/").status_code == 200


def test_the_requirement_can_be_turned_off(settings, admin, plan):
    settings.MFA_REQUIRED_FOR_STAFF = False
    client = Client()
    client.force_login(admin)
    assert client.get("/overview/").status_code == 200


def test_a_forced_person_can_still_sign_out(required, admin):
    client = Client()
    client.force_login(admin)
    response = client.post("/accounts/logout/")
    assert response.status_code == 302
    assert signed_in_user_id(client) is None


def test_the_last_authenticator_app_of_a_forced_person_stays(required, admin):
    client = Client()
    client.force_login(admin)
    enrol_totp(client)
    response = client.post("/accounts/2fa/totp/deactivate/", {})
    assert response.status_code == 200
    assert Authenticator.objects.filter(user=admin, type=Authenticator.Type.TOTP).exists()


def test_others_may_remove_their_authenticator_app(enrolled):
    user, _secret = enrolled
    client = Client()
    client.force_login(user)
    assert client.post("/accounts/2fa/totp/deactivate/", {}).status_code == 302
    assert not Authenticator.objects.filter(user=user, type=Authenticator.Type.TOTP).exists()


# --- password reset (allauth, rate-limited) ----------------------------------------------------
def test_password_reset_mails_a_link_and_is_rate_limited(settings, leader):
    settings.ACCOUNT_RATE_LIMITS = {**settings.ACCOUNT_RATE_LIMITS, "reset_password": "3/h/key"}
    client = Client()
    codes = [
        client.post("/accounts/password/reset/", {"email": "leader@example.com"}).status_code
        for _ in range(4)
    ]
    assert codes == [302, 302, 302, 429]
    assert len(mail.outbox) == 3
    link = re.search(r"http://\S+/accounts/password/reset/key/\S+/", mail.outbox[0].body)
    assert link, mail.outbox[0].body
    page = client.get(link[0].replace("http://testserver", ""), follow=True)
    assert page.status_code == 200
    assert 'name="password1"' in page.content.decode()


def test_a_weak_new_password_is_refused_on_reset(leader, client):
    """The password rules (execsupport.passwords) hold on allauth's forms."""
    client.force_login(leader)
    response = client.post(
        "/accounts/password/change/",
        {"oldpassword": PASSWORD, "password1": "execsupport12", "password2": "execsupport12"},
    )
    assert response.status_code == 200
    leader.refresh_from_db()
    assert leader.check_password(PASSWORD)


def test_failures_from_many_addresses_do_not_lock_the_person_out_everywhere(leader):
    """allauth's per-account limit on failed sign-ins (5 in 5 minutes by default) let anyone
    who knows a username keep that person out; failures are limited per address (allauth)
    and per username and address together (django-axes)."""
    for n in range(8):
        Client().post(
            "/accounts/login/",
            {"login": "leader", "password": "guess"},
            REMOTE_ADDR=f"198.51.100.{n + 1}",
        )
    client = Client()
    response = client.post(
        "/accounts/login/", {"login": "leader", "password": PASSWORD}, REMOTE_ADDR="203.0.113.7"
    )
    assert response.status_code == 302
    assert signed_in_user_id(client) == str(leader.pk)


def test_failures_from_one_address_are_limited(settings, leader):
    settings.AXES_ENABLED = False  # allauth's own limit, apart from the lockout
    client = Client()
    pages = [
        client.post("/accounts/login/", {"login": f"guess{n}", "password": "x"}).content.decode()
        for n in range(11)
    ]
    assert "Too many failed login attempts" not in pages[9]
    assert "Too many failed login attempts" in pages[10]  # the 11th within a minute
    response = client.post("/accounts/login/", {"login": "leader", "password": PASSWORD})
    assert response.status_code == 200  # refused before the password is checked
    assert signed_in_user_id(client) is None


# --- secrets at rest --------------------------------------------------------------------------
def test_second_factor_secrets_are_stored_encrypted(enrolled):
    user, secret = enrolled
    stored = Authenticator.objects.get(user=user, type=Authenticator.Type.TOTP).data["secret"]
    assert secret not in stored
    assert stored.startswith("fernet:")
    seed = Authenticator.objects.get(user=user, type=Authenticator.Type.RECOVERY_CODES)
    assert seed.data["seed"].startswith("fernet:")


def test_a_rotated_secret_key_keeps_the_second_factor_when_the_old_one_is_a_fallback(
    enrolled, settings
):
    user, secret = enrolled
    old_key = settings.SECRET_KEY
    settings.SECRET_KEY = "a-new-secret-key-" + "x" * 40
    settings.SECRET_KEY_FALLBACKS = [old_key]
    client = Client()
    client.post("/accounts/login/", {"login": "guarded", "password": PASSWORD})
    client.post("/accounts/2fa/authenticate/", {"code": totp_code(secret)})
    assert signed_in_user_id(client) == str(user.pk)


def test_a_lost_secret_key_refuses_the_codes_without_an_error(enrolled, settings):
    _user, secret = enrolled
    settings.SECRET_KEY = "a-new-secret-key-" + "x" * 40
    settings.SECRET_KEY_FALLBACKS = []
    client = Client()
    client.post("/accounts/login/", {"login": "guarded", "password": PASSWORD})
    response = client.post("/accounts/2fa/authenticate/", {"code": totp_code(secret)})
    assert response.status_code == 200
    assert signed_in_user_id(client) is None
