"""The xAPI write path's SQL is built once per process, and what it reads and writes is what the ORM would.

Compiling the locked read (an annotated queryset with four subqueries) was
most of a statement's CPU (bench/ANALYSIS.md, "xAPI"), so results.py
compiles it once per connection and runs it as SQL with the learner,
activity and module as parameters. These tests hold it to the ORM's own
answer in every state the read reports, and fail if a statement starts
compiling ORM queries again.
"""

from __future__ import annotations

import uuid
from decimal import Decimal

import pytest
from django.db import connection, models, transaction
from django.db.models.signals import post_save, pre_save
from django.db.models.sql.compiler import SQLCompiler

from shixun.assessments.h5p import results
from shixun.assessments.h5p.models import H5PResult
from shixun.courses.models import ActivityProgress, ActivityStatus, Enrolment, ModuleCompletion

from .test_xapi import post, statement

pytestmark = pytest.mark.django_db

ANNOTATIONS = ("enrolled", "progress_status", "progress_score", "module_completed")


def _fields(instance) -> dict:
    return {field.attname: getattr(instance, field.attname) for field in instance._meta.concrete_fields}


def _both_reads(world):
    with transaction.atomic():
        compiled = results._CompiledRead.for_connection(connection).fetch(
            world.learner.pk, world.activity.pk, world.module.pk
        )
        orm = results._locked_queryset(world.learner.pk, world.activity.pk, world.module.pk).first()
    return compiled, orm


def _assert_same(compiled, orm):
    assert compiled is not None and orm is not None
    assert _fields(compiled) == _fields(orm)
    assert _fields(compiled.activity) == _fields(orm.activity)
    assert {name: getattr(compiled, name) for name in ANNOTATIONS} == {name: getattr(orm, name) for name in ANNOTATIONS}
    assert compiled._state.adding is False and compiled._state.db == orm._state.db


def test_the_compiled_read_answers_as_the_orm_in_every_state(world):
    assert _both_reads(world) == (None, None)  # no result row yet

    H5PResult.objects.create(user=world.learner, activity=world.activity, attempts=2, answered_count=2,
                             best_scaled_score=Decimal("0.4500"), completed=True)
    compiled, orm = _both_reads(world)
    _assert_same(compiled, orm)
    assert (compiled.enrolled, compiled.progress_status, compiled.module_completed) == (True, None, False)
    assert (compiled.best_scaled_score, compiled.completed) == (Decimal("0.4500"), True)

    ActivityProgress.objects.create(user=world.learner, module=world.module, activity_key=world.activity.activity_key,
                                    status=ActivityStatus.IN_PROGRESS, score=45)
    ModuleCompletion.objects.create(user=world.learner, module=world.module, course=world.course,
                                    credit_hours=Decimal("2.0"))
    compiled, orm = _both_reads(world)
    _assert_same(compiled, orm)
    assert (compiled.progress_status, compiled.progress_score, compiled.module_completed) == (
        ActivityStatus.IN_PROGRESS, 45, True)

    Enrolment.objects.filter(user=world.learner, course=world.course).update(status=Enrolment.Status.WITHDRAWN)
    compiled, orm = _both_reads(world)
    _assert_same(compiled, orm)
    assert compiled.enrolled is False


def test_another_learner_or_activity_is_not_read(world, org):
    H5PResult.objects.create(user=world.learner, activity=world.activity)
    with transaction.atomic():
        read = results._CompiledRead.for_connection(connection)
        assert read.fetch(org.sibling_teacher.pk, world.activity.pk, world.module.pk) is None
        assert read.fetch(world.learner.pk, world.activity.pk + 1000, world.module.pk) is None


def test_a_statement_compiles_no_orm_query_and_reuses_the_compiled_read(client, world, monkeypatch):
    client.force_login(world.learner)
    post(client, world, statement(world, "answered", scaled=0.5, raw=5, maximum=10, success=False, completion=None))
    compiled = results._CompiledRead.for_connection(connection)

    compiled_sql = []
    original = SQLCompiler.as_sql

    def counting(self, *args, **kwargs):
        sql, params = original(self, *args, **kwargs)
        compiled_sql.append(sql)
        return sql, params

    monkeypatch.setattr(SQLCompiler, "as_sql", counting)
    lower = statement(world, "answered", scaled=0.2, raw=2, maximum=10, success=False, completion=None,
                      id=str(uuid.uuid4()))
    assert post(client, world, lower).json()["stored"] is True
    # Only what comes before the view compiles (the session in the test settings' database
    # backend, the user); the statement's INSERT, locked read and UPDATE are prepared SQL.
    assert [sql for sql in compiled_sql if "h5p" in sql] == []
    assert len(compiled_sql) <= 2, compiled_sql
    assert results._CompiledRead.for_connection(connection) is compiled
    assert H5PResult.objects.get(user=world.learner, activity=world.activity).answered_count == 2


def test_the_running_figures_may_be_written_without_save():
    # results._save_running writes what save(update_fields=RUNNING_FIELDS) would, and only that
    # holds while H5PResult has no save() of its own and nothing listens to its saves in particular
    # (receivers connected for every model, Wagtail's locale and the cached Site's, act on pages,
    # sites and images only).
    assert H5PResult.save is models.Model.save
    for signal in (pre_save, post_save):
        assert [key for (key, *_rest) in signal.receivers if key[1] == id(H5PResult)] == []
