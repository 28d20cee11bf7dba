"""Statements posted at the same moment (two tabs, a retry) on a real PostgreSQL: all count, none twice.

The result row is locked (only it: never the activity every learner
shares) by the same read that brings the enrolment and progress, so the
running result must still equal a derivation from every stored statement.
"""

import uuid

import pytest

from shixun.assessments.h5p.models import H5PResult, H5PStatement
from shixun.assessments.h5p.results import parse_statement, rebuild_result, record_statement
from shixun.courses.models import ActivityProgress, ModuleCompletion
from shixun.courses.signals import module_completed
from tests.concurrency import needs_postgres, run_together  # noqa: F401 - needs_postgres is a fixture used by pytestmark

from .test_xapi import statement

pytestmark = [
    pytest.mark.postgres,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
    pytest.mark.usefixtures("needs_postgres"),
]


def _record(world, data):
    parsed = parse_statement(data)
    return lambda: record_statement(world.learner, world.activity.pk, world.module.pk, world.content.pk, parsed)


def _running(result):
    return (result.best_scaled_score, result.completed, result.passed, result.attempts, result.answered_count,
            result.finished_count)


@pytest.mark.parametrize("repeat", range(3))
def test_two_tabs_posting_at_once_both_count(world, repeat):
    tabs = [
        statement(world, "answered", scaled=scaled, raw=scaled * 10, maximum=10, success=False, completion=None,
                  id=str(uuid.uuid4()))
        for scaled in (0.3, 0.5)
    ]
    outcomes = run_together(*(_record(world, data) for data in tabs))
    assert not any(isinstance(o, Exception) for o in outcomes), outcomes
    assert all(o.stored for o in outcomes)
    result = H5PResult.objects.get(user=world.learner, activity=world.activity)
    assert (result.answered_count, result.best_scaled_score) == (2, 0.5)
    assert _running(result) == _running(rebuild_result(world.learner, world.activity))
    progress = ActivityProgress.objects.get(user=world.learner, activity_key=world.activity.activity_key)
    assert progress.score == 50


@pytest.mark.parametrize("repeat", range(3))
def test_a_replay_arriving_at_the_same_moment_is_stored_and_counted_once(world, repeat):
    data = statement(world, "answered", scaled=0.4, raw=4, maximum=10, success=False, completion=None,
                     id=str(uuid.uuid4()))
    outcomes = run_together(_record(world, data), _record(world, data))
    assert not any(isinstance(o, Exception) for o in outcomes), outcomes
    assert sorted(o.stored for o in outcomes) == [False, True]
    assert H5PStatement.objects.filter(user=world.learner).count() == 1
    assert H5PResult.objects.get(user=world.learner, activity=world.activity).answered_count == 1


def test_two_statements_completing_the_module_at_once_complete_it_once(world):
    ActivityProgress.objects.create(user=world.learner, module=world.module, activity_key="lesson", status="done")
    sent = []
    module_completed.connect(lambda completion, **kw: sent.append(completion.pk), weak=False, dispatch_uid="h5p-race")
    try:
        outcomes = run_together(
            _record(world, statement(world, scaled=1, raw=10, maximum=10, success=True, id=str(uuid.uuid4()))),
            _record(world, statement(world, scaled=0.9, raw=9, maximum=10, success=True, id=str(uuid.uuid4()))),
        )
    finally:
        module_completed.disconnect(dispatch_uid="h5p-race")
    assert not any(isinstance(o, Exception) for o in outcomes), outcomes
    assert all(o.module_completed for o in outcomes)
    assert ModuleCompletion.objects.filter(user=world.learner, module=world.module).count() == 1
    assert len(sent) == 1
    assert H5PResult.objects.get(user=world.learner, activity=world.activity).finished_count == 2
