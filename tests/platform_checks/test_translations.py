"""Every user-facing string of the project's apps has a Simplified Chinese translation.

Extracts the messages afresh with Django's makemessages into a copy of the
source tree, so a new msgid that nobody added to a catalogue fails here.
"""

import shutil
import subprocess
import sys
from pathlib import Path

import polib
import pytest

ROOT = Path(__file__).resolve().parents[2]
SOURCE_DIRS = ["platform", "courses", "assessments", "themes"]


@pytest.fixture(scope="module")
def extracted_catalogues(tmp_path_factory):
    if shutil.which("xgettext") is None:
        pytest.fail("GNU gettext (xgettext) is missing: `make test` installs it with apt")
    work = tmp_path_factory.mktemp("i18n")
    for name in SOURCE_DIRS:
        if (ROOT / name).exists():
            shutil.copytree(ROOT / name, work / name, ignore=shutil.ignore_patterns("__pycache__", "*.mo"))
    shutil.copytree(ROOT / "shixun", work / "shixun", ignore=shutil.ignore_patterns("__pycache__"))
    shutil.copy(ROOT / "manage.py", work / "manage.py")
    result = subprocess.run(
        [sys.executable, "manage.py", "makemessages", "-l", "zh_Hans", "--no-obsolete", "--no-location"],
        cwd=work, capture_output=True, text=True,
        env={"PATH": "/usr/bin:/bin", "DJANGO_SETTINGS_MODULE": "shixun.config.settings.test", "PYTHONPATH": str(work)},
    )
    assert result.returncode == 0, result.stderr
    return sorted(work.rglob("locale/zh_Hans/LC_MESSAGES/django.po"))


def test_every_app_with_strings_has_a_catalogue(extracted_catalogues):
    apps_with_catalogue = {po.relative_to(po.parents[3]).parts[0] for po in extracted_catalogues}
    assert extracted_catalogues, "no catalogues found"
    assert apps_with_catalogue  # at least one


def test_no_msgid_lacks_a_zh_hans_translation(extracted_catalogues):
    missing = []
    for po_path in extracted_catalogues:
        catalogue = polib.pofile(str(po_path))
        for entry in catalogue:
            if entry.obsolete:
                continue
            if not entry.translated() or "fuzzy" in entry.flags:
                missing.append(f"{po_path.parents[3].name}: {entry.msgid!r}")
    assert not missing, "untranslated msgids:\n" + "\n".join(missing)


def test_every_catalogue_compiles_with_gnu_msgfmt():
    """Catalogues are appended to by several hands (and merged): a msgid defined twice makes msgfmt fail,
    and the catalogue a host compiles with msgfmt would not build."""
    if shutil.which("msgfmt") is None:
        pytest.fail("GNU gettext (msgfmt) is missing: `make test` installs it with apt")
    failures = []
    for catalogue in sorted(ROOT.glob("*/**/locale/*/LC_MESSAGES/*.po")):
        if any(part in (".venv", "node_modules") for part in catalogue.parts):
            continue
        result = subprocess.run(["msgfmt", "--check-format", "-o", "/dev/null", str(catalogue)],
                                capture_output=True, text=True)
        if result.returncode != 0:
            failures.append(f"{catalogue.relative_to(ROOT)}: {result.stderr.strip()}")
    assert failures == []
