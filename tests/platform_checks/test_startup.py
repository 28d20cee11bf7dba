"""What a process loads before its first line of work (issue 18: the export's first byte).

Every management command and web worker pays for django.setup(): each app's
models, apps.py and ready(), and every wagtail_hooks module (Wagtail imports
them all). These tests run manage.py in a fresh process and assert that code
used only when a page is opened or a file is checked stays out of start-up,
and that start-up's objects are frozen out of the cyclic collector. A guard
against regressions, not a timing: the figures are in bench/ANALYSIS.md.
"""

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]

# Runs manage.py's main() as `manage.py export_transcripts --help` does, then reports what was loaded.
PROBE = """
import gc, json, sys
sys.argv = ["manage.py", "export_transcripts", "--help"]
import manage
try:
    manage.main()
except SystemExit:
    pass
print("\\nPROBE " + json.dumps({
    "modules": sorted(sys.modules),
    "gc_enabled": gc.isenabled(),
    "frozen": gc.get_freeze_count(),
}))
"""

SETTINGS = {
    "default": {},
    "production": {
        "DJANGO_SETTINGS_MODULE": "shixun.config.settings.production",
        "SECRET_KEY": "x" * 30 + "-production-secret-for-the-start-up-check-only",
        # Start-up never connects: the URL only has to be PostgreSQL's.
        "DATABASE_URL": "postgres://shixun@127.0.0.1:9/shixun",
        "ALLOWED_HOSTS": "shixun.example.edu.cn",
    },
}

# Loaded only where they are used: the admin's H5P library pages and package uploads (pyh5p, the archive
# checks), and the file checks behind assessments.uploads.validate_upload.
DEFERRED = [
    "pyh5p",
    "shixun.assessments.h5p.packages",
    "shixun.assessments.h5p.validation",
    "shixun.assessments.h5p.library_views",
    "shixun.assessments.uploads.validate",
    "shixun.assessments.uploads.checks",
    "shixun.assessments.uploads.pdf",
    "shixun.assessments.uploads.office",
    "shixun.assessments.uploads.zipsafe",
    # The writers of the other export formats and of PDFs, QR codes and workbooks: the CSV export's start-up
    # (its first byte) never needs them (bench/ANALYSIS.md, 2026-12-06 07:45-08:45).
    "reportlab",
    "openpyxl",
    "segno",
    "shixun.transcripts.pdf",
    "shixun.spreadsheets.xlsx_stream",
]


@pytest.fixture(scope="module", params=sorted(SETTINGS))
def started(request, tmp_path_factory):
    unwanted = ("DATABASE_URL", "DJANGO_SETTINGS_MODULE", "DJANGO_ALLOW_ASYNC_UNSAFE", "REDIS_URL")
    env = {key: value for key, value in os.environ.items() if key not in unwanted}
    env.update(PYTHONPATH=str(ROOT), SHIXUN_VAR_DIR=str(tmp_path_factory.mktemp("var")), **SETTINGS[request.param])
    result = subprocess.run(
        [sys.executable, "-c", PROBE], cwd=ROOT, env=env, capture_output=True, text=True, timeout=300
    )
    assert result.returncode == 0, result.stderr[-3000:]
    assert "--district" in result.stdout  # the command's own help: the command was loaded
    return json.loads(result.stdout.rsplit("\nPROBE ", 1)[1])


def test_the_export_command_starts_without_what_only_pages_and_uploads_use(started):
    modules = set(started["modules"])
    assert "shixun.schools.exports" in modules  # the probe did load the export command and its module
    assert "shixun.assessments.h5p.wagtail_hooks" in modules  # and every app's hooks, as any process does
    loaded = [name for name in DEFERRED if name in modules]
    assert loaded == [], f"imported at start-up again: {loaded}"


def test_startup_objects_are_frozen_and_the_collector_is_on_again(started):
    assert started["gc_enabled"] is True
    # Frozen: the apps' objects (hundreds of thousands) sit in the permanent generation.
    assert started["frozen"] > 50_000


def test_the_deferred_names_still_resolve():
    """The uploads package's public names, loaded on first use, are the modules' own objects."""
    from shixun.assessments import uploads
    from shixun.assessments.uploads import kinds, validate

    assert uploads.validate_upload is validate.validate_upload
    assert uploads.FileKind is kinds.FileKind
    for name in uploads.__all__:
        assert getattr(uploads, name) is not None
    with pytest.raises(AttributeError):
        uploads.no_such_name  # noqa: B018


WSGI_PROBE = """
import gc, json
import shixun.config.wsgi
print("\\nPROBE " + json.dumps({"gc_enabled": gc.isenabled(), "frozen": gc.get_freeze_count(),
                                "urlconf": "shixun.config.urls" in __import__("sys").modules}))
"""


def test_a_web_worker_starts_frozen_with_its_urlconf_loaded(tmp_path):
    unwanted = ("DATABASE_URL", "DJANGO_SETTINGS_MODULE", "DJANGO_ALLOW_ASYNC_UNSAFE", "REDIS_URL")
    env = {key: value for key, value in os.environ.items() if key not in unwanted}
    env.update(PYTHONPATH=str(ROOT), SHIXUN_VAR_DIR=str(tmp_path), **SETTINGS["production"])
    result = subprocess.run(
        [sys.executable, "-c", WSGI_PROBE], cwd=ROOT, env=env, capture_output=True, text=True, timeout=300
    )
    assert result.returncode == 0, result.stderr[-3000:]
    probe = json.loads(result.stdout.rsplit("\nPROBE ", 1)[1])
    assert probe == {"gc_enabled": True, "frozen": probe["frozen"], "urlconf": True}
    assert probe["frozen"] > 50_000
