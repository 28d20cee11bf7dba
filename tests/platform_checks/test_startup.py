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
# Collections that start before the apps are loaded (manage.py keeps the collector off until then).
during_start_up = []
def count(phase, info):
    registry = sys.modules.get("django.apps")
    if phase == "start" and (registry is None or not registry.apps.ready):
        during_start_up.append(info["generation"])
gc.callbacks.append(count)
try:
    manage.main()
except SystemExit:
    pass
print("\\nPROBE " + json.dumps({
    "modules": sorted(sys.modules),
    "gc_enabled": gc.isenabled(),
    "frozen": gc.get_freeze_count(),
    "collections_during_start_up": during_start_up,
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
    # Used after migrate only (post_migrate handlers): the schedules of the reminders and of the exports'
    # clean-up, and the reminders' rules.
    "shixun.schools.reminders",
    "shixun.schools.jobs",
    "shixun.shadowing.reminders",
    "shixun.shadowing.rules",
    # Wagtail's oEmbed finder and its 144 compiled provider patterns: built on the first embed look-up
    # (config/embed_finders.py), not by wagtail.embeds' ready().
    "wagtail.embeds.finders.oembed",
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
    return {**json.loads(result.stdout.rsplit("\nPROBE ", 1)[1]), "settings": request.param}


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
    # Off from manage.py's first line: the settings' imports (Django's, asyncio's) ran it ~40 times.
    assert started["collections_during_start_up"] == []


def test_production_start_up_leaves_the_static_storage_unbuilt(started):
    """WAGTAILADMIN_STATIC_FILE_VERSION_STRINGS is set: Wagtail's admin no longer builds whitenoise's manifest
    storage at import to find out whether its file names are hashed (production's are)."""
    if started["settings"] != "production":
        pytest.skip("production's static storage only")
    assert "whitenoise.storage" not in started["modules"]


def test_the_embed_finder_is_wagtails_oembed_finder_built_on_first_use():
    from wagtail.coreutils import accepts_kwarg
    from wagtail.embeds.exceptions import EmbedNotFoundException
    from wagtail.embeds.finders import get_finders
    from wagtail.embeds.finders.oembed import OEmbedFinder

    from shixun.config.embed_finders import LazyOEmbedFinder

    (finder,) = get_finders()
    assert isinstance(finder, LazyOEmbedFinder)
    stock = OEmbedFinder()
    urls = [
        "https://www.youtube.com/watch?v=dQw4w9WgXcQ",
        "https://vimeo.com/76979871",
        "https://www.bilibili.com/video/BV1GJ411x7h7",
        "https://example.com/v/1",
    ]
    assert [finder.accept(url) for url in urls] == [stock.accept(url) for url in urls] == [True, True, False, False]
    # Wagtail passes max_height only to a finder whose find_embed takes it (embeds.get_finder_for_embed).
    assert accepts_kwarg(finder.find_embed, "max_height")
    with pytest.raises(EmbedNotFoundException):  # no provider: refused before any request is made
        finder.find_embed("https://example.com/v/1", max_width=640, max_height=360)


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
from django.conf import STATICFILES_STORAGE_ALIAS, settings
from django.contrib.staticfiles.storage import HashedFilesMixin
from django.core.files.storage import storages
from wagtail.admin import staticfiles
print("\\nPROBE " + json.dumps({"gc_enabled": gc.isenabled(), "frozen": gc.get_freeze_count(),
                                "urlconf": "shixun.config.urls" in __import__("sys").modules,
                                # The setting says what Wagtail would otherwise find out from the storage.
                                "version_strings": settings.WAGTAILADMIN_STATIC_FILE_VERSION_STRINGS,
                                "hashed_names": isinstance(storages[STATICFILES_STORAGE_ALIAS], HashedFilesMixin),
                                "admin_version_hash": staticfiles.VERSION_HASH}))
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
    assert probe == {"gc_enabled": True, "frozen": probe["frozen"], "urlconf": True, "version_strings": False,
                     "hashed_names": True, "admin_version_hash": None}
    assert probe["frozen"] > 50_000


@pytest.mark.django_db
def test_migrate_still_registers_the_schedules_whose_modules_load_on_first_use():
    """The schools' and shadowing's post_migrate handlers import the reminders and jobs modules when they run."""
    from django.apps import apps
    from django.db.models.signals import post_migrate
    from django_q.models import Schedule

    from shixun.schools import jobs
    from shixun.shadowing import reminders as shadowing_reminders

    Schedule.objects.all().delete()
    for label in ("shixun_schools", "shixun_shadowing"):
        config = apps.get_app_config(label)
        post_migrate.send(sender=config, app_config=config, verbosity=0, interactive=False, using="default",
                          apps=apps, plan=[])
    names = set(Schedule.objects.values_list("name", flat=True))
    assert {jobs.EXPIRE_SCHEDULE, shadowing_reminders.SCHEDULE_NAME} <= names
    assert {"shixun_schools.monthly_digests", "shixun_schools.weekly_reminders"} <= names
