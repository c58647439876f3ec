"""Second-factor changes in the security log (issue #21 §8): added, removed, recovery codes
renewed and wrong codes, through django-allauth's own pages (its signals are sent after
commit, hence the captured on-commit callbacks)."""

from __future__ import annotations

import pytest
from django.test import Client

from security.models import SecurityEvent
from tests.factories import UserFactory
from tests.security.test_security_log import CLIENT_IP, PASSWORD, assert_from_client, via_proxy
from tests.test_mfa import enrol_totp

Kind = SecurityEvent.Kind


@pytest.fixture(autouse=True)
def _behind_one_proxy(settings):
    settings.TRUSTED_PROXY_COUNT = 1


@pytest.fixture
def person(db):
    return UserFactory(username="guarded")


def _events(kind: str) -> list[SecurityEvent]:
    return list(SecurityEvent.objects.filter(kind=kind).order_by("id"))


def test_enrolling_an_authenticator_app_is_written(person, django_capture_on_commit_callbacks):
    client = via_proxy(Client())
    client.force_login(person)
    with django_capture_on_commit_callbacks(execute=True):
        enrol_totp(client)
    added = _events(Kind.MFA_ADDED)
    # The app, and the recovery codes allauth makes with the first factor.
    assert sorted(e.details["type"] for e in added) == ["recovery_codes", "totp"]
    for event in added:
        assert (event.actor, event.subject) == (person, person)
        assert_from_client(event)
        assert set(event.details) == {"authenticator_id", "type"}  # no secret, no codes


def test_renewing_recovery_codes_and_removing_the_app_are_written(
    person, django_capture_on_commit_callbacks
):
    client = via_proxy(Client())
    client.force_login(person)
    with django_capture_on_commit_callbacks(execute=True):
        enrol_totp(client)
        renewed = client.post("/accounts/2fa/recovery-codes/generate/", {})
        assert renewed.status_code == 302, renewed.content[:2000]
        removed = client.post("/accounts/2fa/totp/deactivate/", {})
        assert removed.status_code == 302
    (reset,) = _events(Kind.MFA_RESET)
    assert (reset.subject, reset.details["type"]) == (person, "recovery_codes")
    assert_from_client(reset)
    # The app, then the recovery codes left without a factor.
    assert [e.details["type"] for e in _events(Kind.MFA_REMOVED)] == ["totp", "recovery_codes"]


def test_wrong_codes_are_written_and_counted(person, django_capture_on_commit_callbacks):
    enrolling = Client()
    enrolling.force_login(person)
    enrol_totp(enrolling)
    client = via_proxy(Client())
    client.post("/accounts/login/", {"login": "guarded", "password": PASSWORD})
    for _ in range(3):
        wrong = client.post("/accounts/2fa/authenticate/", {"code": "000000"})
        assert wrong.status_code == 200
    (failed,) = _events(Kind.MFA_FAILED)
    assert (failed.subject, failed.count, failed.ip) == (person, 3, CLIENT_IP)
