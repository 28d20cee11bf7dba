"""services.review checks the reviewer itself: a refused actor changes nothing; SYSTEM skips the check."""

import pytest

from shixun.accounts.actors import SYSTEM, NotPermitted
from shixun.accounts.models import Role
from shixun.assessments.assignments import services
from shixun.assessments.assignments.models import Submission, SubmissionVersion
from shixun.courses.models import ActivityProgress, ActivityStatus
from tests.factories import make_user

from .conftest import make_course, submission_of

pytestmark = pytest.mark.django_db


def hand_in_text(teacher, setup):
    setup.assignment.answer_mode = "text"
    setup.assignment.save()
    answer = services.check_answer(setup.assignment, upload=None, text="我的教学反思：今天的课堂很好。" * 3)
    return services.submit(teacher, setup.module, setup.assignment, answer)


def accept(submission, actor):
    return services.review(submission.pk, actor, version_number=1, decision="accept", score=90, feedback="")


@pytest.mark.parametrize("who", ["other_trainer", "school_admin", "district_admin", "teacher"])
def test_a_reviewer_outside_the_course_is_refused_by_the_service(org, setup, who):
    hand_in_text(org.teacher, setup)
    submission = submission_of(org.teacher, setup)
    other_trainer = make_user(district=org.district, roles=[Role.TRAINER], username="othertrainer")
    make_course("other", trainers=[other_trainer])  # trains a course, just not this one
    actor = {"other_trainer": other_trainer, "school_admin": org.school_admin,
             "district_admin": org.district_admin, "teacher": org.sibling_teacher}[who]

    with pytest.raises(NotPermitted):
        accept(submission, actor)

    submission.refresh_from_db()
    version = SubmissionVersion.objects.get(submission=submission)
    assert submission.status == Submission.Status.SUBMITTED
    assert version.decision == ""
    assert version.reviewed_by is None and version.reviewed_at is None
    assert not ActivityProgress.objects.filter(user=org.teacher, status=ActivityStatus.DONE).exists()


def test_the_course_trainer_is_recorded(org, setup):
    hand_in_text(org.teacher, setup)
    version = accept(submission_of(org.teacher, setup), org.trainer)
    assert version.reviewed_by == org.trainer


def test_the_system_skips_the_check_and_names_no_person(org, setup):
    hand_in_text(org.teacher, setup)
    version = accept(submission_of(org.teacher, setup), SYSTEM)
    assert version.decision == SubmissionVersion.Decision.ACCEPTED and version.reviewed_by is None
    assert submission_of(org.teacher, setup).status == Submission.Status.ACCEPTED
