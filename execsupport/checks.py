"""Deployment checks (``manage.py check --deploy``): insecure combinations are errors.

Registered by ``strategy.apps`` with ``deploy=True``, so they run only with ``--deploy`` and
only judge production settings (``DEBUG=false``):

- ``execsupport.E001`` e-mail goes to the console, a file or memory: password-reset links
  would land in the logs or on disk.
- ``execsupport.E002`` an account signs in with a published demo password.
- ``execsupport.E003`` a session or CSRF cookie is sent over plain HTTP without the explicit
  ``ALLOW_PLAIN_HTTP=true`` override.
- ``execsupport.E004`` Redis without a password on a host other than this machine.
- ``execsupport.W005`` plain SMTP (no TLS) to a host other than this machine.

Silence one deliberately with ``SILENCED_SYSTEM_CHECKS`` only if you know why.
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path
from urllib.parse import urlsplit

from django.conf import settings
from django.core.checks import CheckMessage, Error, Info, Warning

from execsupport.auth import STRATEGY_OFFICE_GROUP
from execsupport.envconfig import REDIS_SCHEMES, is_loopback_host

# Published in the README: every demo person of `seed_demo` (outside production) signs in with
# one of these. Kept here, not in demo/builder, because the runtime image leaves the demo out
# and must still recognise them.
PUBLISHED_DEMO_PASSWORDS: tuple[str, ...] = ("execsupport-demo",)
# The fixed demo logins (demo/builder/org.py LOGIN_PERSONAS) and the demo people's e-mail
# domain (every other demo person has an address there).
DEMO_USERNAMES: tuple[str, ...] = ("office", "leader", "member", "viewer")
DEMO_EMAIL_DOMAIN = "brightwell.example"
# Password hashes are slow to verify on purpose (Django's Argon2 parameters: 0.1-0.9 s each,
# measured on a shared 2-core machine), so the check tries at most this many distinct hashes:
# superusers first, then staff, the strategy office, the demo logins and the demo people.
# Seeded demo people share one hash, so one verification covers all of them.
DEMO_PASSWORD_CHECK_LIMIT = 20

LEAKY_EMAIL_BACKENDS = {
    "django.core.mail.backends.console.EmailBackend": "the console (container logs)",
    "django.core.mail.backends.filebased.EmailBackend": "files on disk",
    "django.core.mail.backends.locmem.EmailBackend": "process memory (lost)",
}
SMTP_BACKEND = "django.core.mail.backends.smtp.EmailBackend"


def check_email_backend(**kwargs) -> list[CheckMessage]:
    """E001: console/file/memory e-mail in production; W005: plain SMTP to another host."""
    if settings.DEBUG:
        return []
    backend = settings.EMAIL_BACKEND
    if backend in LEAKY_EMAIL_BACKENDS:
        return [
            Error(
                f"E-mail is written to {LEAKY_EMAIL_BACKENDS[backend]} in production: "
                "password-reset links would be readable there.",
                hint="Set EMAIL_URL to your SMTP server, e.g. "
                "smtp+tls://user:password@smtp.example.com:587.",
                id="execsupport.E001",
            )
        ]
    if (
        backend == SMTP_BACKEND
        and not (settings.EMAIL_USE_TLS or settings.EMAIL_USE_SSL)
        and not is_loopback_host(settings.EMAIL_HOST)
    ):
        return [
            Warning(
                f"E-mail goes to {settings.EMAIL_HOST} over plain SMTP (no TLS): messages and "
                "the SMTP password cross the network in clear text.",
                hint="Remove EMAIL_USE_TLS=false, or use smtp+tls:// or smtp+ssl://.",
                id="execsupport.W005",
            )
        ]
    return []


def check_secure_cookies(**kwargs) -> list[CheckMessage]:
    """E003: a session or CSRF cookie without Secure in production, not explicitly allowed."""
    if settings.DEBUG or getattr(settings, "ALLOW_PLAIN_HTTP", False):
        return []
    off = [
        name
        for name in ("SESSION_COOKIE_SECURE", "CSRF_COOKIE_SECURE")
        if not getattr(settings, name)
    ]
    if not off:
        return []
    return [
        Error(
            f"{' and '.join(off)} {'is' if len(off) == 1 else 'are'} off in production: the "
            "cookie would also travel over plain HTTP, where anyone on the path can read it.",
            hint="Serve over HTTPS and remove the override, or set ALLOW_PLAIN_HTTP=true to "
            "say that this deployment is a local try over plain HTTP.",
            id="execsupport.E003",
        )
    ]


def redis_urls() -> list[tuple[str, str]]:
    """(setting name, URL) of every Redis connection configured: broker, results, caches."""
    found = [
        ("CELERY_BROKER_URL", getattr(settings, "CELERY_BROKER_URL", "") or ""),
        ("CELERY_RESULT_BACKEND", getattr(settings, "CELERY_RESULT_BACKEND", "") or ""),
    ]
    for alias, cache in settings.CACHES.items():
        locations = cache.get("LOCATION", "")
        for location in [locations] if isinstance(locations, str) else locations:
            found.append((f"CACHES[{alias!r}]", location))
    return [(name, url) for name, url in found if urlsplit(url).scheme in REDIS_SCHEMES]


def check_redis_password(**kwargs) -> list[CheckMessage]:
    """E004: a Redis URL without a password whose host is not this machine."""
    if settings.DEBUG:
        return []
    errors: list[CheckMessage] = []
    for name, url in redis_urls():
        parts = urlsplit(url)
        if parts.password or is_loopback_host(parts.hostname):
            continue
        errors.append(
            Error(
                f"{name} connects to Redis on {parts.hostname} without a password: anyone who "
                "can reach it can read and inject tasks.",
                hint="Start Redis with --requirepass and set REDIS_PASSWORD (or "
                "REDIS_PASSWORD_FILE); use rediss:// across untrusted networks.",
                id="execsupport.E004",
            )
        )
    return errors


def demo_password_candidates(*, limit: int = DEMO_PASSWORD_CHECK_LIMIT) -> dict[str, list[str]]:
    """{password hash: usernames} of the active accounts worth checking, at most ``limit``
    distinct hashes, most powerful accounts first (superusers, staff, strategy office, demo
    logins, demo people). Unusable passwords (SSO-only accounts) are left out."""
    from django.contrib.auth import get_user_model
    from django.contrib.auth.hashers import UNUSABLE_PASSWORD_PREFIX
    from django.db.models import Case, IntegerField, Q, Value, When

    User = get_user_model()
    office = Q(groups__name=STRATEGY_OFFICE_GROUP)
    demo = Q(username__in=DEMO_USERNAMES) | Q(email__iendswith=f"@{DEMO_EMAIL_DOMAIN}")
    rows = (
        User.objects.filter(is_active=True)
        .filter(Q(is_superuser=True) | Q(is_staff=True) | office | demo)
        .exclude(password__startswith=UNUSABLE_PASSWORD_PREFIX)
        .exclude(password="")
        .annotate(
            rank=Case(
                When(is_superuser=True, then=Value(0)),
                When(is_staff=True, then=Value(1)),
                When(office, then=Value(2)),
                default=Value(3),
                output_field=IntegerField(),
            )
        )
        .order_by("rank", "id")
        .values_list("username", "password")
        .distinct()
    )
    by_hash: dict[str, list[str]] = {}
    for username, encoded in rows.iterator(chunk_size=2000):
        if encoded in by_hash:
            if username not in by_hash[encoded]:
                by_hash[encoded].append(username)
        elif len(by_hash) < limit:
            by_hash[encoded] = [username]
    return by_hash


def users_with_demo_password(*, limit: int = DEMO_PASSWORD_CHECK_LIMIT) -> list[str]:
    """Usernames among ``demo_password_candidates`` whose password is a published demo
    password, most powerful accounts first. Costs one hash verification per distinct hash and
    demo password."""
    from django.contrib.auth.hashers import check_password

    found: list[str] = []
    for encoded, usernames in demo_password_candidates(limit=limit).items():
        if any(check_password(password, encoded) for password in PUBLISHED_DEMO_PASSWORDS):
            found.extend(usernames)
    return found


def _database_missing() -> bool:
    """An SQLite database file that does not exist yet: nothing to check, and connecting
    would create an empty file."""
    from django.db import connection

    name = str(connection.settings_dict.get("NAME") or "")
    return connection.vendor == "sqlite" and name != ":memory:" and not Path(name).exists()


def check_demo_passwords(**kwargs) -> list[CheckMessage]:
    """E002: an active account whose password is a published demo password."""
    if settings.DEBUG:
        return []
    from django.db import DatabaseError

    if _database_missing():
        return [Info("No database yet: demo passwords not checked.", id="execsupport.I002")]
    try:
        found = users_with_demo_password()
    except DatabaseError as exc:
        return [
            Info(
                f"Demo passwords not checked: the database cannot be read ({exc}).",
                id="execsupport.I002",
            )
        ]
    if not found:
        return []
    return [
        Error(
            f"{_names(found)} sign{'s' if len(found) == 1 else ''} in with the published demo "
            "password: anyone who read the README can sign in.",
            hint="Set a new password (manage.py changepassword <username>) or delete the demo "
            "people (manage.py seed_demo --reset in a non-production copy).",
            id="execsupport.E002",
        )
    ]


def _names(usernames: Iterable[str], *, shown: int = 10) -> str:
    usernames = list(usernames)
    text = ", ".join(usernames[:shown])
    if len(usernames) > shown:
        text += f" and {len(usernames) - shown} more"
    return text
