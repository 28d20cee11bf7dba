"""The package's dependency ranges (pyproject.toml) admit the standalone site's exact pins (requirements/)."""

import tomllib
from pathlib import Path

from packaging.requirements import Requirement

ROOT = Path(__file__).resolve().parents[2]


def pins() -> dict[str, str]:
    found = {}
    for name in ("base.txt", "production.txt"):
        for line in (ROOT / "requirements" / name).read_text().splitlines():
            line = line.split("#")[0].strip()
            if line and not line.startswith("-r"):
                requirement = Requirement(line)
                found[requirement.name.lower()] = str(requirement.specifier).removeprefix("==")
    return found


def test_every_declared_dependency_admits_the_pinned_version():
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    declared = [*project["dependencies"], *(d for extra in project["optional-dependencies"].values() for d in extra)]
    pinned = pins()
    outside = []
    for line in declared:
        requirement = Requirement(line)
        version = pinned.get(requirement.name.lower())
        assert version, f"{requirement.name} is declared in pyproject.toml but not pinned in requirements/"
        if not requirement.specifier.contains(version):
            outside.append(f"{requirement.name}=={version} not in {requirement.specifier}")
    assert outside == []
    assert {"django", "wagtail", "django-q2"} <= {Requirement(d).name.lower() for d in project["dependencies"]}
