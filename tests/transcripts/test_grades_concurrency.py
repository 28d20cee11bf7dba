"""Two trainers saving grades at the same moment: one certificate and one award, never two or none (PostgreSQL)."""

from decimal import Decimal

import pytest

from shixun.accounts.models import Role
from shixun.courses.models import CourseCompletion
from shixun.transcripts.models import Certificate, CourseCreditSettings, GradeComponent, LedgerEntry, SourceKind
from tests.concurrency import needs_postgres, run_together  # noqa: F401 - needs_postgres is a fixture
from tests.factories import make_teacher, make_user
from tests.transcripts.grade_races import save_as, wait_for_each_other_after_writing
from tests.transcripts.helpers import complete, enrol, make_course

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def setup(needs_postgres):  # noqa: F811
    from shixun.accounts.models import District, School

    district = District.objects.create(code="gc", name="并发区")
    school = School.objects.create(district=district, code="gc-s", name="并发小学")
    learner = make_teacher(school, username="gc-teacher")
    trainers = [make_user(district=district, roles=[Role.TRAINER], username=f"gc-trainer{i}") for i in (1, 2)]
    course, (module,) = make_course(hours=("1.0",))
    course.trainers.add(*trainers)
    course.save()
    settings = CourseCreditSettings.objects.create(course=course, award_hours=Decimal("4"))
    components = [
        GradeComponent.objects.create(settings=settings, name="校本", weight=40),
        GradeComponent.objects.create(settings=settings, name="集中", weight=60),
    ]
    enrol(learner, course)
    complete(learner, module)  # tasks run inline (sync): the course completion is processed, pending grades
    assert CourseCompletion.objects.filter(user=learner, course=course).exists()
    assert not Certificate.objects.exists()
    return course, learner, trainers, components


def test_two_trainers_saving_the_same_passing_grades_issue_one_certificate(setup):
    course, learner, trainers, components = setup
    values = [(components[0], "80"), (components[1], "90")]
    results = run_together(*(save_as(trainer, course, learner, values) for trainer in trainers))
    assert not [r for r in results if isinstance(r, Exception)], results
    assert Certificate.objects.filter(learner=learner).count() == 1
    assert LedgerEntry.objects.filter(learner=learner, source_kind=SourceKind.COURSE_AWARD).count() == 1
    assert sum(r.issued for r in results) == 1


def test_two_trainers_each_entering_the_missing_half_issue_exactly_one(setup, monkeypatch):
    """Neither save alone passes; without the completion lock both would read the other's half as missing
    and no certificate would be issued (checked by removing the lock)."""
    course, learner, trainers, components = setup
    wait_for_each_other_after_writing(monkeypatch)
    results = run_together(
        save_as(trainers[0], course, learner, [(components[0], "80")]),
        save_as(trainers[1], course, learner, [(components[1], "90")]),
    )
    assert not [r for r in results if isinstance(r, Exception)], results
    certificate = Certificate.objects.get(learner=learner)
    assert certificate.is_valid and certificate.score == Decimal("86.0")
    assert LedgerEntry.objects.filter(learner=learner, source_kind=SourceKind.COURSE_AWARD).count() == 1
