"""One migration of the SQLite test database per run, copied into every xdist worker's database.

Each worker of test-sqlite has its own in-memory test database, and migrating one costs a core about 25 s
(almost all of it Django rendering the migration states, not SQL). The first worker to need its database
migrates it as before and saves a copy to a file the run's workers share; the others copy that file into
their in-memory database with SQLite's backup API (page for page, so the same schema and the same rows the
data migrations made) instead of migrating. The PostgreSQL runs do the same with a template database
(settings/test.py, SHIXUN_TEST_DB_TEMPLATE); this is its SQLite counterpart, and it applies only to an
in-memory SQLite test database under pytest-xdist.
"""

import fcntl
import os
import shutil
import sqlite3
import tempfile
from contextlib import contextmanager
from pathlib import Path

WORKERINPUT_KEY = "shixun_sqlite_template_dir"
TEMPLATE_NAME = "migrated.sqlite3"


def make_shared_directory(config) -> str:
    """The controller's folder for the run's template, made once (xdist's pytest_configure_node)."""
    if not hasattr(config, "_shixun_sqlite_template_dir"):
        config._shixun_sqlite_template_dir = tempfile.mkdtemp(prefix="shixun-sqlite-template-")
    return config._shixun_sqlite_template_dir


def remove_shared_directory(config) -> None:
    folder = getattr(config, "_shixun_sqlite_template_dir", None)
    if folder:
        shutil.rmtree(folder, ignore_errors=True)


def template_directory(config) -> Path | None:
    """The worker's shared folder, or None when this process is not an xdist worker of a run that made one."""
    folder = getattr(config, "workerinput", {}).get(WORKERINPUT_KEY)
    return Path(folder) if folder else None


@contextmanager
def _locked(folder: Path):
    with open(folder / "lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(lock, fcntl.LOCK_UN)


@contextmanager
def create_test_db_from_template(connection, folder: Path):
    """While active, `connection.creation.create_test_db` migrates once per run and copies afterwards."""
    creation = connection.creation
    if connection.vendor != "sqlite" or not creation.is_in_memory_db(creation._get_test_db_name()):
        yield
        return
    own = vars(creation).get("create_test_db")  # an instance's own (a test's), put back at the end
    migrate = creation.create_test_db

    def create_test_db(verbosity=1, autoclobber=False, serialize=True, keepdb=False):
        template = folder / TEMPLATE_NAME
        with _locked(folder):
            if not template.exists():
                name = migrate(verbosity=verbosity, autoclobber=autoclobber, serialize=serialize, keepdb=keepdb)
                _save(connection, template)
                return name
        return _copy(connection, template, serialize=serialize)

    creation.create_test_db = create_test_db
    try:
        yield
    finally:
        if own is None:
            del creation.create_test_db  # the class's method again
        else:
            creation.create_test_db = own


def _save(connection, template: Path) -> None:
    partial = template.with_suffix(".partial")
    target = sqlite3.connect(partial)
    try:
        connection.ensure_connection()
        connection.connection.backup(target)
    finally:
        target.close()
    os.replace(partial, template)


def _copy(connection, template: Path, *, serialize: bool) -> str:
    """What create_test_db does for an in-memory database, with the template's pages instead of `migrate`."""
    from django.conf import settings
    from django.core.management import call_command

    creation = connection.creation
    name = creation._get_test_db_name()
    connection.close()
    settings.DATABASES[connection.alias]["NAME"] = name
    connection.settings_dict["NAME"] = name
    connection.ensure_connection()
    source = sqlite3.connect(f"file:{template}?mode=ro", uri=True)
    try:
        source.backup(connection.connection)
    finally:
        source.close()
    if serialize:
        connection._test_serialized_contents = creation.serialize_db_to_string()
    call_command("createcachetable", database=connection.alias)
    return name
