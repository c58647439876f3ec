"""Secrets and transport settings: ``*_FILE`` variables, Redis passwords and rediss://, SMTP
with TLS by default, SECRET_KEY_FALLBACKS, plain-HTTP override. Each in a fresh interpreter
with a controlled environment (settings are read at start-up)."""

from __future__ import annotations

import json

import pytest

from execsupport.envconfig import is_loopback_host, redis_url_with_password
from tests.test_settings import run

PROD = {"DEBUG": "false", "ALLOWED_HOSTS": "execsupport.example.com"}


def values(code: str, **env: str) -> dict:
    """Run ``code`` (which sets ``out``) after django.setup(); its ``out`` as a dict."""
    result = run(
        "import json, django; from django.conf import settings; django.setup()\n"
        + code
        + "\nprint(json.dumps(out, default=str))",
        **env,
    )
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout.strip().splitlines()[-1])


SETTINGS = (
    "out = {name: getattr(settings, name, None) for name in ("
    "'SECRET_KEY', 'SECRET_KEY_FALLBACKS', 'EMAIL_HOST', 'EMAIL_HOST_PASSWORD', "
    "'EMAIL_USE_TLS', 'EMAIL_USE_SSL', 'CELERY_BROKER_URL', 'CELERY_RESULT_BACKEND', "
    "'CELERY_BROKER_USE_SSL', 'CELERY_REDIS_BACKEND_USE_SSL', 'SESSION_COOKIE_SECURE', "
    "'CSRF_COOKIE_SECURE', 'SECURE_SSL_REDIRECT', 'SECURE_HSTS_SECONDS')}\n"
    "out['db'] = settings.DATABASES['default']\n"
    "out['cache'] = settings.CACHES['default']"
)


def test_secrets_are_read_from_files_named_by_file_variables(tmp_path):
    files = {
        "SECRET_KEY": "k" * 60,
        "DATABASE_URL": "postgres://app:db-pw@db.internal:5432/execsupport?sslmode=verify-full",
        "EMAIL_URL": "smtp+tls://mailer:mail-pw@smtp.example.com:587",
        "REDIS_PASSWORD": "redis/pw#1",
    }
    env = {**PROD, "REDIS_URL": "redis://redis:6379/0"}
    for name, content in files.items():
        path = tmp_path / name.lower()
        path.write_text(content + "\n")  # `echo secret > file` leaves a newline
        env[f"{name}_FILE"] = str(path)

    out = values(SETTINGS, **env)

    assert out["SECRET_KEY"] == "k" * 60
    assert out["db"]["PASSWORD"] == "db-pw"
    assert out["db"]["HOST"] == "db.internal"
    assert out["db"]["OPTIONS"]["sslmode"] == "verify-full"
    assert out["EMAIL_HOST_PASSWORD"] == "mail-pw"
    assert out["CELERY_BROKER_URL"] == "redis://:redis%2Fpw%231@redis:6379/0"


def test_a_file_variable_wins_over_the_plain_one_and_a_missing_file_is_named(tmp_path):
    path = tmp_path / "key"
    path.write_text("from-the-file-" + "f" * 50)
    out = values(SETTINGS, **PROD, SECRET_KEY="from-the-environment", SECRET_KEY_FILE=str(path))
    assert out["SECRET_KEY"].startswith("from-the-file-")

    result = run("import django; django.setup()", **PROD, SECRET_KEY_FILE=str(tmp_path / "nope"))
    assert result.returncode != 0
    assert "SECRET_KEY_FILE=" in result.stderr
    assert "cannot be read" in result.stderr


def test_redis_password_goes_into_broker_results_and_cache_urls():
    out = values(
        SETTINGS,
        **PROD,
        SECRET_KEY="x" * 60,
        REDIS_URL="redis://redis:6379/0",
        CELERY_RESULT_BACKEND="redis://redis:6379/1",
        CACHE_URL="rediscache://redis:6379/2",
        REDIS_PASSWORD="s3cret",
    )
    assert out["CELERY_BROKER_URL"] == "redis://:s3cret@redis:6379/0"
    assert out["CELERY_RESULT_BACKEND"] == "redis://:s3cret@redis:6379/1"
    assert out["cache"]["LOCATION"] == "redis://:s3cret@redis:6379/2"


def test_rediss_urls_are_accepted_by_celery_and_the_cache(tmp_path):
    # Celery refuses rediss:// without ssl_cert_reqs ("A rediss:// URL must have parameter
    # ssl_cert_reqs"); the settings verify the certificate by default.
    ca = tmp_path / "ca.pem"
    ca.write_text("")
    code = (
        SETTINGS + "\nimport ssl\nfrom execsupport.celery import app\n"
        "backend = app.backend\n"
        "conn = app.connection_for_write()\n"
        "out['backend_ssl'] = backend.connparams['ssl_cert_reqs'] == ssl.CERT_REQUIRED\n"
        "out['backend_ca'] = backend.connparams.get('ssl_ca_certs')\n"
        "out['broker_transport'] = conn.transport_cls\n"
        "out['broker_ssl'] = conn.ssl\n"
        "from django.core.cache import cache\n"
        "out['cache_conn'] = cache._cache._get_connection_pool(True).connection_class.__name__"
    )
    out = values(
        code,
        **PROD,
        SECRET_KEY="x" * 60,
        REDIS_URL="rediss://cache.example.net:6380/0",
        CELERY_RESULT_BACKEND="rediss://cache.example.net:6380/1",
        CACHE_URL="rediss://cache.example.net:6380/2",
        REDIS_PASSWORD="s3cret",
        REDIS_TLS_CA_CERTS=str(ca),
    )
    assert out["CELERY_BROKER_URL"] == "rediss://:s3cret@cache.example.net:6380/0"
    assert out["broker_transport"] == "rediss"
    assert out["broker_ssl"]["ssl_ca_certs"] == str(ca)
    assert out["backend_ssl"] is True
    assert out["backend_ca"] == str(ca)
    assert out["cache"]["LOCATION"] == "rediss://:s3cret@cache.example.net:6380/2"
    assert out["cache_conn"] == "SSLConnection"


@pytest.mark.parametrize(
    ("url", "tls", "ssl"),
    [
        ("smtp://mailer:pw@smtp.example.com:587", True, False),  # TLS by default
        ("smtp+tls://mailer:pw@smtp.example.com:587", True, False),
        ("smtp+ssl://mailer:pw@smtp.example.com:465", False, True),
        ("smtp://localhost:25", False, False),  # a relay on this machine
    ],
)
def test_smtp_uses_tls_by_default(url, tls, ssl):
    out = values(SETTINGS, **PROD, SECRET_KEY="x" * 60, EMAIL_URL=url)
    assert (bool(out["EMAIL_USE_TLS"]), bool(out["EMAIL_USE_SSL"])) == (tls, ssl)


def test_plain_smtp_needs_an_explicit_switch():
    out = values(
        SETTINGS,
        **PROD,
        SECRET_KEY="x" * 60,
        EMAIL_URL="smtp://smtp.example.com:25",
        EMAIL_USE_TLS="false",
    )
    assert out["EMAIL_USE_TLS"] is False


def test_allow_plain_http_turns_the_https_defaults_off_explicitly():
    secure = values(SETTINGS, **PROD, SECRET_KEY="x" * 60)
    assert secure["SESSION_COOKIE_SECURE"] is True
    assert secure["SECURE_SSL_REDIRECT"] is True
    assert secure["SECURE_HSTS_SECONDS"] == 31536000

    plain = values(SETTINGS, **PROD, SECRET_KEY="x" * 60, ALLOW_PLAIN_HTTP="true")
    assert plain["SESSION_COOKIE_SECURE"] is False
    assert plain["CSRF_COOKIE_SECURE"] is False
    assert plain["SECURE_SSL_REDIRECT"] is False
    assert plain["SECURE_HSTS_SECONDS"] == 0


SIGN = (
    "from django.contrib.sessions.backends.signed_cookies import SessionStore\n"
    "from django.core import signing\n"
    "s = SessionStore(); s['who'] = 'olivia'; s.save()\n"
    "out = {'session': s.session_key, 'reset': signing.dumps('reset-olivia')}"
)
LOAD = (
    "import os\n"
    "from django.contrib.sessions.backends.signed_cookies import SessionStore\n"
    "from django.core import signing\n"
    "out = {'session': SessionStore(session_key=os.environ['SIGNED_SESSION']).load()}\n"
    "try:\n"
    "    out['reset'] = signing.loads(os.environ['SIGNED_VALUE'])\n"
    "except signing.BadSignature:\n"
    "    out['reset'] = None"
)


def test_secret_key_fallbacks_keep_sessions_signed_with_the_old_key_valid():
    old, new = "old-key-" + "o" * 50, "new-key-" + "n" * 50
    signed = values(SIGN, **PROD, SECRET_KEY=old)
    env = {**PROD, "SIGNED_SESSION": signed["session"], "SIGNED_VALUE": signed["reset"]}

    rotated = values(LOAD, **env, SECRET_KEY=new, SECRET_KEY_FALLBACKS=old)
    assert rotated == {"session": {"who": "olivia"}, "reset": "reset-olivia"}

    # Without the fallback the old signatures are refused: the fallback is what keeps them.
    dropped = values(LOAD, **env, SECRET_KEY=new)
    assert dropped == {"session": {}, "reset": None}


@pytest.mark.parametrize(
    ("host", "loopback"),
    [
        ("localhost", True),
        ("127.0.0.1", True),
        ("127.8.9.10", True),
        ("::1", True),
        ("[::1]", True),
        ("redis", False),
        ("10.0.0.1", False),
        ("", False),
        (None, False),
    ],
)
def test_is_loopback_host(host, loopback):
    assert is_loopback_host(host) is loopback


def test_redis_url_with_password_keeps_a_password_already_there_and_other_schemes():
    assert redis_url_with_password("redis://:a@h:1/0", "b") == "redis://:a@h:1/0"
    assert redis_url_with_password("redis://user@h:1/0", "p w") == "redis://user:p%20w@h:1/0"
    assert redis_url_with_password("memory://localhost/", "p") == "memory://localhost/"
    assert redis_url_with_password("redis://h:1/0", "") == "redis://h:1/0"


def test_health_probes_over_plain_http_are_answered_not_redirected(tmp_path):
    # docker-compose's health check calls http://127.0.0.1:8000/healthz inside the container;
    # with the HTTPS redirect on it got a 301 to https:// and the web service never got healthy.
    code = (
        "from django.test import Client\n"
        "client = Client(HTTP_HOST='127.0.0.1')\n"
        "out = {'healthz': client.get('/healthz').status_code, "
        "'page': client.get('/accounts/login/').status_code}"
    )
    out = values(
        code,
        **{**PROD, "ALLOWED_HOSTS": "execsupport.example.com,127.0.0.1"},
        SECRET_KEY="x" * 60,
        DATABASE_URL=f"sqlite:///{tmp_path / 'db.sqlite3'}",
    )
    assert out == {"healthz": 200, "page": 301}
