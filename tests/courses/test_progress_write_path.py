"""What record_activity_status costs: a fixed, small number of queries, and no write when nothing changes.

Every learner write (a quiz submit, an H5P statement, an assignment) ends
here, so its queries are counted exactly. Inside a transaction (as callers
call it, and as pytest-django runs a test) it takes no savepoint.
"""

from decimal import Decimal

import pytest
from django.db import transaction

from shixun.courses import enrolment
from shixun.courses.blocks import LESSON_KEY
from shixun.courses.models import ActivityProgress, ActivityStatus, CourseCompletion, ModuleCompletion
from shixun.courses.progress import NotEnrolled, lock_enrolment, record_activity_status
from tests.courses.conftest import make_catalogue, make_course, make_module

pytestmark = pytest.mark.django_db

DONE = ActivityStatus.DONE


@pytest.fixture
def two_modules(org):
    """A course of two modules (lesson only) the org's teacher is enrolled in."""
    course = make_course(make_catalogue())
    first, second = make_module(course, "第一单元"), make_module(course, "第二单元", hours="3.0")
    enrolment.enrol_self(org.teacher, course)
    return course, first, second


def test_a_report_that_changes_nothing_reads_twice_and_writes_nothing(org, two_modules, django_assert_num_queries):
    _, first, _ = two_modules
    record_activity_status(org.teacher, first, "quiz:7", ActivityStatus.IN_PROGRESS, score=40)
    touched = ActivityProgress.objects.get(activity_key="quiz:7").updated_at

    with django_assert_num_queries(2):  # the enrolment lock; the module's progress and completion
        progress = record_activity_status(org.teacher, first, "quiz:7", ActivityStatus.IN_PROGRESS, score=40)
    with django_assert_num_queries(2):  # a lower score changes nothing either
        record_activity_status(org.teacher, first, "quiz:7", ActivityStatus.IN_PROGRESS, score=Decimal("39.5"))

    assert (progress.status, progress.score) == (ActivityStatus.IN_PROGRESS, Decimal("40"))
    assert ActivityProgress.objects.get(activity_key="quiz:7").updated_at == touched


def test_a_change_is_one_write(org, two_modules, django_assert_num_queries):
    _, first, _ = two_modules
    with django_assert_num_queries(3):  # lock, read, INSERT
        record_activity_status(org.teacher, first, "quiz:7", ActivityStatus.IN_PROGRESS, score=40)
    with django_assert_num_queries(3):  # lock, read, UPDATE
        progress = record_activity_status(org.teacher, first, "quiz:7", ActivityStatus.FAILED, score=55)
    assert progress.module_completed is False
    row = ActivityProgress.objects.get(activity_key="quiz:7")
    assert (row.status, row.score) == (ActivityStatus.FAILED, Decimal("55.00"))


def test_completing_a_module_and_then_the_course_takes_a_fixed_number_of_queries(
    org, two_modules, django_assert_num_queries, django_capture_on_commit_callbacks
):
    course, first, second = two_modules
    with django_capture_on_commit_callbacks() as callbacks:
        # lock, read, progress INSERT, completion INSERT, one read of the course's modules
        with django_assert_num_queries(5):
            completing = record_activity_status(org.teacher, first, LESSON_KEY, DONE)
        with django_assert_num_queries(6):  # … and the course completion INSERT
            record_activity_status(org.teacher, second, LESSON_KEY, DONE)
        with django_assert_num_queries(2):  # done again: the module is complete, nothing to do
            again = record_activity_status(org.teacher, second, LESSON_KEY, DONE)
    assert completing.module_completed is True and again.module_completed is True
    assert len(callbacks) == 3  # two module completions and one course completion, announced after commit
    completions = ModuleCompletion.objects.filter(user=org.teacher).order_by("module__path")
    assert [(c.module_id, c.course_id, c.credit_hours) for c in completions] == [
        (first.pk, course.pk, Decimal("1.0")), (second.pk, course.pk, Decimal("3.0"))
    ]
    assert CourseCompletion.objects.filter(user=org.teacher, course_id=course.pk).count() == 1


def test_a_caller_holding_the_enrolment_lock_saves_a_query(org, two_modules, django_assert_num_queries):
    _, first, _ = two_modules
    with transaction.atomic():
        locked = lock_enrolment(org.teacher, first)
        with django_assert_num_queries(2):  # read, INSERT (the lesson is not done: nothing to complete)
            record_activity_status(org.teacher, first, "quiz:7", DONE, score=90, locked_enrolment=locked)
    assert not ModuleCompletion.objects.exists()


def test_a_refusal_leaves_the_callers_transaction_usable(org, two_modules):
    """No savepoint is taken, so the refusal must come before any write: the caller goes on."""
    _, first, _ = two_modules
    enrolled = enrolment.enrol_self(org.teacher, first.get_course())
    enrolment.withdraw(enrolled, actor=org.teacher)
    with transaction.atomic():
        with pytest.raises(NotEnrolled):
            record_activity_status(org.teacher, first, LESSON_KEY, DONE)
        # The transaction is intact: the caller can still read and write.
        assert not ActivityProgress.objects.filter(user=org.teacher).exists()
        ActivityProgress.objects.create(user=org.teacher, module=first, activity_key="note", status="in_progress")
    assert ActivityProgress.objects.filter(user=org.teacher, activity_key="note").exists()


def test_scores_are_compared_as_stored(org, two_modules, django_assert_num_queries):
    """A float score with more places than the row keeps is not "better" than itself on the next report."""
    _, first, _ = two_modules
    record_activity_status(org.teacher, first, "h5p:3", ActivityStatus.IN_PROGRESS, score=33.333)
    with django_assert_num_queries(2):
        record_activity_status(org.teacher, first, "h5p:3", ActivityStatus.IN_PROGRESS, score=33.333)
    assert ActivityProgress.objects.get(activity_key="h5p:3").score == Decimal("33.33")
