"""What an xAPI statement costs: a fixed number of queries, and the fewest for the statements that change nothing.

The H5P player posts statements constantly (issue 8's xAPI ingestion), and
most ("answered", "interacted", a lower score) change nothing the module
holds, so each kind is counted exactly, through the real view and
middleware. Counted inside the test's transaction: the statement's own
transaction shows as a SAVEPOINT/RELEASE pair.
"""

from __future__ import annotations

import uuid

import pytest
from django.db import connection

from shixun.courses.models import ActivityProgress, ActivityStatus, ModuleCompletion

from .test_xapi import post, statement

pytestmark = pytest.mark.django_db

# session, user, SAVEPOINT, the INSERT, one read that locks the result and
# brings the activity, enrolment, the module's progress and completion, RELEASE
DUPLICATE = 6
# … and the result's UPDATE, and on PostgreSQL SET LOCAL synchronous_commit (see results.py)
UNCHANGED = DUPLICATE + 1 + (connection.vendor == "postgresql")
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


@pytest.mark.parametrize("durable_setting", [True, False])
def test_only_statements_that_change_nothing_skip_the_wait_for_the_disk(
    learner_client, world, settings, durable_setting
):
    from django.test.utils import CaptureQueriesContext

    settings.SHIXUN_H5P_ASYNC_COMMIT_UNCHANGED = durable_setting
    asynchronous = "SET LOCAL synchronous_commit TO OFF"

    def sql_of(data):
        with CaptureQueriesContext(connection) as captured:
            post(learner_client, world, data)
        return [q["sql"] for q in captured.captured_queries]

    first = statement(world, "answered", scaled=0.5, raw=5, maximum=10, success=False, completion=None)
    lower = statement(world, "answered", scaled=0.2, raw=2, maximum=10, success=False, completion=None,
                      id=str(uuid.uuid4()))
    assert asynchronous not in sql_of(first)  # it made the progress row: durable
    expected = durable_setting and connection.vendor == "postgresql"
    assert (asynchronous in sql_of(lower)) is expected
    assert asynchronous not in sql_of(lower)  # a duplicate writes nothing
    assert asynchronous not in sql_of(statement(world, scaled=1, raw=10, maximum=10, success=True))  # completes
