"""The statement table keeps one index per lookup and no more (issue 18): every xAPI statement's INSERT maintains
each of them, and the learner's and the activity's own single-column indexes duplicated the leading columns of the
unique (user, activity, dedupe_key) constraint and the (activity, user) index (migration 0005)."""

import pytest
from django.db import connection

from shixun.assessments.h5p.models import H5PStatement
from tests.django_script import MIGRATES_FROM_ZERO, run_django_script

TABLE = H5PStatement._meta.db_table


def index_columns() -> list[list[str]]:
    with connection.cursor() as cursor:
        constraints = connection.introspection.get_constraints(cursor, TABLE)
    return [info["columns"] for info in constraints.values() if info["index"] or info["unique"]]


@pytest.mark.django_db
def test_the_learner_and_the_activity_are_looked_up_by_the_composite_indexes_only():
    columns = index_columns()
    assert ["user_id"] not in columns
    assert ["activity_id"] not in columns
    # What serves a lookup by either column now (a deleted learner's or activity's cascade, the personal-data
    # export, a learner's statements on an activity): an index that starts with it.
    assert ["user_id", "activity_id", "dedupe_key"] in columns
    assert ["activity_id", "user_id"] in columns
    assert ["content_id"] in columns and ["module_id"] in columns  # SET_NULL cascades: kept


@pytest.mark.django_db
def test_deleting_a_learner_or_an_activity_still_deletes_their_statements(world):
    from django.contrib.auth import get_user_model

    other = get_user_model().objects.create(username="another-learner", password="x")
    for user, key in ((world.learner, "mine"), (other, "theirs")):
        H5PStatement.objects.create(user=user, activity=world.activity, dedupe_key=key, verb="v", statement={})
    world.learner.delete()
    assert list(H5PStatement.objects.values_list("dedupe_key", flat=True)) == ["theirs"]
    world.activity.delete()
    assert not H5PStatement.objects.exists()


MIGRATE_BACK_AND_FORTH = """
import django

django.setup()
from django.db import connection
from django.db.migrations.executor import MigrationExecutor


def single_column_indexes():
    with connection.cursor() as cursor:
        constraints = connection.introspection.get_constraints(cursor, "shixun_h5p_h5pstatement")
    return sorted(info["columns"][0] for info in constraints.values()
                  if info["index"] and info["columns"] in (["user_id"], ["activity_id"]))


for target in ("0004_library_approval", "0005_statement_no_single_column_indexes", "0004_library_approval"):
    executor = MigrationExecutor(connection)
    executor.migrate([("shixun_h5p", target)])
    print(target[:4], single_column_indexes())
"""


@MIGRATES_FROM_ZERO
def test_the_migration_drops_the_two_indexes_and_its_reverse_restores_them(tmp_path):
    result = run_django_script(MIGRATE_BACK_AND_FORTH, sqlite_path=tmp_path / "statement-indexes.sqlite3")
    assert result.returncode == 0, result.stderr
    assert result.stdout.splitlines()[-3:] == [
        "0004 ['activity_id', 'user_id']",
        "0005 []",
        "0004 ['activity_id', 'user_id']",
    ]
