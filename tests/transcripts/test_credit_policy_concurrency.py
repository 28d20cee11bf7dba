"""Hours when the course is passed, under real concurrency (PostgreSQL, real threads): they post exactly once.

Two trainers saving grades at once, and the course-completion task retried
beside a trainer's save, must post each module's hours, the award and the
certificate once. Without the course-completion lock (grades.save_changes,
certificates.evaluate_course) the "missing half" race posts nothing at all:
checked by removing the lock.
"""

from decimal import Decimal

import pytest

from shixun.accounts.models import Role
from shixun.courses.models import CourseCompletion, CreditPolicy, ModuleCompletion
from shixun.transcripts import certificates as certs
from shixun.transcripts import grades
from shixun.transcripts.models import Certificate, CourseCreditSettings, GradeComponent, LedgerEntry, SourceKind
from tests.concurrency import needs_postgres, run_together  # noqa: F401 - needs_postgres is a fixture
from tests.factories import make_teacher, make_user
from tests.transcripts.grade_races import save_as, wait_for_each_other_after_writing
from tests.transcripts.helpers import complete, enrol, make_course

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]

COURSE_HOURS = Decimal("2.0") + Decimal("1.5") + Decimal("4")


@pytest.fixture
def setup(needs_postgres):  # noqa: F811
    from shixun.accounts.models import District, School

    district = District.objects.create(code="cp", name="学时区")
    school = School.objects.create(district=district, code="cp-s", name="学时小学")
    learner = make_teacher(school, username="cp-teacher")
    trainers = [make_user(district=district, roles=[Role.TRAINER], username=f"cp-trainer{i}") for i in (1, 2)]
    course, modules = make_course(hours=("2.0", "1.5"))
    course.credit_policy = CreditPolicy.ON_PASS
    course.trainers.add(*trainers)
    course.save()
    settings = CourseCreditSettings.objects.create(course=course, award_hours=Decimal("4"))
    components = [
        GradeComponent.objects.create(settings=settings, name="校本", weight=40),
        GradeComponent.objects.create(settings=settings, name="集中", weight=60),
    ]
    enrol(learner, course)
    for module in modules:
        complete(learner, module)  # tasks run inline (sync): nothing posts, the course waits for its grade
    assert CourseCompletion.objects.filter(user=learner, course=course).exists()
    assert ModuleCompletion.objects.filter(user=learner, hours_on_pass=True).count() == 2
    assert not LedgerEntry.objects.exists() and not Certificate.objects.exists()
    return course, learner, trainers, components


def assert_posted_once(learner, course):
    entries = LedgerEntry.objects.filter(learner=learner, course=course)
    assert entries.filter(source_kind=SourceKind.MODULE_COMPLETION).count() == 2
    assert entries.filter(source_kind=SourceKind.COURSE_AWARD).count() == 1
    assert not entries.filter(source_kind=SourceKind.REVERSAL).exists()
    assert certs.course_hours(learner.pk, course.pk) == COURSE_HOURS
    certificate = Certificate.objects.get(learner=learner, course=course)
    assert certificate.is_valid and certificate.hours == COURSE_HOURS


def test_two_trainers_saving_the_same_passing_grades_post_the_hours_once(setup):
    course, learner, trainers, components = setup
    values = [(components[0], "80"), (components[1], "90")]
    results = run_together(*(save_as(trainer, course, learner, values) for trainer in trainers))
    assert not [r for r in results if isinstance(r, Exception)], results
    assert_posted_once(learner, course)
    assert sum(r.issued for r in results) == 1


def test_two_trainers_each_entering_the_missing_half_post_the_hours_once(setup, monkeypatch):
    """Neither save alone passes. Each save waits (up to 3 s) after writing its score for the other.

    With the completion lock the second save queues at the lock and then
    reads the first one's score: the pass posts once. Without it both
    evaluate before either commits, neither sees a pass, and nothing posts.
    """
    course, learner, trainers, components = setup
    wait_for_each_other_after_writing(monkeypatch)
    results = run_together(
        save_as(trainers[0], course, learner, [(components[0], "80")]),
        save_as(trainers[1], course, learner, [(components[1], "90")]),
    )
    assert not [r for r in results if isinstance(r, Exception)], results
    assert_posted_once(learner, course)


def test_the_course_completion_task_retried_beside_a_save_posts_once(setup):
    """The task (delivered twice) and a trainer's passing save, at once: one certificate, each hour once."""
    course, learner, trainers, components = setup
    # The first half is on record; the trainer's save of the second half makes it pass.
    grades.save_changes(
        course,
        [grades.Change(learner, components[0], Decimal("80"))],
        actor=trainers[0],
    )
    completion_id = CourseCompletion.objects.get(user=learner, course=course).pk
    results = run_together(
        save_as(trainers[1], course, learner, [(components[1], "90")]),
        lambda: certs.process_course_completion(completion_id),
        lambda: certs.process_course_completion(completion_id),
    )
    assert not [r for r in results if isinstance(r, Exception)], results
    assert_posted_once(learner, course)
