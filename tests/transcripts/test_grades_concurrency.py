"""Two trainers saving grades at the same moment: one certificate and one award, never two or none (PostgreSQL)."""

from decimal import Decimal

import pytest

from shixun.accounts.models import Role
from shixun.courses.models import CourseCompletion
from shixun.transcripts import grades
from shixun.transcripts.models import Certificate, CourseCreditSettings, GradeComponent, LedgerEntry, SourceKind
from tests.concurrency import needs_postgres, run_together  # noqa: F401 - needs_postgres is a fixture
from tests.factories import make_teacher, make_user
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


def save_as(trainer, course, learner, values):
    """What the grade sheet does on POST: parse the trainer's cells against a fresh sheet, then save."""

    def call():
        sheet = grades.build_sheet(course)
        data = {grades.score_field(learner.pk, component.pk): value for component, value in values}
        changes, errors = grades.parse_changes(sheet, data)
        assert not errors, errors
        return grades.save_changes(course, changes, actor=trainer)

    return call


def test_two_trainers_saving_the_same_passing_grades_issue_one_certificate(setup):
    course, learner, trainers, components = setup
    values = [(components[0], "80"), (components[1], "90")]
    results = run_together(*(save_as(trainer, course, learner, values) for trainer in trainers))
    assert not [r for r in results if isinstance(r, Exception)], results
    assert Certificate.objects.filter(learner=learner).count() == 1
    assert LedgerEntry.objects.filter(learner=learner, source_kind=SourceKind.COURSE_AWARD).count() == 1
    assert sum(r.issued for r in results) == 1


def test_two_trainers_each_entering_the_missing_half_issue_exactly_one(setup, monkeypatch):
    """Neither save alone passes; without the completion lock both would read the other's half as missing.

    To make the race certain rather than lucky, each save waits (up to 3 s)
    after writing its score for the other to have written too. With the lock
    the second save is still queued at the lock, the wait times out and the
    saves run one after the other; without it both evaluate before either
    commits and no certificate is issued (checked by removing the lock).
    """
    import threading

    from shixun.transcripts import certificates as certs

    course, learner, trainers, components = setup
    both_written = threading.Barrier(2)
    record = certs.record_component_score

    def record_then_wait(*args, **kwargs):
        row = record(*args, **kwargs)
        try:
            both_written.wait(timeout=3)
        except threading.BrokenBarrierError:
            pass
        return row

    monkeypatch.setattr(certs, "record_component_score", record_then_wait)
    results = run_together(
        save_as(trainers[0], course, learner, [(components[0], "80")]),
        save_as(trainers[1], course, learner, [(components[1], "90")]),
    )
    assert not [r for r in results if isinstance(r, Exception)], results
    certificate = Certificate.objects.get(learner=learner)
    assert certificate.is_valid and certificate.score == Decimal("86.0")
    assert LedgerEntry.objects.filter(learner=learner, source_kind=SourceKind.COURSE_AWARD).count() == 1
