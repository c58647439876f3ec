"""The lock file of the deployed image, its CycloneDX SBOM and the pip-audit gate.

The gate is run for real (pip-audit against the lock file) with a local OSV-compatible advisory
service started by the test: a known vulnerability fails the run, an unreachable or failing
service is reported and passes, a broken lock file fails.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import threading
import tomllib
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

from tests.conftest import IN_CI
from tools.pip_audit_gate import audit_verdict

ROOT = Path(__file__).resolve().parent.parent
LOCK = ROOT / "requirements" / "deploy.lock"
BIN = Path(sys.executable).parent
HAVE_TOOLS = all((BIN / tool).exists() for tool in ("pip-audit", "cyclonedx-py"))
needs_tools = pytest.mark.skipif(
    not HAVE_TOOLS and not IN_CI, reason="pip-audit / cyclonedx-py not installed (make install-dev)"
)


def locked() -> dict[str, tuple[str, int]]:
    """{canonical name: (version, number of hashes)} from the lock file."""
    pins: dict[str, tuple[str, int]] = {}
    name = None
    for raw in LOCK.read_text().splitlines():
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        if "==" in line and not raw.startswith(" "):
            spec = line.split(";")[0].rstrip(" \\")
            pkg, version = spec.split("==")
            name = canonicalize_name(pkg)
            pins[name] = (version.strip(), 0)
        elif line.startswith("--hash=sha256:") and name:
            version, hashes = pins[name]
            pins[name] = (version, hashes + 1)
    return pins


# --- the lock file ------------------------------------------------------------------------------
def test_the_lock_pins_every_runtime_dependency_with_hashes():
    pins = locked()
    dependencies = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["dependencies"]
    stale = []
    for text in dependencies:
        requirement = Requirement(text)
        pin = pins.get(canonicalize_name(requirement.name))
        if pin is None or not requirement.specifier.contains(pin[0], prereleases=True):
            stale.append(f"{text} (locked: {pin[0] if pin else 'absent'})")
    assert not stale, (
        "requirements/deploy.lock does not match pyproject.toml: run `make lock`. "
        + "; ".join(stale)
    )
    assert all(hashes for _, hashes in pins.values()), "every pin needs --hash lines"
    assert "--find-links" not in LOCK.read_text()  # no path of this machine in the lock


def test_the_image_installs_from_the_lock_with_hashes():
    dockerfile = (ROOT / "Dockerfile").read_text()
    assert "--require-hashes" in dockerfile
    assert "requirements/deploy.lock" in dockerfile


# --- SBOM ---------------------------------------------------------------------------------------
@needs_tools
def test_make_sbom_lists_every_locked_package(tmp_path):
    output = tmp_path / "sbom.cdx.json"
    result = subprocess.run(
        ["make", "-o", ".venv/.installed-dev", "sbom", f"SBOM={output}"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr

    sbom = json.loads(output.read_text())
    assert sbom["bomFormat"] == "CycloneDX"
    components = {
        canonicalize_name(c["name"]): c["version"] for c in sbom["components"] if "version" in c
    }
    assert components == {name: version for name, (version, _) in locked().items()}
    assert all(c["purl"].startswith("pkg:pypi/") for c in sbom["components"])


# --- the pip-audit gate -------------------------------------------------------------------------
class FakeOsv:
    """A local OSV query service: vulnerable ``{package: vuln id}``, or a fixed HTTP status."""

    def __init__(self, vulnerable: dict[str, str] | None = None, status: int = 200) -> None:
        self.vulnerable = vulnerable or {}
        self.status = status
        self.queries: list[dict] = []
        service = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                query = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
                service.queries.append(query)
                body = b"{}"
                name = query["package"]["name"]
                if name in service.vulnerable:
                    body = json.dumps({"vulns": [service.vuln(name, query["version"])]}).encode()
                self.send_response(service.status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/v1/query"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def vuln(self, name: str, version: str) -> dict:
        return {
            "id": self.vulnerable[name],
            "summary": "A test advisory",
            "affected": [
                {
                    "package": {"name": name, "ecosystem": "PyPI"},
                    "ranges": [
                        {"type": "ECOSYSTEM", "events": [{"introduced": "0"}, {"fixed": "999"}]}
                    ],
                    "versions": [version],
                }
            ],
        }

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


def gate(osv_url: str, lock: Path = LOCK, tmp_path: Path | None = None):
    env = {**os.environ, "PIP_AUDIT_OSV_URL": osv_url}
    if tmp_path is not None:
        env["XDG_CACHE_HOME"] = str(tmp_path / "cache")
    return subprocess.run(
        [sys.executable, "tools/pip_audit_gate.py", str(lock)],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )


@needs_tools
def test_a_known_vulnerability_fails_the_audit(tmp_path):
    osv = FakeOsv({"django": "GHSA-test-0001"})
    try:
        result = gate(osv.url, tmp_path=tmp_path)
    finally:
        osv.close()
    assert result.returncode == 1, result.stdout + result.stderr
    django_version = locked()["django"][0]
    assert f"django {django_version}: GHSA-test-0001 (fixed in 999)" in result.stderr
    # Every locked package was asked about.
    assert {q["package"]["name"] for q in osv.queries} == set(locked())


@needs_tools
def test_no_known_vulnerability_passes(tmp_path):
    osv = FakeOsv()
    try:
        result = gate(osv.url, tmp_path=tmp_path)
    finally:
        osv.close()
    assert result.returncode == 0, result.stdout + result.stderr
    assert f"No known vulnerabilities in {len(locked())} locked packages." in result.stdout


@needs_tools
@pytest.mark.parametrize("failure", ["unreachable", "server error"])
def test_an_unreachable_or_failing_advisory_service_is_reported_not_a_failure(failure, tmp_path):
    osv = FakeOsv(status=503)
    url = osv.url
    if failure == "unreachable":
        osv.close()  # nothing listens on that port any more
    try:
        result = gate(url, tmp_path=tmp_path)
    finally:
        if failure != "unreachable":
            osv.close()
    assert result.returncode == 0, result.stdout + result.stderr
    assert "could not be reached or failed" in result.stderr
    assert "NOT audited" in result.stderr


@needs_tools
def test_a_broken_lock_file_fails_the_audit(tmp_path):
    broken = tmp_path / "broken.lock"
    broken.write_text("django==5.2.1\n")  # no hash: --require-hashes refuses it
    osv = FakeOsv()
    try:
        result = gate(osv.url, lock=broken, tmp_path=tmp_path)
    finally:
        osv.close()
    assert result.returncode == 2, result.stdout + result.stderr
    assert "pip-audit failed" in result.stderr


@pytest.mark.parametrize(
    ("returncode", "report", "stderr", "code"),
    [
        (0, {"dependencies": [{"name": "a", "version": "1", "vulns": []}]}, "", 0),
        (1, {"dependencies": [{"name": "a", "version": "1", "vulns": [{"id": "X"}]}]}, "", 1),
        (1, None, "requests.exceptions.ConnectTimeout: boom", 0),
        (1, None, "ValueError: something else", 2),
        (1, {"dependencies": []}, "Traceback ... unexpected", 2),
    ],
)
def test_audit_verdict(returncode, report, stderr, code):
    assert audit_verdict(returncode=returncode, report=report, stderr=stderr).code == code


def test_pip_audit_is_available_to_ci():
    # CI runs the gate after `make install-dev`: the tools must be dev dependencies.
    dev = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["optional-dependencies"]
    names = {canonicalize_name(Requirement(text).name) for text in dev["dev"]}
    assert {"pip-audit", "cyclonedx-bom", "pip-tools"} <= names
    assert shutil.which("make")
