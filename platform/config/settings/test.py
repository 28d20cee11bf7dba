"""Fast, isolated settings for the pytest suite.

The database comes from DATABASE_URL when set (CI runs the suite once on
SQLite and once on a real PostgreSQL); otherwise an SQLite file per run.
"""

import os
import tempfile
from pathlib import Path

from .base import *  # noqa: F401,F403
from .base import DATABASES, Q_CLUSTER, STORAGES

DEBUG = False
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
# The suite logs the same users in thousands of times (and client.login passes no request, which
# axes refuses): login throttling and request limits are off, and on in their own tests
# (tests/accounts/test_throttling.py, tests/platform_checks/test_rate_limits.py).
AXES_ENABLED = False
SHIXUN_RATE_LIMITS_ENABLED = False

_TMP = Path(tempfile.mkdtemp(prefix="shixun-test-"))
MEDIA_ROOT = _TMP / "media"
PRIVATE_MEDIA_ROOT = _TMP / "private"
STORAGES = {
    **STORAGES,
    "private": {
        "BACKEND": "shixun.config.storage.PrivateFileSystemStorage",
        "OPTIONS": {"location": str(PRIVATE_MEDIA_ROOT)},
    },
}
# The PostgreSQL runs (Makefile test-postgres: each xdist worker of the main pass, each concurrency file)
# clone a database migrated once (CREATE DATABASE … TEMPLATE) instead of migrating a new one each. Not
# --reuse-db: a file's transactional tests leave the kept database flushed, and the next file would start
# from that.
if os.environ.get("SHIXUN_TEST_DB_TEMPLATE") and DATABASES["default"]["ENGINE"].endswith("postgresql"):
    DATABASES["default"]["TEST"] = {"TEMPLATE": os.environ["SHIXUN_TEST_DB_TEMPLATE"]}
# Those per-file runs go two at a time (Makefile PG_FILE_JOBS): each process names its own test database,
# or both would create, flush and drop the same "test_<NAME>".
if os.environ.get("SHIXUN_TEST_DB_NAME") and DATABASES["default"]["ENGINE"].endswith("postgresql"):
    DATABASES["default"].setdefault("TEST", {})["NAME"] = os.environ["SHIXUN_TEST_DB_NAME"]

# Tasks run inline unless a test is about the queue itself (those start a real
# cluster with their own settings).
Q_CLUSTER = {**Q_CLUSTER, "sync": True}
WAGTAILADMIN_BASE_URL = "http://testserver"
# The tests' content origin is a sub-domain of the site's host, as in `make demo`
# (h5p.testserver for the test client; *.shixun.localhost for live servers).
ALLOWED_HOSTS = ["testserver", "h5p.testserver", "shixun.localhost", "h5p.shixun.localhost", "localhost", "127.0.0.1"]

# A study "minute" lasts a second, so a lesson's minimum study time passes in seconds.
SHIXUN_STUDY_SECONDS_PER_MINUTE = 1

# Serve static files straight from the finders (no collectstatic needed).
STATIC_ROOT = None
WHITENOISE_USE_FINDERS = True
WHITENOISE_AUTOREFRESH = True

# A throw-away activity kind whose tests prove a new kind plugs in with its own files only
# (tests/activity_kind_app). Absent from copies of the source without the tests (test_translations).
try:
    from importlib.util import find_spec

    if find_spec("tests.activity_kind_app") is not None:
        INSTALLED_APPS = [*INSTALLED_APPS, "tests.activity_kind_app"]  # noqa: F405
except ImportError:
    pass
