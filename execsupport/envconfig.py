"""Reading deployment settings: secrets from files, Redis passwords and TLS, loopback hosts.

Used by ``execsupport/settings.py`` (no Django import here: settings are not configured yet)
and by the deployment checks in ``execsupport/checks.py``.
"""

from __future__ import annotations

import ipaddress
import ssl
from pathlib import Path
from urllib.parse import parse_qs, quote, urlsplit, urlunsplit

import environ
from django.core.exceptions import ImproperlyConfigured

REDIS_SCHEMES = frozenset({"redis", "rediss", "valkey", "valkeys"})
LOOPBACK_NAMES = frozenset({"localhost", "localhost.localdomain", "ip6-localhost"})


class SecretFileMapping(environ.FileAwareMapping):
    """``os.environ`` where ``X_FILE=/run/secrets/x`` supplies the value of ``X``.

    The Docker and Kubernetes way of passing secrets: the file's content is the value, without
    its trailing line break (``echo secret > file`` writes one). ``X_FILE`` wins over ``X``.
    A file that cannot be read stops start-up with ``ImproperlyConfigured`` naming the variable
    (django-environ's own mapping raises a bare ``FileNotFoundError`` and keeps the newline).
    """

    def __getitem__(self, key: str) -> str:
        if self.cache and key in self.files_cache:
            return self.files_cache[key]
        path = self.env.get(key + "_FILE")
        if not path:
            return self.env[key]
        try:
            value = Path(path).read_text(encoding="utf-8").rstrip("\r\n")
        except OSError as exc:
            raise ImproperlyConfigured(
                f"{key}_FILE={path} cannot be read ({exc.strerror or exc})."
            ) from None
        if self.cache:
            self.files_cache[key] = value
        return value


class SecretFileEnv(environ.Env):
    """django-environ's ``Env`` reading every variable through ``SecretFileMapping``."""

    ENVIRON = SecretFileMapping()


def is_loopback_host(host: str | None) -> bool:
    """True for ``localhost`` and loopback addresses (127.0.0.0/8, ::1); False for any other
    name or address, and for an empty host (a URL without one is not known to be local)."""
    if not host:
        return False
    host = host.strip("[]").lower()
    if host in LOOPBACK_NAMES:
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def redis_url_with_password(url: str, password: str) -> str:
    """``url`` with ``password`` put in, when ``url`` is a Redis URL that has none.

    ``redis://redis:6379/0`` + ``s3cr#t`` → ``redis://:s3cr%23t@redis:6379/0`` (quoted, so
    any character may be in the password). Other URLs, and Redis URLs that carry a password
    already, come back unchanged.
    """
    if not url or not password:
        return url
    parts = urlsplit(url)
    if parts.scheme not in REDIS_SCHEMES or parts.password:
        return url
    user = quote(parts.username or "", safe="")
    netloc = f"{user}:{quote(password, safe='')}@{parts.netloc.rpartition('@')[2]}"
    return urlunsplit(parts._replace(netloc=netloc))


def redis_tls_options(url: str, *, ca_certs: str = "") -> dict | None:
    """Celery's ``broker_use_ssl`` / ``redis_backend_use_ssl`` for a ``rediss://`` URL.

    Celery refuses a ``rediss://`` URL without ``ssl_cert_reqs``; the certificate is verified
    (``CERT_REQUIRED``) against the system's CAs or ``ca_certs``. None for other URLs and for a
    URL that chooses its own ``ssl_cert_reqs`` in its query string.
    """
    if not url:
        return None
    parts = urlsplit(url)
    if parts.scheme not in ("rediss", "valkeys") or "ssl_cert_reqs" in parse_qs(parts.query):
        return None
    options: dict = {"ssl_cert_reqs": ssl.CERT_REQUIRED}
    if ca_certs:
        options["ssl_ca_certs"] = ca_certs
    return options
