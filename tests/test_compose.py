"""docker-compose.yml is secure by default, and its documented switch relaxes it for a local try.

The file is rendered by ``docker-compose config`` (the same interpolation as ``up``; no Docker
engine needed), then the app's environment from it is fed to ``manage.py check --deploy``.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from tests.conftest import IN_CI

ROOT = Path(__file__).resolve().parent.parent
COMPOSE = shutil.which("docker-compose")
APP_SERVICES = ("migrate", "web", "worker", "beat")
SECRETS = {
    "SECRET_KEY": "compose-test-secret-" + "s" * 50,
    "POSTGRES_PASSWORD": "pg-password",
    "REDIS_PASSWORD": "redis-password",
}

pytestmark = pytest.mark.skipif(
    COMPOSE is None and not IN_CI, reason="docker-compose is not installed"
)


def compose_config(tmp_path: Path, **env: str) -> subprocess.CompletedProcess:
    empty = tmp_path / "empty.env"  # a developer's own .env must not leak into the test
    empty.write_text("")
    return subprocess.run(
        [
            COMPOSE or "docker-compose",
            "-f",
            "docker-compose.yml",
            "--env-file",
            str(empty),
            "config",
        ],
        cwd=ROOT,
        env={"PATH": os.environ.get("PATH", ""), "HOME": os.environ.get("HOME", "/tmp"), **env},
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def services(tmp_path: Path, **env: str) -> dict:
    result = compose_config(tmp_path, **{**SECRETS, **env})
    assert result.returncode == 0, result.stderr
    return yaml.safe_load(result.stdout)["services"]


def check_deploy(environment: dict, tmp_path: Path, *args: str) -> subprocess.CompletedProcess:
    """``manage.py check --deploy`` with a service's environment; the database becomes an
    SQLite path that does not exist (the compose host name `postgres` is not resolvable here)."""
    env = {key: str(value) for key, value in environment.items()}
    env["DATABASE_URL"] = f"sqlite:///{tmp_path / 'absent.sqlite3'}"
    return subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", *args],
        cwd=ROOT,
        env={"PATH": os.environ.get("PATH", ""), "HOME": os.environ.get("HOME", "/tmp"), **env},
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def test_compose_requires_each_of_its_secrets(tmp_path):
    for missing in SECRETS:
        env = {name: value for name, value in SECRETS.items() if name != missing}
        result = compose_config(tmp_path, **env)
        assert result.returncode != 0
        assert f"set {missing} in .env" in result.stderr


def test_compose_defaults_are_secure(tmp_path):
    rendered = services(tmp_path)

    for name in APP_SERVICES:
        service = rendered[name]
        environment = service["environment"]
        assert environment["DEBUG"] == "false"
        assert environment["ALLOW_PLAIN_HTTP"] == "false"
        assert environment["BEHIND_TLS_PROXY"] == "true"  # HTTPS seen behind the proxy: HSTS
        assert environment["TRUSTED_PROXY_COUNT"] == "1"  # the client's address, not the proxy's
        for switch in ("SESSION_COOKIE_SECURE", "CSRF_COOKIE_SECURE", "SECURE_SSL_REDIRECT"):
            assert switch not in environment  # the production defaults (on) apply
        assert environment["SITE_URL"].startswith("https://")
        assert environment["CSRF_TRUSTED_ORIGINS"].startswith("https://")
        assert not environment["EMAIL_URL"].startswith(("consolemail:", "filemail:"))
        assert environment["REDIS_PASSWORD"] == SECRETS["REDIS_PASSWORD"]
        assert service["read_only"] is True
        assert service["cap_drop"] == ["ALL"]
        assert "no-new-privileges:true" in service["security_opt"]

    redis_command = rendered["redis"]["command"]
    assert redis_command[redis_command.index("--requirepass") + 1] == SECRETS["REDIS_PASSWORD"]
    # Published on loopback only: the TLS proxy on the host is the way in.
    (port,) = rendered["web"]["ports"]
    published = port if isinstance(port, str) else f"{port['host_ip']}:{port['published']}"
    assert published.startswith("127.0.0.1:8000")


def test_the_compose_environment_passes_check_deploy(tmp_path):
    environment = services(tmp_path)["web"]["environment"]

    result = check_deploy(environment, tmp_path, "--fail-level", "WARNING")

    assert result.returncode == 0, result.stdout + result.stderr


def test_the_local_try_switch_relaxes_https_and_is_accepted(tmp_path):
    rendered = services(
        tmp_path,
        ALLOW_PLAIN_HTTP="true",
        BEHIND_TLS_PROXY="false",
        TRUSTED_PROXY_COUNT="0",
        SITE_URL="http://localhost:8000",
        CSRF_TRUSTED_ORIGINS="http://localhost:8000",
        WEB_BIND="0.0.0.0",  # noqa: S104  (the switch under test)
    )
    environment = rendered["web"]["environment"]
    assert environment["ALLOW_PLAIN_HTTP"] == "true"
    (port,) = rendered["web"]["ports"]
    assert (port if isinstance(port, str) else port["host_ip"]).startswith("0.0.0.0")  # noqa: S104

    probe = subprocess.run(
        [
            sys.executable,
            "-c",
            "import django; from django.conf import settings; django.setup(); "
            "print(settings.SESSION_COOKIE_SECURE, settings.SECURE_SSL_REDIRECT, "
            "settings.SECURE_HSTS_SECONDS)",
        ],
        cwd=ROOT,
        env={
            "PATH": os.environ.get("PATH", ""),
            "DJANGO_SETTINGS_MODULE": "execsupport.settings",
            **{key: str(value) for key, value in environment.items()},
        },
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert probe.stdout.split() == ["False", "False", "0"], probe.stderr
    # Django's own deployment warnings remain (cookies, redirect, HSTS); no error.
    result = check_deploy(environment, tmp_path)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "security.W012" in result.stdout + result.stderr
    assert "execsupport.E003" not in result.stdout + result.stderr
