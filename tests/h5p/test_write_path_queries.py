"""What an xAPI statement costs: a fixed number of queries, and the fewest for the statements that change nothing.

The H5P player posts statements constantly (issue 8's xAPI ingestion), and
most ("answered", "interacted", a lower score) change nothing the module
holds, so each kind is counted exactly, through the real view and
middleware. Counted inside the test's transaction: the statement's own
transaction shows as a SAVEPOINT/RELEASE pair.
"""

from __future__ import annotations

import uuid
from decimal import Decimal

import pytest
from django.db import connection

from shixun.assessments.h5p.models import H5PResult, H5PStatement
from shixun.courses.models import ActivityProgress, ActivityStatus, ModuleCompletion

from .test_xapi import post, statement

pytestmark = pytest.mark.django_db

# session, user, SAVEPOINT, the INSERT, one read that locks the result and
# brings the activity, enrolment, the module's progress and completion, RELEASE;
# on PostgreSQL the INSERT and the read are one query (results._store_and_lock)
DUPLICATE = 6 - (connection.vendor == "postgresql")
# … and the result's UPDATE, which on PostgreSQL also sets synchronous_commit off (see results.py):
# no round trip of its own
UNCHANGED = DUPLICATE + 1
# … and the module page, the enrolment lock, the module's progress, its write,
# the module's requirements (the activity placed in it), the completion
# INSERT, the course's modules and (the module is the course's only one) the
# course completion INSERT
COMPLETING = DUPLICATE + 1 + 8


@pytest.fixture
def learner_client(client, world):
    client.force_login(world.learner)
    return client


def test_statements_that_change_nothing_the_module_holds(learner_client, world, django_assert_num_queries):
    post(learner_client, world, statement(world, "answered", scaled=0.5, raw=5, maximum=10, success=False,
                                          completion=None))
    lower = statement(world, "answered", scaled=0.2, raw=2, maximum=10, success=False, completion=None,
                      id=str(uuid.uuid4()))

    with django_assert_num_queries(UNCHANGED):
        assert post(learner_client, world, lower).json()["stored"] is True
    with django_assert_num_queries(DUPLICATE):  # the same statement again: not stored, nothing written
        assert post(learner_client, world, lower).json()["stored"] is False

    progress = ActivityProgress.objects.get(activity_key=world.activity.activity_key)
    assert (progress.status, progress.score) == (ActivityStatus.IN_PROGRESS, 50)


def test_a_statement_that_completes_the_activity_and_the_module(learner_client, world, django_assert_num_queries):
    ActivityProgress.objects.create(user=world.learner, module=world.module, activity_key="lesson", status="done")
    post(learner_client, world, statement(world, "answered", scaled=0.2, raw=2, maximum=10, success=False,
                                          completion=None))

    with django_assert_num_queries(COMPLETING):
        reply = post(learner_client, world, statement(world, scaled=1, raw=10, maximum=10, success=True)).json()

    assert (reply["status"], reply["module_completed"]) == (ActivityStatus.DONE, True)
    assert ModuleCompletion.objects.filter(user=world.learner, module=world.module).count() == 1


ASYNCHRONOUS = "set_config('synchronous_commit', 'off', true)"


def sql_of(learner_client, world, data) -> list[str]:
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as captured:
        post(learner_client, world, data)
    return [q["sql"] for q in captured.captured_queries]


@pytest.mark.parametrize("durable_setting", [True, False])
def test_only_statements_that_change_nothing_skip_the_wait_for_the_disk(
    learner_client, world, settings, durable_setting
):
    settings.SHIXUN_H5P_ASYNC_COMMIT_UNCHANGED = durable_setting

    def asynchronous(data) -> bool:
        return any(ASYNCHRONOUS in sql for sql in sql_of(learner_client, world, data))

    first = statement(world, "answered", scaled=0.5, raw=5, maximum=10, success=False, completion=None)
    lower = statement(world, "answered", scaled=0.2, raw=2, maximum=10, success=False, completion=None,
                      id=str(uuid.uuid4()))
    assert not asynchronous(first)  # it made the progress row: durable
    expected = durable_setting and connection.vendor == "postgresql"
    assert asynchronous(lower) is expected
    assert not asynchronous(lower)  # a duplicate writes nothing
    assert not asynchronous(statement(world, scaled=1, raw=10, maximum=10, success=True))  # completes
    assert H5PResult.objects.get(activity=world.activity).passed is True


@pytest.mark.skipif(connection.vendor != "postgresql", reason="synchronous_commit is PostgreSQL's")
def test_the_switch_rides_on_the_results_update_and_takes_effect(learner_client, world):
    """Issue 18: the switch is no round trip of its own, and the transaction commits with it off."""
    with connection.cursor() as cursor:  # the test server runs with it off: on, as in production
        cursor.execute("SET LOCAL synchronous_commit TO on")
    post(learner_client, world, statement(world, "answered", scaled=0.5, raw=5, maximum=10, success=False,
                                          completion=None))
    with connection.cursor() as cursor:
        cursor.execute("SHOW synchronous_commit")
        assert cursor.fetchone()[0] == "on"  # the first statement made the progress row: durable

    lower = statement(world, "answered", scaled=0.2, raw=2, maximum=10, success=False, completion=None)
    (update,) = [sql for sql in sql_of(learner_client, world, lower) if sql.startswith("UPDATE")]
    assert ASYNCHRONOUS in update and '"shixun_h5p_h5presult"' in update
    # Off for the rest of the transaction (here the test's own, around the statement's savepoint).
    with connection.cursor() as cursor:
        cursor.execute("SHOW synchronous_commit")
        assert cursor.fetchone()[0] == "off"
    result = H5PResult.objects.get(activity=world.activity)
    assert (result.answered_count, result.best_scaled_score) == (2, Decimal("0.5"))


@pytest.mark.skipif(connection.vendor != "postgresql", reason="SQLite has no INSERT inside WITH")
def test_the_insert_and_the_locked_read_are_one_query(learner_client, world):
    """Issue 18: one round trip stores the statement and locks and reads the result, also for a duplicate."""
    first = statement(world, "answered", scaled=0.5, raw=5, maximum=10, success=False, completion=None)
    # The learner's first statement finds no result row: it is made and read again, locked.
    assert sum(sql.startswith('WITH "shixun_stored"') for sql in sql_of(learner_client, world, first)) == 1
    lower = statement(world, "answered", scaled=0.2, raw=2, maximum=10, success=False, completion=None)

    for _ in range(2):  # stored, then a duplicate
        queries = sql_of(learner_client, world, lower)
        (combined,) = [sql for sql in queries if "shixun_h5p_h5pstatement" in sql]
        assert combined.startswith('WITH "shixun_stored" AS (INSERT INTO "shixun_h5p_h5pstatement"')
        assert "FOR UPDATE OF" in combined
        assert not any(sql.startswith("SELECT") and "shixun_h5p_h5presult" in sql for sql in queries)

    assert H5PStatement.objects.filter(user=world.learner).count() == 2
    result = H5PResult.objects.get(activity=world.activity)
    assert (result.answered_count, result.attempts, result.best_scaled_score) == (2, 2, Decimal("0.5"))
