"""Password rules (issue #21 §7): at least 12 characters, no breached password (a bundled list,
offline), no product or company name, Argon2 first with older hashes upgraded at sign-in."""

from __future__ import annotations

import socket

import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.hashers import make_password
from django.contrib.auth.password_validation import (
    CommonPasswordValidator,
    validate_password,
)
from django.core.exceptions import ValidationError

from execsupport.passwords import breached_passwords
from tests.factories import UserFactory


def _refusals(password: str) -> list[str]:
    try:
        validate_password(password)
    except ValidationError as error:
        return [e.code for e in error.error_list]
    return []


def test_eleven_characters_are_too_short(db):
    assert "password_too_short" in _refusals("Qv7#mPz!4kW")  # 11
    assert _refusals("Qv7#mPz!4kWx") == []  # 12


def test_the_breached_list_works_offline_and_is_larger_than_djangos(db, monkeypatch):
    def no_network(*args, **kwargs):
        raise AssertionError("no network call")

    monkeypatch.setattr(socket, "create_connection", no_network)
    monkeypatch.setattr(socket, "getaddrinfo", no_network)
    assert len(breached_passwords()) > 40_000  # Django alone: 20,000
    # In the zxcvbn (Xato) list, not in Django's default list, 12+ characters:
    assert CommonPasswordValidator().validate("chickenwing101") is None
    assert "password_breached" in _refusals("chickenwing101")
    assert "password_breached" in _refusals("1q2w3e4r5t6y")


def test_product_and_company_names_are_refused(company):
    company.name = "Northwind Traders"
    company.save()
    assert "password_context_word" in _refusals("my-ExecSupport-2026!")
    assert "password_context_word" in _refusals("north-wind.traders#9")
    assert _refusals("tangerine-orbit-48") == []


def test_argon2_first_and_older_hashes_upgraded_at_sign_in(client, db, settings):
    from execsupport import settings as configured  # the module: not the test's override

    settings.PASSWORD_HASHERS = configured.PASSWORD_HASHERS
    assert settings.PASSWORD_HASHERS[0].endswith("Argon2PasswordHasher")
    user = UserFactory(username="old-hash")
    user.password = make_password("tangerine-orbit-48", hasher="pbkdf2_sha256")
    user.save(update_fields=["password"])
    response = client.post(
        "/accounts/login/", {"login": "old-hash", "password": "tangerine-orbit-48"}
    )
    assert response.status_code == 302
    stored = get_user_model().objects.get(pk=user.pk).password
    assert stored.startswith("argon2$argon2id$")


@pytest.mark.parametrize("password", ["execsupport-demo"])
def test_the_demo_password_is_set_without_the_validators(password, db):
    """seed_demo sets its published password with set_password (no validators): still usable."""
    from demo.builder import DEMO_PASSWORD

    assert password == DEMO_PASSWORD
    assert _refusals(DEMO_PASSWORD)  # refused for a person choosing it...
    user = UserFactory()
    user.set_password(DEMO_PASSWORD)  # ...but the demo sets it directly
    assert user.check_password(DEMO_PASSWORD)
