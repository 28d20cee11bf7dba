"""No known vulnerability in the pinned runtime dependencies (pip-audit over requirements/base.txt).

pip-audit asks the PyPI JSON API (or OSV) about each pinned version. Where
that service cannot be reached (the build machines reach PyPI only through a
package mirror that answers 404 for the JSON API), pip-audit audits nothing:
every dependency comes back with a skip_reason. The test then skips and says
why, instead of passing as if the audit had happened.
"""

from __future__ import annotations

import json
import re
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
            f"reachable from this machine; run it where they are: README, 'Dependencies'): {'; '.join(reasons)}"
        )


# --- The hashed lock (requirements/lock/*.txt, made by pip-compile --generate-hashes) -------------------
LOCK_DIR = ROOT / "requirements" / "lock"
LOCKED_SETS = ("base", "production", "test")


def _name(requirement: str) -> str:
    name = re.split(r"[\[=<>!~; ]", requirement, maxsplit=1)[0]
    return re.sub(r"[-_.]+", "-", name).lower()


def direct_pins(path: Path) -> dict[str, str]:
    """name -> version of every pin in a requirements file, following its -r includes."""
    pins = {}
    for line in path.read_text().splitlines():
        line = line.split("#", 1)[0].strip()
        if line.startswith("-r "):
            pins.update(direct_pins(path.parent / line[3:].strip()))
        elif line and not line.startswith("-"):
            pins[_name(line)] = line.split("==", 1)[1].strip()
    return pins


def locked(path: Path) -> dict[str, tuple[str, int]]:
    """name -> (version, number of hashes) of every package in a lock file."""
    text = path.read_text().replace("\\\n", " ")
    packages = {}
    for line in text.splitlines():
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        requirement, *options = line.split()
        assert "==" in requirement, f"{path.name}: {requirement} is not pinned to one version"
        packages[_name(requirement)] = (requirement.split("==", 1)[1], sum(o.startswith("--hash=") for o in options))
    return packages


def test_every_locked_package_is_pinned_with_its_hashes():
    for name in LOCKED_SETS:
        packages = locked(LOCK_DIR / f"{name}.txt")
        assert packages, name
        unhashed = sorted(package for package, (_version, hashes) in packages.items() if not hashes)
        assert unhashed == [], f"lock/{name}.txt has packages without a hash: {unhashed}"


def test_each_lock_holds_its_requirements_at_their_pinned_versions():
    """A pin changed in requirements/*.txt without `make lock` fails here."""
    for name in LOCKED_SETS:
        packages = locked(LOCK_DIR / f"{name}.txt")
        pins = direct_pins(ROOT / "requirements" / f"{name}.txt")
        mismatched = {pkg: (ver, packages.get(pkg, ("missing",))[0]) for pkg, ver in pins.items()
                      if packages.get(pkg, ("missing",))[0] != ver}
        assert mismatched == {}, f"lock/{name}.txt is out of date (pinned, locked): {mismatched}"
    # The test and production locks include the runtime one, at the same versions.
    base = locked(LOCK_DIR / "base.txt")
    for name in ("production", "test"):
        packages = locked(LOCK_DIR / f"{name}.txt")
        assert {pkg: ver for pkg, (ver, _h) in base.items()} == {
            pkg: packages[pkg][0] for pkg in base if pkg in packages
        }
        assert set(base) <= set(packages), name


def test_make_and_the_production_docs_install_from_the_lock_with_hash_checking():
    makefile = (ROOT / "Makefile").read_text()
    rule = makefile.split("$(VENV)/.installed:", 1)[1].split("\n\n", 1)[0]
    installs = [line for line in rule.splitlines() if "pip install" in line]
    # Every install reads a hash-locked file: uv's own lock, then the test lock by uv or, failing uv, by pip.
    assert installs and all("--require-hashes -r requirements/lock/" in line for line in installs), installs
    assert ["uv.txt" in line for line in installs] == [True, False, False], installs
    assert sum("--require-hashes -r requirements/lock/test.txt" in line for line in installs) == 2, installs
    assert "install: $(VENV)/.installed" in makefile and "demo: install" in makefile and "test: install" in makefile
    readme = (ROOT / "README.md").read_text()
    assert "pip install --require-hashes -r requirements/lock/production.txt" in readme
