"""Package build: the repository's folders become the `shixun.*` packages of one wheel.

pyproject.toml holds the metadata; this file only computes what pyproject
cannot express without a hand-kept list: every package and subpackage
(migrations, management commands, templatetags, settings...) under each mapped
folder, so a new subpackage is never silently left out of the wheel.
"""

from pathlib import Path

from setuptools import setup

ROOT = Path(__file__).resolve().parent

# shixun.<name> -> folder in the repository (the same mapping shixun/__init__.py
# gives a source checkout).
PACKAGE_DIR = {
    "shixun": "shixun",
    "shixun.config": "platform/config",
    "shixun.accounts": "platform/accounts",
    "shixun.schools": "platform/schools",
    "shixun.transcripts": "platform/transcripts",
    "shixun.spreadsheets": "platform/spreadsheets",
    "shixun.attendance": "platform/attendance",
    "shixun.shadowing": "platform/shadowing",
    "shixun.reports": "platform/reports",
    "shixun.inbox": "platform/inbox",
    "shixun.courses": "courses",
    "shixun.assessments": "assessments",
    "shixun.themes": "themes",
}

# Non-Python files every app may carry. locale/*.mo are compiled before the
# build (`make dist`); the .po sources travel too, so a host can re-compile.
# vendor/ is the npm H5P player copied in at build time (assessments.h5p).
DATA = [
    "templates/**/*",
    "static/**/*",
    "locale/*/LC_MESSAGES/*.po",
    "locale/*/LC_MESSAGES/*.mo",
    "player/*",
    "vendor/**/*",
    "test_library/**/*",
]


def packages() -> list[str]:
    found = []
    for name, folder in PACKAGE_DIR.items():
        base = ROOT / folder
        for init in sorted(base.rglob("__init__.py")):
            relative = init.parent.relative_to(base)
            if "__pycache__" in relative.parts:
                continue
            found.append(".".join([name, *relative.parts]) if relative.parts else name)
    return found


# Only folders that exist: an app is listed here before its first module lands.
setup(
    packages=packages(),
    package_dir={name: folder for name, folder in PACKAGE_DIR.items() if (ROOT / folder).is_dir()},
    package_data={"": DATA},
    include_package_data=False,
)
