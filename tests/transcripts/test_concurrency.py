"""Exactly one ledger entry under real concurrency (PostgreSQL only)."""

import threading

import pytest
from django.db import connections

from shixun.courses.models import ModuleCompletion
from shixun.transcripts import tasks
from shixun.transcripts.models import LedgerEntry
from tests.factories import make_teacher
from tests.transcripts.helpers import complete, enrol, make_course, tasks_lost

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


def run_at_once(fn, n=2):
    barrier = threading.Barrier(n)
    errors = []

    def worker():
        try:
            barrier.wait(timeout=10)
            fn()
        except Exception as error:  # noqa: BLE001 - reported below
            errors.append(error)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=worker) for _ in range(n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=30)
    return errors


@pytest.fixture
def setup(postgres_only):
    from shixun.accounts.models import District, School

    district = District.objects.create(code="cc", name="并发区")
    school = School.objects.create(district=district, code="cc-s", name="并发小学")
    teacher = make_teacher(school, username="cc-teacher")
    course, (module,) = make_course(hours=("2.5",))
    enrol(teacher, course)
    return teacher, module


def test_two_simultaneous_completions_of_the_same_module(setup):
    teacher, module = setup
    errors = run_at_once(lambda: complete(teacher, module))
    assert not errors, errors
    assert ModuleCompletion.objects.count() == 1
    assert LedgerEntry.objects.filter(learner=teacher).count() == 1


def test_the_same_task_run_twice_at_once(setup):
    teacher, module = setup
    with tasks_lost():
        complete(teacher, module)
    completion = ModuleCompletion.objects.get()
    assert not LedgerEntry.objects.exists()
    results = []
    errors = run_at_once(lambda: results.append(tasks.post_module_completion(completion.pk)), n=4)
    assert not errors, errors
    assert sorted(results) == [False, False, False, True]
    assert LedgerEntry.objects.filter(module_completion=completion).count() == 1


def test_a_retried_reversal_request_reverses_once(setup):
    from django.test import Client

    from shixun.accounts.models import Role
    from tests.factories import make_user

    teacher, module = setup
    complete(teacher, module)
    entry = LedgerEntry.objects.get()
    admin = make_user(district=teacher.district, roles=[Role.DISTRICT_ADMIN], username="cc-admin")
    url = f"/transcript/{teacher.pk}/entries/{entry.pk}/reverse/"
    statuses = []

    def post():
        client = Client()
        client.force_login(admin)
        statuses.append(client.post(url, {"reason": "重复提交"}).status_code)

    errors = run_at_once(post)
    assert not errors, errors
    assert sorted(statuses) == [200, 302]  # the second sees "already reversed"
    assert LedgerEntry.objects.filter(reverses=entry).count() == 1
