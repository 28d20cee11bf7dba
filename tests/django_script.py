"""Run a Python script under Django in a fresh process with its own SQLite file.

For tests that must migrate a database from scratch (or back and forth):
SQLite cannot migrate inside the test run's transaction. The repository root
is the only import path needed; `shixun` maps its folders itself.
"""

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]

# Each test that migrates a database from zero in such a process takes 30-50 s of one core (80-100 s on
# CI's busy machine). One xdist group of them is the second-largest unit (after the e2e group), so
# `--dist loadgroup` hands it out at the start instead of one of them being the last test of the run while
# the other worker has nothing to do.
# They run in an SQLite file of their own whatever the pass's database, so the PostgreSQL pass would repeat
# the SQLite pass's run exactly: `own_database` deselects them there (Makefile test-postgres-main).
_IN_ITS_OWN_GROUP = pytest.mark.xdist_group("migrates-from-zero")
_IN_ITS_OWN_DATABASE = pytest.mark.own_database


def MIGRATES_FROM_ZERO(test):  # a mark in capitals, as it was when it was one
    return _IN_ITS_OWN_DATABASE(_IN_ITS_OWN_GROUP(test))


def run_django_script(code: str, *, sqlite_path: Path, settings: str = "shixun.config.settings.test",
                      timeout: int = 600) -> subprocess.CompletedProcess:
    environment = {
        **{key: value for key, value in os.environ.items() if key != "DATABASE_URL"},
        "DJANGO_SETTINGS_MODULE": settings,
        "SQLITE_PATH": str(sqlite_path),
        "PYTHONPATH": str(ROOT),
    }
    return subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, env=environment, capture_output=True, text=True, timeout=timeout
    )
