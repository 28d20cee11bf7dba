"""The completion rules of courses.progress, and exactly-once completion under concurrency."""

import threading
from decimal import Decimal

import pytest
from django.db import connection, connections

from shixun.courses import enrolment
from shixun.courses.blocks import LESSON_KEY
from shixun.courses.models import ActivityStatus, CourseCompletion, CoursePage, ModuleCompletion
from shixun.courses.progress import (
    NotEnrolled,
    Requirement,
    is_module_complete,
    module_progress_fraction,
    module_requirements,
    record_activity_status,
)
from shixun.courses.signals import course_completed, module_completed
from tests.courses.conftest import make_catalogue, make_course, make_module

DONE = ActivityStatus.DONE


def test_a_module_is_complete_when_every_required_activity_is_done():
    requirements = [Requirement(LESSON_KEY, True), Requirement("quiz:1", True), Requirement("h5p:2", False)]
    assert not is_module_complete(requirements, {LESSON_KEY: DONE})
    assert not is_module_complete(requirements, {LESSON_KEY: DONE, "quiz:1": ActivityStatus.WAITING})
    assert is_module_complete(requirements, {LESSON_KEY: DONE, "quiz:1": DONE})
    assert module_progress_fraction(requirements, {LESSON_KEY: DONE}) == 0.5


@pytest.mark.django_db
def test_requirements_are_the_lesson_then_each_activity_in_page_order():
    from shixun.assessments.quizzes.models import Quiz

    quiz_a, quiz_b = Quiz.objects.create(title="测验一"), Quiz.objects.create(title="测验二")
    course = make_course(make_catalogue())
    module = make_module(course, body=[
        ("quiz", {"quiz": quiz_b, "required": False}),
        ("paragraph", "<p>正文</p>"),
        ("quiz", {"quiz": quiz_a, "required": True}),
        ("quiz", {"quiz": quiz_b, "required": True}),  # placed twice: required wins, listed once
    ])
    assert module_requirements(module) == [
        Requirement(LESSON_KEY, True), Requirement(f"quiz:{quiz_b.pk}", True), Requirement(f"quiz:{quiz_a.pk}", True)
    ]


@pytest.mark.django_db
def test_completion_is_recorded_once_with_the_hours_of_that_moment_and_signals_on_commit(
    org, course, django_capture_on_commit_callbacks
):
    first, second = course.live_modules()
    enrolment.enrol_self(org.teacher, course)
    modules_done, courses_done = [], []
    module_completed.connect(lambda completion, **kw: modules_done.append(completion), weak=False, dispatch_uid="t1")
    course_completed.connect(lambda completion, **kw: courses_done.append(completion), weak=False, dispatch_uid="t2")
    try:
        with django_capture_on_commit_callbacks(execute=True):
            record_activity_status(org.teacher, first, LESSON_KEY, DONE)
            record_activity_status(org.teacher, first, LESSON_KEY, DONE)  # again: no second completion
        assert [c.module_id for c in modules_done] == [first.pk] and not courses_done
        completion = ModuleCompletion.objects.get(user=org.teacher, module=first)
        assert completion.credit_hours == Decimal("2.0") and completion.course_id == course.pk

        second.credit_hours = Decimal("4.0")
        second.save_revision().publish()
        with django_capture_on_commit_callbacks(execute=True):
            record_activity_status(org.teacher, second, LESSON_KEY, DONE)
        assert ModuleCompletion.objects.get(user=org.teacher, module=second).credit_hours == Decimal("4.0")
        assert len(modules_done) == 2 and [c.course_id for c in courses_done] == [course.pk]
    finally:
        module_completed.disconnect(dispatch_uid="t1")
        course_completed.disconnect(dispatch_uid="t2")


@pytest.mark.django_db
def test_done_never_downgrades_and_the_best_score_is_kept(org, course):
    module = course.live_modules().first()
    enrolment.enrol_self(org.teacher, course)
    record_activity_status(org.teacher, module, "quiz:9", ActivityStatus.IN_PROGRESS, score=40)
    record_activity_status(org.teacher, module, "quiz:9", DONE, score=80)
    progress = record_activity_status(org.teacher, module, "quiz:9", ActivityStatus.FAILED, score=30)
    assert progress.status == DONE and progress.score == Decimal("80")


@pytest.mark.django_db
def test_progress_of_a_learner_who_is_not_enrolled_is_refused(org, course):
    module = course.live_modules().first()
    with pytest.raises(NotEnrolled):
        record_activity_status(org.teacher, module, LESSON_KEY, DONE)
    enrolled = enrolment.enrol_self(org.teacher, course)
    enrolment.withdraw(enrolled, actor=org.teacher)
    with pytest.raises(NotEnrolled):
        record_activity_status(org.teacher, module, LESSON_KEY, DONE)
    assert not ModuleCompletion.objects.exists()


@pytest.mark.django_db
def test_an_optional_activity_does_not_hold_back_completion(org):
    from shixun.assessments.quizzes.models import Quiz

    quiz = Quiz.objects.create(title="自测")
    course = make_course(make_catalogue())
    module = make_module(course, body=[("quiz", {"quiz": quiz, "required": False})])
    enrolment.enrol_self(org.teacher, course)
    record_activity_status(org.teacher, module, LESSON_KEY, DONE)
    assert ModuleCompletion.objects.filter(user=org.teacher, module=module).exists()
    assert CourseCompletion.objects.filter(user=org.teacher, course=course).exists()


@pytest.mark.django_db
def test_a_required_activity_must_be_done_for_completion(org):
    from shixun.assessments.quizzes.models import Quiz

    quiz = Quiz.objects.create(title="单元测验")
    course = make_course(make_catalogue())
    module = make_module(course, body=[("quiz", {"quiz": quiz, "required": True})])
    enrolment.enrol_self(org.teacher, course)
    record_activity_status(org.teacher, module, LESSON_KEY, DONE)
    record_activity_status(org.teacher, module, f"quiz:{quiz.pk}", ActivityStatus.WAITING)
    assert not ModuleCompletion.objects.exists()
    record_activity_status(org.teacher, module, f"quiz:{quiz.pk}", DONE)
    assert ModuleCompletion.objects.filter(user=org.teacher, module=module).count() == 1


@pytest.fixture
def postgres_only():
    if connection.vendor != "postgresql":
        pytest.skip("needs real PostgreSQL concurrency (DATABASE_URL)")


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_two_simultaneous_requests_record_exactly_one_completion_and_one_signal(postgres_only, org):
    course = make_course(make_catalogue())
    module = make_module(course)
    enrolment.enrol_self(org.teacher, course)
    sent = []
    module_completed.connect(lambda completion, **kw: sent.append(completion.pk), weak=False, dispatch_uid="race")
    barrier = threading.Barrier(2)
    errors = []

    def finish():
        try:
            barrier.wait(timeout=10)
            record_activity_status(org.teacher, module, LESSON_KEY, DONE)
        except Exception as error:  # noqa: BLE001 - reported below
            errors.append(error)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=finish) for _ in range(2)]
    try:
        for t in threads:
            t.start()
        for t in threads:
            t.join(timeout=30)
    finally:
        module_completed.disconnect(dispatch_uid="race")
    assert not errors, errors
    assert ModuleCompletion.objects.filter(user=org.teacher, module=module).count() == 1
    assert CourseCompletion.objects.filter(user=org.teacher, course=CoursePage.objects.get(pk=course.pk)).count() == 1
    assert len(sent) == 1
