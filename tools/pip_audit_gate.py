"""Audit the deployed image's lock file with pip-audit; fail on a known vulnerability only.

Usage: ``python tools/pip_audit_gate.py [LOCK] [-- extra pip-audit arguments]`` (``make audit``,
CI). Default lock: ``requirements/deploy.lock``.

pip-audit exits 1 both when it finds a vulnerability and when the advisory service (OSV) cannot
be reached, so its exit code alone cannot tell "vulnerable" from "offline". This gate reads its
JSON report and its error output instead:

- exit 0: no known vulnerability, or the advisory service was unreachable or failed (reported
  on stderr as a warning: the audit did not happen this run);
- exit 1: at least one locked package has a known vulnerability (listed, with fix versions);
- exit 2: pip-audit failed for another reason (e.g. a malformed lock file): a failure.

``PIP_AUDIT_OSV_URL`` (or ``-- --osv-url URL``) points pip-audit at another OSV-compatible
service, e.g. a mirror inside your network.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path

DEFAULT_LOCK = Path(__file__).resolve().parent.parent / "requirements" / "deploy.lock"
# What pip-audit prints when the advisory service cannot be reached or answers with an error
# (requests' exceptions and pip-audit's own ConnectionError / ServiceError).
UNREACHABLE_MARKERS = (
    "requests.exceptions.ConnectionError",
    "requests.exceptions.ConnectTimeout",
    "requests.exceptions.ReadTimeout",
    "requests.exceptions.SSLError",
    "requests.exceptions.ProxyError",
    "Could not connect to",
    "ServiceError",
    "NameResolutionError",
    "Max retries exceeded",
)


@dataclass(frozen=True)
class Verdict:
    """The gate's exit code (0 pass, 1 vulnerable, 2 audit failed) and what to print."""

    code: int
    message: str


def audit_verdict(*, returncode: int, report: dict | None, stderr: str) -> Verdict:
    """Judge one pip-audit run from its exit code, its JSON report (None when it wrote none)
    and its error output."""
    if report is not None:
        dependencies = report.get("dependencies", [])
        vulnerable = [dep for dep in dependencies if dep.get("vulns")]
        if vulnerable:
            lines = [f"Known vulnerabilities in {len(vulnerable)} locked package(s):"]
            for dep in vulnerable:
                for vuln in dep["vulns"]:
                    fixes = ", ".join(vuln.get("fix_versions") or []) or "no fix yet"
                    lines.append(
                        f"  {dep['name']} {dep['version']}: {vuln['id']} (fixed in {fixes})"
                    )
            return Verdict(1, "\n".join(lines))
        if returncode == 0:
            audited = sum(1 for dep in dependencies if "skip_reason" not in dep)
            return Verdict(0, f"No known vulnerabilities in {audited} locked packages.")
    if returncode == 0:
        return Verdict(0, "No known vulnerabilities.")
    if any(marker in stderr for marker in UNREACHABLE_MARKERS):
        reason = _last_line(stderr)
        return Verdict(
            0,
            "WARNING: the vulnerability advisory service could not be reached or failed; the "
            f"lock file was NOT audited this run (not a failure). {reason}",
        )
    return Verdict(2, f"pip-audit failed (exit {returncode}): {_last_line(stderr)}")


def _last_line(text: str) -> str:
    lines = [line.strip() for line in text.strip().splitlines() if line.strip()]
    return lines[-1][:500] if lines else "(no output)"


def pip_audit_command(lock: Path, output: Path, extra: list[str]) -> list[str]:
    """The pip-audit invocation: the hashed lock as it is (no resolution, no pip), OSV."""
    executable = shutil.which("pip-audit", path=str(Path(sys.executable).parent)) or "pip-audit"
    command = [
        executable,
        "--requirement",
        str(lock),
        "--require-hashes",
        "--disable-pip",
        "--vulnerability-service",
        "osv",
        "--format",
        "json",
        "--output",
        str(output),
        "--progress-spinner",
        "off",
        "--timeout",
        "20",
    ]
    osv_url = os.environ.get("PIP_AUDIT_OSV_URL")
    if osv_url and "--osv-url" not in extra:
        command += ["--osv-url", osv_url]
    return command + extra


def main(argv: list[str]) -> int:
    extra: list[str] = []
    if "--" in argv:
        argv, extra = argv[: argv.index("--")], argv[argv.index("--") + 1 :]
    lock = Path(argv[0]) if argv else DEFAULT_LOCK
    with tempfile.TemporaryDirectory() as folder:
        output = Path(folder) / "report.json"
        result = subprocess.run(
            pip_audit_command(lock, output, extra),
            capture_output=True,
            text=True,
            check=False,
        )
        report = None
        if output.exists() and output.stat().st_size:
            try:
                report = json.loads(output.read_text())
            except json.JSONDecodeError:
                report = None
    verdict = audit_verdict(returncode=result.returncode, report=report, stderr=result.stderr)
    print(
        verdict.message,
        file=sys.stderr if verdict.code or "WARNING" in verdict.message else sys.stdout,
    )
    return verdict.code


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
