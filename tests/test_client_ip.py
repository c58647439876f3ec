"""The client's address behind reverse proxies (issue #21 §4): one resolver, read from the right
of X-Forwarded-For, used by the lockout, the API throttles and the page rate limits."""

from __future__ import annotations

import pytest
from django.test import Client
from django.urls import path
from rest_framework.test import APIClient

from execsupport import urls as root_urls
from execsupport.client_ip import client_ip
from execsupport.ratelimit import InvitationThrottle, rate_limited

PROXY = "10.0.0.2"
PASSWORD = "correct-horse-battery"


def _request(rf, *, remote=PROXY, xff=None):
    extra = {"REMOTE_ADDR": remote}
    if xff is not None:
        extra["HTTP_X_FORWARDED_FOR"] = xff
    return rf.get("/", **extra)


@pytest.mark.parametrize(
    ("count", "remote", "xff", "expected"),
    [
        (0, "198.51.100.9", None, "198.51.100.9"),
        (0, "198.51.100.9", "203.0.113.7", "198.51.100.9"),  # no proxy trusted: header ignored
        (1, PROXY, "203.0.113.7", "203.0.113.7"),
        (1, PROXY, None, PROXY),  # came without the proxy's header
        # The client sent "1.1.1.1" itself; the proxy appended its real address.
        (1, PROXY, "1.1.1.1, 203.0.113.7", "203.0.113.7"),
        (1, PROXY, "1.1.1.1,2.2.2.2 , 203.0.113.7", "203.0.113.7"),
        (2, PROXY, "1.1.1.1, 203.0.113.7, 10.0.0.1", "203.0.113.7"),
        (2, PROXY, "203.0.113.7", "203.0.113.7"),  # fewer hops than proxies: the leftmost
        (1, PROXY, "203.0.113.7:51234", "203.0.113.7"),
        (1, PROXY, "[2001:db8::7]:443", "2001:db8::7"),
        (1, PROXY, "2001:DB8:0::7", "2001:db8::7"),
        (1, PROXY, "not-an-address", PROXY),
        (1, PROXY, "", PROXY),
        (0, "garbage", None, None),
    ],
)
def test_client_ip_reads_forwarded_for_from_the_right(rf, settings, count, remote, xff, expected):
    settings.TRUSTED_PROXY_COUNT = count
    assert client_ip(_request(rf, remote=remote, xff=xff)) == expected


def test_client_cannot_choose_its_address_by_adding_entries(rf, settings):
    settings.TRUSTED_PROXY_COUNT = 1
    for forged in ("192.0.2.1", "192.0.2.1, 192.0.2.2", "x, y, z"):
        assert client_ip(_request(rf, xff=f"{forged}, 203.0.113.7")) == "203.0.113.7"


def test_negative_proxy_count_stops_start_up():
    import subprocess
    import sys

    result = subprocess.run(
        [sys.executable, "-c", "import django; django.setup()"],
        env={
            "DJANGO_SETTINGS_MODULE": "execsupport.settings",
            "DEBUG": "true",
            "TRUSTED_PROXY_COUNT": "-1",
            "PATH": "/usr/bin:/bin",
        },
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode != 0
    assert "TRUSTED_PROXY_COUNT" in result.stderr


# --- the lockout (django-axes) --------------------------------------------------------------
def _login(client: Client, *, username: str, password: str, ip: str, forged: str = ""):
    header = f"{forged}, {ip}" if forged else ip
    return client.post(
        "/accounts/login/",
        {"login": username, "password": password},
        REMOTE_ADDR=PROXY,
        HTTP_X_FORWARDED_FOR=header,
    )


@pytest.fixture
def behind_proxy(settings):
    settings.TRUSTED_PROXY_COUNT = 1
    settings.AXES_FAILURE_LIMIT = 3


def test_locked_account_still_signs_in_from_another_address(behind_proxy, leader):
    """Before: every request had the proxy's address, so an attacker who knew the leader's
    username kept the account locked for everyone."""
    attacker = Client()
    codes = [
        _login(attacker, username="leader", password="guess", ip="198.51.100.66").status_code
        for _ in range(4)
    ]
    assert codes == [200, 200, 429, 429]
    response = _login(Client(), username="leader", password=PASSWORD, ip="203.0.113.7")
    assert response.status_code == 302
    # ...while the attacker's address stays locked even with the right password.
    locked = _login(Client(), username="leader", password=PASSWORD, ip="198.51.100.66")
    assert locked.status_code == 429


def test_forged_forwarded_for_neither_escapes_nor_moves_the_lock(behind_proxy, leader):
    attacker = Client()
    for forged in ("203.0.113.7", "203.0.113.8", "203.0.113.9"):
        _login(attacker, username="leader", password="guess", ip="198.51.100.66", forged=forged)
    # The lock is on the attacker's real address, whatever it claimed to be...
    again = _login(
        attacker, username="leader", password=PASSWORD, ip="198.51.100.66", forged="203.0.113.1"
    )
    assert again.status_code == 429
    # ...and the leader at an address the attacker named is not locked.
    ok = _login(Client(), username="leader", password=PASSWORD, ip="203.0.113.7")
    assert ok.status_code == 302


def test_two_people_behind_the_same_proxy_are_not_locked_together(behind_proxy, leader, member):
    for _ in range(3):
        _login(Client(), username="member", password="guess", ip="198.51.100.5")
    locked = _login(Client(), username="member", password=PASSWORD, ip="198.51.100.5")
    assert locked.status_code == 429
    response = _login(Client(), username="leader", password=PASSWORD, ip="198.51.100.6")
    assert response.status_code == 302


def test_lockout_records_the_client_address_not_the_proxys(behind_proxy, leader):
    from axes.models import AccessAttempt

    _login(Client(), username="leader", password="guess", ip="198.51.100.66")
    assert list(AccessAttempt.objects.values_list("ip_address", flat=True)) == ["198.51.100.66"]


# --- API throttles --------------------------------------------------------------------------
def test_anonymous_api_allowance_is_per_client_behind_the_proxy(settings, db):
    settings.TRUSTED_PROXY_COUNT = 1
    settings.API_THROTTLE_ANON = "2/min"
    client = APIClient()

    def get(ip):
        return client.get("/api/schema/", REMOTE_ADDR=PROXY, HTTP_X_FORWARDED_FOR=ip).status_code

    assert [get("198.51.100.1") for _ in range(3)] == [200, 200, 429]
    assert get("198.51.100.2") == 200  # another client has its own allowance


def test_made_up_forwarded_for_buys_no_fresh_api_allowance(settings, db):
    """DRF keys anonymous requests on the whole X-Forwarded-For when NUM_PROXIES is unset:
    a client sending a new header each time was never throttled."""
    settings.API_THROTTLE_ANON = "2/min"
    client = APIClient()
    codes = [
        client.get(
            "/api/schema/", REMOTE_ADDR="198.51.100.1", HTTP_X_FORWARDED_FOR=f"192.0.2.{i}"
        ).status_code
        for i in range(3)
    ]
    assert codes == [200, 200, 429]


# --- page rate limits (execsupport.ratelimit) -----------------------------------------------
@rate_limited(InvitationThrottle)
def _send_view(request):
    from django.http import HttpResponse

    return HttpResponse("sent")


urlpatterns = [path("send/", _send_view), *root_urls.urlpatterns]


@pytest.mark.urls("tests.test_client_ip")
def test_rate_limited_action_is_429_per_person_and_per_address(settings, leader, member):
    settings.TRUSTED_PROXY_COUNT = 1
    settings.RATE_LIMIT_INVITATIONS = "2/hour"
    client = Client()
    client.force_login(leader)

    def send(c, ip):
        return c.post("/send/", REMOTE_ADDR=PROXY, HTTP_X_FORWARDED_FOR=ip)

    assert [send(client, "198.51.100.1").status_code for _ in range(2)] == [200, 200]
    refused = send(client, "198.51.100.2")  # a new address does not reset the person's count
    assert refused.status_code == 429
    assert 3500 <= int(refused["Retry-After"]) <= 3600
    assert b"Too many attempts" in refused.content
    assert client.get("/send/", REMOTE_ADDR=PROXY).status_code == 200  # showing is not sending
    other = Client()
    other.force_login(member)
    assert send(other, "198.51.100.3").status_code == 200  # another person, another address
    assert send(other, "198.51.100.1").status_code == 429  # the first address is spent


@pytest.mark.urls("tests.test_client_ip")
def test_rate_limit_can_be_switched_off(settings, leader):
    settings.RATE_LIMIT_INVITATIONS = ""
    client = Client()
    client.force_login(leader)
    assert {client.post("/send/").status_code for _ in range(30)} == {200}


def test_allauth_rate_limit_counts_each_client_behind_the_proxy(behind_proxy, settings, db):
    """django-allauth's own limit on failed sign-ins (ACCOUNT_RATE_LIMITS "login_failed", per
    address) asks the same resolver: one client spending it leaves the others theirs."""
    settings.AXES_ENABLED = False
    settings.ACCOUNT_RATE_LIMITS = {**settings.ACCOUNT_RATE_LIMITS, "login_failed": "3/m/ip"}
    refused = b"Too many failed login attempts"

    def attempt(name: str, ip: str) -> bytes:
        return _login(Client(), username=name, password="x", ip=ip).content

    assert [refused in attempt(f"guess{i}", "198.51.100.66") for i in range(4)] == [
        False,
        False,
        False,
        True,
    ]
    assert refused not in attempt("guess9", "203.0.113.7")


def test_allauth_asks_the_one_resolver(rf, settings):
    """allauth's own resolver read ALLAUTH_TRUSTED_PROXY_COUNT and raised ImproperlyConfigured
    (a 500) when X-Forwarded-For had fewer entries than the trusted proxies."""
    from allauth.account.adapter import get_adapter

    settings.TRUSTED_PROXY_COUNT = 2
    for xff in ("203.0.113.7", "1.1.1.1, 203.0.113.7, 10.0.0.1", None):
        request = _request(rf, xff=xff)
        assert get_adapter(request).get_client_ip(request) == client_ip(request)
