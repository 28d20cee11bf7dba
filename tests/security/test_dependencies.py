"""No known vulnerability in the pinned runtime dependencies (pip-audit over requirements/base.txt).

pip-audit asks the PyPI JSON API (or OSV) about each pinned version. Where
that service cannot be reached (the build machines reach PyPI only through a
package mirror that answers 404 for the JSON API), pip-audit audits nothing:
every dependency comes back with a skip_reason. The test then skips and says
why, instead of passing as if the audit had happened.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
REQUIREMENTS = ROOT / "requirements" / "base.txt"


def pip_audit_command() -> list[str]:
    beside_python = Path(sys.executable).with_name("pip-audit")
    found = str(beside_python) if beside_python.exists() else shutil.which("pip-audit")
    if not found:
        pytest.fail("pip-audit is not installed: it is pinned in requirements/test.txt")
    # Every requirement is pinned to an exact version, so no resolution is needed (--no-deps),
    # and none of it is installed into a throw-away environment (--disable-pip).
    return [found, "-r", str(REQUIREMENTS), "--no-deps", "--disable-pip", "-f", "json", "--progress-spinner", "off"]


def audit() -> dict:
    result = subprocess.run(pip_audit_command(), capture_output=True, text=True, timeout=600, cwd=ROOT)
    # Exit status 1 means "vulnerabilities found"; anything else non-zero is a failure to run.
    if result.returncode not in (0, 1):
        pytest.fail(f"pip-audit could not run (exit {result.returncode}):\n{result.stderr[-3000:]}")
    return json.loads(result.stdout)


def test_every_runtime_requirement_is_pinned_to_an_exact_version():
    """What pip-audit audits must be what is installed: exact pins only."""
    lines = [line.split("#", 1)[0].strip() for line in REQUIREMENTS.read_text().splitlines()]
    requirements = [line for line in lines if line and not line.startswith("-")]
    assert requirements
    loose = [line for line in requirements if "==" not in line]
    assert loose == []


def test_pip_audit_reports_no_known_vulnerability_in_the_pinned_dependencies():
    report = audit()
    dependencies = report["dependencies"]
    assert dependencies, "pip-audit read no dependency from requirements/base.txt"
    vulnerable = {
        f"{dep['name']}=={dep.get('version')}": [v["id"] for v in dep.get("vulns", [])]
        for dep in dependencies
        if dep.get("vulns")
    }
    assert vulnerable == {}, f"known vulnerabilities: {vulnerable}"
    audited = [dep for dep in dependencies if "skip_reason" not in dep]
    if not audited:
        reasons = sorted({dep["skip_reason"].split(":")[0] for dep in dependencies})
        pytest.skip(
            "pip-audit could audit none of the pinned packages (the vulnerability services are not "
            f"reachable from this machine): {'; '.join(reasons)}"
        )
