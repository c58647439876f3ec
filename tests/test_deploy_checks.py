"""`check --deploy` fails on insecure production combinations (execsupport/checks.py).

Each check fires on its insecure combination and stays quiet otherwise. The last tests run the
real command in a subprocess with the environment a deployment would have.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.core.checks import Error, Warning
from django.core.checks.registry import registry

from execsupport import checks
from execsupport.checks import PUBLISHED_DEMO_PASSWORDS
from strategy.models import STRATEGY_OFFICE_GROUP
from tests.factories import UserFactory

ROOT = Path(__file__).resolve().parent.parent
DEMO = PUBLISHED_DEMO_PASSWORDS[0]
User = get_user_model()
CONSOLE = "django.core.mail.backends.console.EmailBackend"
SMTP = "django.core.mail.backends.smtp.EmailBackend"


def ids(messages) -> list[str]:
    return [message.id for message in messages]


@pytest.fixture
def production(settings):
    settings.DEBUG = False
    settings.ALLOW_PLAIN_HTTP = False
    settings.SESSION_COOKIE_SECURE = True
    settings.CSRF_COOKIE_SECURE = True
    settings.EMAIL_BACKEND = SMTP
    settings.EMAIL_HOST = "localhost"
    settings.EMAIL_USE_TLS = False
    settings.EMAIL_USE_SSL = False
    settings.CELERY_BROKER_URL = "memory://localhost/"
    settings.CELERY_RESULT_BACKEND = None
    settings.CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
    return settings


def test_the_checks_are_registered_as_deploy_checks():
    deploy_only = set(registry.get_checks(include_deployment_checks=True)) - set(
        registry.get_checks()
    )
    for check in (
        checks.check_email_backend,
        checks.check_secure_cookies,
        checks.check_redis_password,
        checks.check_demo_passwords,
    ):
        assert check in deploy_only


# --- e-mail -------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    "backend",
    [
        CONSOLE,
        "django.core.mail.backends.filebased.EmailBackend",
        "django.core.mail.backends.locmem.EmailBackend",
    ],
)
def test_console_or_file_email_in_production_is_an_error(production, backend):
    production.EMAIL_BACKEND = backend
    messages = checks.check_email_backend()
    assert ids(messages) == ["execsupport.E001"]
    assert isinstance(messages[0], Error)


def test_console_email_in_development_is_fine(production):
    production.EMAIL_BACKEND = CONSOLE
    production.DEBUG = True
    assert checks.check_email_backend() == []


def test_smtp_to_a_local_relay_or_with_tls_is_fine(production):
    assert checks.check_email_backend() == []  # localhost, no TLS: a relay on this machine
    production.EMAIL_HOST = "smtp.example.com"
    production.EMAIL_USE_TLS = True
    assert checks.check_email_backend() == []
    production.EMAIL_USE_TLS, production.EMAIL_USE_SSL = False, True
    assert checks.check_email_backend() == []


def test_plain_smtp_to_another_host_is_a_warning(production):
    production.EMAIL_HOST = "smtp.example.com"
    messages = checks.check_email_backend()
    assert ids(messages) == ["execsupport.W005"]
    assert isinstance(messages[0], Warning)


# --- cookies ------------------------------------------------------------------------------------
@pytest.mark.parametrize("name", ["SESSION_COOKIE_SECURE", "CSRF_COOKIE_SECURE"])
def test_a_cookie_without_secure_is_an_error_without_the_override(production, name):
    setattr(production, name, False)
    messages = checks.check_secure_cookies()
    assert ids(messages) == ["execsupport.E003"]
    assert name in messages[0].msg


def test_secure_cookies_or_the_explicit_override_pass(production):
    assert checks.check_secure_cookies() == []
    production.SESSION_COOKIE_SECURE = production.CSRF_COOKIE_SECURE = False
    production.ALLOW_PLAIN_HTTP = True
    assert checks.check_secure_cookies() == []


# --- Redis --------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("setting", "value"),
    [
        ("CELERY_BROKER_URL", "redis://redis:6379/0"),
        ("CELERY_BROKER_URL", "rediss://cache.internal:6380/0"),
        ("CELERY_RESULT_BACKEND", "redis://10.0.0.5:6379/1"),
        (
            "CACHES",
            {
                "default": {
                    "BACKEND": "execsupport.cache.ResilientRedisCache",
                    "LOCATION": "redis://redis:6379/3",
                }
            },
        ),
    ],
)
def test_redis_without_a_password_on_another_host_is_an_error(production, setting, value):
    setattr(production, setting, value)
    messages = checks.check_redis_password()
    assert ids(messages) == ["execsupport.E004"]


@pytest.mark.parametrize(
    "url",
    [
        "redis://127.0.0.1:6379/0",
        "redis://localhost:6379/0",
        "redis://[::1]:6379/0",
        "redis://:s3cret@redis:6379/0",
        "rediss://default:s3cret@cache.internal:6380/0",
    ],
)
def test_redis_on_loopback_or_with_a_password_passes(production, url):
    production.CELERY_BROKER_URL = url
    assert checks.check_redis_password() == []


# --- demo passwords -----------------------------------------------------------------------------
@pytest.mark.django_db
def test_a_superuser_with_the_demo_password_is_an_error(production):
    UserFactory(username="olivia", is_superuser=True, is_staff=True, password=DEMO)
    UserFactory(username="someone", is_staff=True)  # another password: fine

    messages = checks.check_demo_passwords()

    assert ids(messages) == ["execsupport.E002"]
    assert "olivia" in messages[0].msg
    assert "someone" not in messages[0].msg


@pytest.mark.django_db
def test_demo_logins_demo_people_and_the_strategy_office_are_checked(production):
    office = UserFactory(username="planner", password=DEMO)
    office.groups.add(Group.objects.get_or_create(name=STRATEGY_OFFICE_GROUP)[0])
    UserFactory(username="viewer", password=DEMO)
    UserFactory(username="ethan.clarke", email="ethan.clarke@brightwell.example")
    UserFactory(username="nadia.petrova", email="nadia.petrova@brightwell.example", password=DEMO)

    # The strategy office first (more power), then the demo logins and people.
    assert checks.users_with_demo_password() == ["planner", "viewer", "nadia.petrova"]


@pytest.mark.django_db
def test_no_demo_password_no_inactive_and_no_unusable_passwords_pass(production):
    UserFactory(username="office", is_superuser=True)  # a real password
    UserFactory(username="leader", is_active=False, password=DEMO)
    sso = UserFactory(username="member", is_staff=True)
    sso.set_unusable_password()
    sso.save()

    assert checks.check_demo_passwords() == []


@pytest.mark.django_db
def test_the_check_verifies_each_distinct_hash_once_and_at_most_the_limit(production, settings):
    # Seeded demo people share one hash: one verification covers all of them.
    shared = UserFactory(username="office", is_superuser=True, password=DEMO).password
    for n in range(5):
        UserFactory(username=f"p{n}", email=f"p{n}@brightwell.example")
    User.objects.filter(username__startswith="p").update(password=shared)
    for n in range(3):
        UserFactory(username=f"staff{n}", is_staff=True)  # each its own (salted) hash

    candidates = checks.demo_password_candidates(limit=50)
    assert len(candidates) == 4
    assert sorted(candidates[shared]) == ["office", "p0", "p1", "p2", "p3", "p4"]
    # Superusers first, then staff: the limit keeps the most powerful accounts.
    limited = checks.demo_password_candidates(limit=2)
    assert next(iter(limited)) == shared
    assert len(limited) == 2


@pytest.mark.django_db
def test_an_argon2_hash_of_the_demo_password_is_recognised(production, settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.Argon2PasswordHasher"]
    user = UserFactory(username="office", is_superuser=True, password=DEMO)
    assert user.password.startswith("argon2$")

    assert checks.users_with_demo_password() == ["office"]


@pytest.mark.django_db
def test_the_demo_password_check_is_off_in_development(production):
    UserFactory(username="office", is_superuser=True, password=DEMO)
    production.DEBUG = True
    assert checks.check_demo_passwords() == []


# --- the real command ---------------------------------------------------------------------------
def check_deploy(**env: str) -> subprocess.CompletedProcess:
    base = {
        "PATH": os.environ.get("PATH", ""),
        "HOME": os.environ.get("HOME", "/tmp"),
        "DEBUG": "false",
        "SECRET_KEY": "a-long-random-production-secret-" + "k" * 40,
        "ALLOWED_HOSTS": "execsupport.example.com",
    }
    return subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        cwd=ROOT,
        env={**base, **env},
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def test_check_deploy_fails_on_the_old_compose_defaults(tmp_path):
    # What docker-compose.yml used to set: console e-mail, cookies off, Redis without password.
    result = check_deploy(
        DATABASE_URL=f"sqlite:///{tmp_path / 'absent.sqlite3'}",
        EMAIL_URL="consolemail://",
        SESSION_COOKIE_SECURE="false",
        CSRF_COOKIE_SECURE="false",
        SECURE_SSL_REDIRECT="false",
        REDIS_URL="redis://redis:6379/0",
    )
    output = result.stdout + result.stderr
    assert result.returncode != 0
    for check_id in ("execsupport.E001", "execsupport.E003", "execsupport.E004"):
        assert check_id in output


def test_check_deploy_is_clean_with_the_secure_settings(tmp_path):
    result = check_deploy(
        DATABASE_URL=f"sqlite:///{tmp_path / 'absent.sqlite3'}",
        EMAIL_URL="smtp+tls://mailer:pw@smtp.example.com:587",
        REDIS_URL="redis://redis:6379/0",
        REDIS_PASSWORD="a-redis-password",
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "execsupport.E" not in result.stdout + result.stderr
