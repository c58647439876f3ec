"""API token life cycle (issue #21 §6): a maximum lifetime, revocation when the person's
password changes or they are deactivated, and the one-time secret kept out of cookies."""

from __future__ import annotations

import datetime as dt

import pytest
from django.contrib.auth.hashers import make_password
from django.core.exceptions import ValidationError
from django.utils import timezone

from strategy.models import ApiToken
from strategy.services import token_create
from tests.factories import MembershipFactory, UserFactory


def _person(**kwargs):
    """Someone with a role (a token of a person without one is refused as idle)."""
    user = UserFactory(**kwargs)
    MembershipFactory(user=user)
    return user


def _token(user, **kwargs) -> ApiToken:
    return token_create(user=user, name="BI", scopes=["read"], created_by=user, **kwargs)[0]


def test_a_token_without_expiry_gets_the_maximum_lifetime(db, settings):
    settings.API_TOKEN_MAX_TTL_DAYS = 90
    token = _token(_person())
    assert token.expiry is not None
    assert abs(token.expiry - (timezone.now() + dt.timedelta(days=90))) < dt.timedelta(minutes=1)
    with pytest.raises(ValidationError) as error:
        _token(_person(), expires_at=timezone.now() + dt.timedelta(days=91))
    assert "expires_at" in error.value.message_dict


def test_admin_creation_without_expiry_gets_the_maximum_and_no_cookie_holds_the_secret(
    client, db, settings
):
    settings.API_TOKEN_MAX_TTL_DAYS = 30
    office = UserFactory(is_superuser=True, is_staff=True)
    person = _person()
    client.force_login(office)
    response = client.post(
        "/admin/strategy/apitoken/add/",
        {"user": person.pk, "name": "Export", "scopes": ["read"], "expiry": ""},
        follow=True,
    )
    assert response.status_code == 200
    token = ApiToken.objects.get(user=person)
    assert token.expiry <= timezone.now() + dt.timedelta(days=30, minutes=1)
    page = response.content.decode()
    assert "it will not be shown again" in page
    secret = page.split("it will not be shown again: ", 1)[1].split("<", 1)[0].strip()
    assert secret.startswith(token.token_key)
    assert all(secret not in morsel.value for morsel in client.cookies.values())
    assert "messages" not in client.cookies


@pytest.mark.parametrize("change", ["set_password", "unusable", "deactivate"])
def test_tokens_are_revoked_when_the_password_changes_or_the_person_leaves(change, db):
    person, other = _person(), _person()
    mine, theirs = _token(person), _token(other)
    if change == "set_password":
        person.set_password("tangerine-orbit-48")
        person.save()
    elif change == "unusable":
        person.set_unusable_password()
        person.save(update_fields=["password"])
    else:
        person.is_active = False
        person.save()
    mine.refresh_from_db()
    theirs.refresh_from_db()
    assert mine.revoked_at is not None
    assert theirs.revoked_at is None


def test_sign_in_and_hash_upgrade_keep_the_tokens(client, db, settings):
    from execsupport import settings as configured

    settings.PASSWORD_HASHERS = configured.PASSWORD_HASHERS  # Argon2 first: upgrade at sign-in
    person = _person(username="keeps")
    person.password = make_password("tangerine-orbit-48", hasher="pbkdf2_sha256")
    person.save(update_fields=["password"])
    token = _token(person)
    response = client.post("/accounts/login/", {"login": "keeps", "password": "tangerine-orbit-48"})
    assert response.status_code == 302
    person.refresh_from_db()
    assert person.password.startswith("argon2$")
    token.refresh_from_db()
    assert token.revoked_at is None


def test_the_password_change_page_revokes_the_tokens(client, db):
    person = _person(username="changes")
    token = _token(person)
    client.force_login(person)
    response = client.post(
        "/accounts/password/change/",
        {
            "oldpassword": "correct-horse-battery",
            "password1": "tangerine-orbit-48",
            "password2": "tangerine-orbit-48",
        },
    )
    assert response.status_code == 302, response.content[:2000]
    token.refresh_from_db()
    assert token.revoked_at is not None


def test_admin_expiry_beyond_the_maximum_is_a_form_error(client, db, settings):
    settings.API_TOKEN_MAX_TTL_DAYS = 30
    office = UserFactory(is_superuser=True, is_staff=True)
    person = _person()
    client.force_login(office)
    late = timezone.now() + dt.timedelta(days=60)
    response = client.post(
        "/admin/strategy/apitoken/add/",
        {
            "user": person.pk,
            "name": "Export",
            "scopes": ["read"],
            "expiry_0": late.date().isoformat(),
            "expiry_1": "12:00:00",
        },
    )
    assert response.status_code == 200
    assert "At most 30 days" in response.content.decode()
    assert not ApiToken.objects.filter(user=person).exists()


def test_the_token_admin_get_form_takes_change_as_django_s_does(rf, db):
    """``ApiTokenAdmin.get_form`` accepts what ``ModelAdmin.get_form`` accepts, ``change``
    included (it used to take only ``request, obj, **kwargs``: a positional ``change`` was a
    TypeError), and still gives the creation form for a new token only."""
    from django.contrib import admin as django_admin

    from strategy.admin import ApiTokenAdmin, ApiTokenCreateForm

    model_admin = ApiTokenAdmin(ApiToken, django_admin.site)
    request = rf.get("/")
    request.user = UserFactory(is_staff=True, is_superuser=True)
    assert issubclass(model_admin.get_form(request, None, False), ApiTokenCreateForm)
    token = _token(_person())
    form = model_admin.get_form(request, token, True)
    assert not issubclass(form, ApiTokenCreateForm)
