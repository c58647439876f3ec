"""rediss:// with a Redis password against a real TLS Redis started by the test.

A throwaway CA and server certificate (openssl), ``redis-server --tls-port`` with
``--requirepass`` on loopback; the app's settings are read in a fresh process from the same
variables a deployment sets (REDIS_URL, CACHE_URL, REDIS_PASSWORD, REDIS_TLS_CA_CERTS).
"""

from __future__ import annotations

import json
import os
import shutil
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.conftest import IN_CI

ROOT = Path(__file__).resolve().parents[2]
PASSWORD = "tls-redis-password"

pytestmark = pytest.mark.integration

# Publish a task through Celery (the broker), then read the queue and round-trip the cache.
PROBE = """
import json, django
django.setup()
from django.core.cache import cache
from execsupport.celery import app
with app.connection_for_write() as conn:
    conn.ensure_connection(max_retries=1)
    app.send_task("execsupport.ping", connection=conn)
    client = conn.default_channel.client
    queued = client.llen("celery")
cache.set("tls-probe", "through TLS", 30)
print(json.dumps({"queued": queued, "cache": cache.get("tls-probe")}))
"""


def _openssl(*args: str, cwd: Path) -> None:
    subprocess.run(["openssl", *args], cwd=cwd, check=True, capture_output=True, timeout=60)


@pytest.fixture(scope="module")
def tls_redis(tmp_path_factory):
    if not (shutil.which("redis-server") and shutil.which("openssl")):
        if IN_CI:
            pytest.fail("redis-server and openssl are needed (CI=true)")
        pytest.skip("redis-server or openssl not installed")
    folder = tmp_path_factory.mktemp("tls-redis")
    _openssl("req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", "ca.key", "-out",
             "ca.pem", "-days", "1", "-subj", "/CN=execsupport-test-ca", cwd=folder)  # fmt: skip
    _openssl("req", "-newkey", "rsa:2048", "-nodes", "-keyout", "server.key", "-out",
             "server.csr", "-subj", "/CN=localhost", cwd=folder)  # fmt: skip
    (folder / "san.cnf").write_text("subjectAltName=DNS:localhost,IP:127.0.0.1\n")
    _openssl("x509", "-req", "-in", "server.csr", "-CA", "ca.pem", "-CAkey", "ca.key",
             "-CAcreateserial", "-out", "server.pem", "-days", "1", "-extfile", "san.cnf",
             cwd=folder)  # fmt: skip
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    server = subprocess.Popen(
        ["redis-server", "--port", "0", "--tls-port", str(port), "--bind", "127.0.0.1",
         "--tls-cert-file", "server.pem", "--tls-key-file", "server.key",
         "--tls-ca-cert-file", "ca.pem", "--tls-auth-clients", "no",
         "--requirepass", PASSWORD, "--save", "", "--appendonly", "no"],
        cwd=folder, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )  # fmt: skip
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        with socket.socket() as sock:
            if sock.connect_ex(("127.0.0.1", port)) == 0:
                break
        time.sleep(0.1)
    else:
        server.kill()
        pytest.fail("the TLS redis-server did not start")
    yield {"port": port, "ca": str(folder / "ca.pem")}
    server.terminate()
    server.wait(timeout=10)


def probe(tls_redis: dict, **env: str) -> subprocess.CompletedProcess:
    port = tls_redis["port"]
    return subprocess.run(
        [sys.executable, "-c", PROBE],
        cwd=ROOT,
        env={
            "PATH": os.environ.get("PATH", ""),
            "HOME": os.environ.get("HOME", "/tmp"),
            "DJANGO_SETTINGS_MODULE": "execsupport.settings",
            "DEBUG": "false",
            "SECRET_KEY": "rediss-test-" + "s" * 50,
            "REDIS_URL": f"rediss://localhost:{port}/0",
            "CACHE_URL": f"rediss://localhost:{port}/1",
            "REDIS_PASSWORD": PASSWORD,
            **env,
        },
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def test_broker_and_cache_work_over_rediss_with_a_password(tls_redis):
    result = probe(tls_redis, REDIS_TLS_CA_CERTS=tls_redis["ca"])

    assert result.returncode == 0, result.stderr
    out = json.loads(result.stdout.strip().splitlines()[-1])
    assert out == {"queued": 1, "cache": "through TLS"}


def test_the_server_certificate_is_verified(tls_redis):
    # Without our CA the server's certificate is not trusted: the connection is refused.
    result = probe(tls_redis)

    assert result.returncode != 0
    assert "CERTIFICATE_VERIFY_FAILED" in result.stderr or "certificate verify" in result.stderr


def test_the_password_is_required(tls_redis):
    result = probe(tls_redis, REDIS_TLS_CA_CERTS=tls_redis["ca"], REDIS_PASSWORD="")

    assert result.returncode != 0
    assert "NOAUTH" in result.stderr or "Authentication required" in result.stderr
