"""Settings behaviour, checked in fresh interpreter processes with a controlled environment."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PROBE = (
    "import json, django; from django.conf import settings; django.setup(); "
    "print(json.dumps({'engine': settings.DATABASES['default']['ENGINE'], "
    "'name': str(settings.DATABASES['default']['NAME']), "
    "'eager': settings.CELERY_TASK_ALWAYS_EAGER, 'broker': settings.CELERY_BROKER_URL, "
    "'debug': settings.DEBUG, 'secure_cookie': settings.SESSION_COOKIE_SECURE}))"
)
BASE_ENV = {
    "PATH": os.environ.get("PATH", ""),
    "HOME": os.environ.get("HOME", "/tmp"),
    "DJANGO_SETTINGS_MODULE": "execsupport.settings",
}


def run(code: str, **env: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-c", code],
        cwd=ROOT,
        env={**BASE_ENV, **env},
        capture_output=True,
        text=True,
        timeout=240,  # collectstatic compresses every file: minutes on a loaded 2-core machine
        check=False,
    )


def probe(**env: str) -> dict:
    result = run(PROBE, **env)
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout.strip().splitlines()[-1])


def test_embedded_default_is_a_sqlite_file_and_eager_celery():
    values = probe(DEBUG="true")

    assert values["engine"] == "django.db.backends.sqlite3"
    assert values["name"] == str(ROOT / "db.sqlite3")
    assert values["eager"] is True
    assert values["broker"] == "memory://localhost/"


def test_database_url_is_honoured():
    values = probe(DEBUG="true", DATABASE_URL="postgres://app:pw@db.internal:5433/execsupport")

    assert values["engine"] == "django.db.backends.postgresql"
    assert values["name"] == "execsupport"


def test_a_broker_url_turns_eager_mode_off():
    values = probe(DEBUG="true", REDIS_URL="redis://127.0.0.1:6379/0")

    assert values["eager"] is False
    assert values["broker"] == "redis://127.0.0.1:6379/0"


def test_production_refuses_to_start_without_secret_key():
    result = run(PROBE, DEBUG="false")

    assert result.returncode != 0
    assert "SECRET_KEY must be set" in result.stderr


def test_production_with_a_secret_key_is_strict():
    values = probe(DEBUG="false", SECRET_KEY="x" * 60)

    assert values["debug"] is False
    assert values["secure_cookie"] is True


def test_check_deploy_is_clean_with_production_settings():
    result = subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        cwd=ROOT,
        env={
            **BASE_ENV,
            "DEBUG": "false",
            "SECRET_KEY": "a-long-random-production-secret-" + "k" * 40,
            "ALLOWED_HOSTS": "execsupport.example.com",
        },
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )

    assert result.returncode == 0, result.stdout + result.stderr


def test_a_bad_forecast_setting_stops_start_up_with_the_setting_named():
    # Before: GAP_FORECAST_INTERVAL=80 (a percent) started fine and crashed every forecast.
    result = run(PROBE, DEBUG="true", GAP_FORECAST_INTERVAL="80")
    assert result.returncode != 0
    assert "ImproperlyConfigured" in result.stderr
    assert "GAP_FORECAST_INTERVAL must be a fraction strictly between 0 and 1" in result.stderr
    assert probe(DEBUG="true", GAP_FORECAST_INTERVAL="0.9")["debug"] is True


def test_production_serves_plotly_under_a_hashed_name_with_a_year_long_cache(tmp_path):
    code = f"""
import json, django
from django.conf import settings
django.setup()
settings.STATIC_ROOT = {str(tmp_path)!r}
from django.core.management import call_command
call_command("collectstatic", "--noinput", verbosity=0)
from django.templatetags.static import static
from django.test import Client
url = static("vendor/plotly/plotly-basic.min.js")
response = Client().get(url, HTTP_HOST="execsupport.example.com", secure=True)
print(json.dumps({{"url": url, "status": response.status_code,
                   "cache": response.headers.get("Cache-Control", "")}}))
"""
    result = run(
        code,
        DEBUG="false",
        SECRET_KEY="x" * 60,
        ALLOWED_HOSTS="execsupport.example.com",
    )
    assert result.returncode == 0, result.stderr
    values = json.loads(result.stdout.strip().splitlines()[-1])
    # ManifestStaticFilesStorage names the file by its content hash; WhiteNoise then caches it
    # for a year (immutable) because the name changes whenever the content does.
    assert values["url"].startswith("/static/vendor/plotly/plotly-basic.min.")
    assert values["url"] != "/static/vendor/plotly/plotly-basic.min.js"
    assert values["status"] == 200
    assert "max-age=315360000" in values["cache"]
    assert "immutable" in values["cache"]


# --- sign-in and sessions (issue #21 §1, §3) --------------------------------------------------
AUTH_PROBE = (
    "import json, django; from django.conf import settings; django.setup(); "
    "print(json.dumps({'session_cookie': settings.SESSION_COOKIE_NAME, "
    "'csrf_cookie': settings.CSRF_COOKIE_NAME, 'domain': settings.SESSION_COOKIE_DOMAIN, "
    "'path': settings.SESSION_COOKIE_PATH, 'mfa_required': settings.MFA_REQUIRED_FOR_STAFF, "
    "'sso_only': settings.SSO_ONLY, 'idle': settings.SESSION_IDLE_TIMEOUT_MINUTES, "
    "'max_hours': settings.SESSION_MAX_AGE_HOURS, 'cookie_age': settings.SESSION_COOKIE_AGE, "
    "'apps': settings.SOCIALACCOUNT_PROVIDERS['openid_connect']['APPS']}))"
)


def auth_probe(**env: str) -> dict:
    result = run(AUTH_PROBE, **env)
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout.strip().splitlines()[-1])


def test_production_cookies_carry_the_host_prefix():
    values = auth_probe(DEBUG="false", SECRET_KEY="x" * 60)
    assert values["session_cookie"] == "__Host-sessionid"
    assert values["csrf_cookie"] == "__Host-csrftoken"
    # __Host- requires Secure, Path=/ and no Domain attribute.
    assert values["domain"] is None
    assert values["path"] == "/"


def test_host_prefix_only_with_secure_cookies():
    values = auth_probe(DEBUG="true")
    assert values["session_cookie"] == "sessionid"
    assert values["csrf_cookie"] == "csrftoken"
    values = auth_probe(
        DEBUG="false",
        SECRET_KEY="x" * 60,
        SESSION_COOKIE_SECURE="false",
        CSRF_COOKIE_SECURE="false",
    )
    assert values["session_cookie"] == "sessionid"


def test_second_factor_mandatory_for_staff_in_production_by_default():
    assert auth_probe(DEBUG="false", SECRET_KEY="x" * 60)["mfa_required"] is True
    assert auth_probe(DEBUG="true")["mfa_required"] is False  # make demo signs in without
    assert (
        auth_probe(DEBUG="false", SECRET_KEY="x" * 60, MFA_REQUIRED_FOR_STAFF="false")[
            "mfa_required"
        ]
        is False
    )


def test_session_lifetimes_have_safe_defaults_and_are_settings():
    values = auth_probe(DEBUG="false", SECRET_KEY="x" * 60)
    assert (values["idle"], values["max_hours"], values["cookie_age"]) == (30, 12, 12 * 3600)
    values = auth_probe(DEBUG="true", SESSION_IDLE_TIMEOUT_MINUTES="10", SESSION_MAX_AGE_HOURS="8")
    assert (values["idle"], values["max_hours"], values["cookie_age"]) == (10, 8, 8 * 3600)


def test_single_sign_on_is_configured_from_the_environment():
    assert auth_probe(DEBUG="true")["apps"] == []
    values = auth_probe(
        DEBUG="true",
        SSO_OIDC_SERVER_URL="https://login.example.com/realms/acme",
        SSO_OIDC_CLIENT_ID="execsupport",
        SSO_OIDC_CLIENT_SECRET="s3cret",
        SSO_ONLY="true",
    )
    assert values["sso_only"] is True
    (app,) = values["apps"]
    assert app["client_id"] == "execsupport"
    assert app["settings"]["server_url"] == "https://login.example.com/realms/acme"


def test_sso_only_without_a_provider_refuses_to_start():
    result = run(AUTH_PROBE, DEBUG="true", SSO_ONLY="true")
    assert result.returncode != 0
    assert "SSO_ONLY=true needs a provider" in result.stderr
