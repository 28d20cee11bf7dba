"""tests/sqlite_template.py: the first worker's test database is migrated, the next ones are copies of it.

Two database connections of their own stand for two xdist workers; a small "migration" (a table and a row)
stands for `migrate`, so the test counts how often it ran and reads what the copy holds.
"""

import copy

import pytest
from django.conf import settings
from django.db import connection
from django.db.backends.sqlite3.base import DatabaseWrapper

from tests.sqlite_template import TEMPLATE_NAME, create_test_db_from_template

pytestmark = pytest.mark.skipif(connection.vendor != "sqlite", reason="the SQLite pass's test databases")


@pytest.fixture
def worker_connection(monkeypatch, django_db_blocker):
    """make(alias, test_name=None): a connection like the default one, whose test database is in memory
    unless test_name names a file; its `migrate` makes one table with one row and is counted."""
    made, migrations = [], []

    def make(alias, test_name=None):
        settings_dict = copy.deepcopy(connection.settings_dict)
        settings_dict["NAME"] = f"{alias}.sqlite3"
        settings_dict["TEST"] = {**settings_dict["TEST"], "NAME": test_name}
        monkeypatch.setitem(settings.DATABASES, alias, settings_dict)
        wrapper = DatabaseWrapper(settings_dict, alias)

        def migrate(**kwargs):
            migrations.append(alias)
            wrapper.settings_dict["NAME"] = wrapper.creation._get_test_db_name()
            with wrapper.cursor() as cursor:
                cursor.execute("CREATE TABLE lesson (title TEXT)")
                cursor.execute("INSERT INTO lesson VALUES ('师德规范')")
            return wrapper.settings_dict["NAME"]

        wrapper.creation.create_test_db = migrate
        made.append(wrapper)
        return wrapper

    make.migrations = migrations
    with django_db_blocker.unblock():
        yield make
        for wrapper in made:
            if wrapper.connection is not None:
                wrapper.connection.close()  # Django keeps an in-memory database open on close()


def _lessons(wrapper):
    with wrapper.cursor() as cursor:
        cursor.execute("SELECT title FROM lesson")
        return cursor.fetchall()


def test_the_first_worker_migrates_and_the_next_one_copies_its_database(worker_connection, tmp_path):
    first, second = worker_connection("template_gw0"), worker_connection("template_gw1")
    with create_test_db_from_template(first, tmp_path):
        name = first.creation.create_test_db(serialize=False)
    assert worker_connection.migrations == ["template_gw0"] and (tmp_path / TEMPLATE_NAME).exists()
    assert name == "file:memorydb_template_gw0?mode=memory&cache=shared"

    with create_test_db_from_template(second, tmp_path):
        name = second.creation.create_test_db(serialize=False)  # setup_databases serializes afterwards
    assert worker_connection.migrations == ["template_gw0"]  # not migrated again
    assert name == second.settings_dict["NAME"] == settings.DATABASES["template_gw1"]["NAME"]
    assert name == "file:memorydb_template_gw1?mode=memory&cache=shared"
    assert _lessons(second) == [("师德规范",)]

    with second.cursor() as cursor:  # its own database: a copy, not the first worker's
        cursor.execute("DELETE FROM lesson")
    assert _lessons(first) == [("师德规范",)]
    assert first.creation.create_test_db.__name__ == "migrate"  # the connection's own method again


def test_a_test_database_in_a_file_is_migrated_as_before(worker_connection, tmp_path):
    worker = worker_connection("template_file", test_name=str(tmp_path / "test.sqlite3"))
    with create_test_db_from_template(worker, tmp_path):
        worker.creation.create_test_db(serialize=False)
    assert worker_connection.migrations == ["template_file"]
    assert not (tmp_path / TEMPLATE_NAME).exists()
