"""The assignments demo builds on the accounts and courses demos, through the real services, idempotently."""

import io

import pytest

from shixun.assessments.assignments import demo
from shixun.assessments.assignments.models import Assignment, Submission, SubmissionVersion

from .conftest import stored_files

pytestmark = pytest.mark.django_db


def counts():
    return (
        Assignment.objects.count(),
        Submission.objects.count(),
        SubmissionVersion.objects.count(),
        len(stored_files()),
    )


def test_demo_places_chinese_assignments_with_work_waiting_and_runs_twice_without_duplicates():
    from shixun.accounts import demo as accounts_demo
    from shixun.courses import demo as courses_demo

    out = io.StringIO()
    accounts_demo.seed(out)
    courses_demo.seed(out)
    demo.seed(out)
    first = counts()
    demo.seed(out)

    assert counts() == first
    assert first[0] == 4 and first[1] == 6 and first[3] == 3  # the reflections are typed, not files
    assert Submission.objects.filter(status=Submission.Status.SUBMITTED).count() == 4
    reflection = Submission.objects.get(assignment__title="教学反思：身边的师德楷模")
    assert reflection.status == Submission.Status.RECEIVED
    assert reflection.current_version.text_chars >= 300
    # The typed reflection a trainer must accept: one answer waiting, one returned with the trainer's comment.
    ethics = {
        s.learner.username: s
        for s in Submission.objects.filter(assignment__title="师德反思：依法执教与关爱学生").select_related("learner")
    }
    assert ethics["t0004"].status == Submission.Status.SUBMITTED
    assert ethics["t0005"].status == Submission.Status.RETURNED
    returned = ethics["t0005"].current_version
    assert returned.reviewed_by.username == "trainer1" and "请按要求补充" in returned.feedback


def test_a_revision_handed_in_after_the_seed_is_not_returned_again():
    """The seed returns t0005's reflection only when it hands it in: the teacher's revision waits for the trainer."""
    from shixun.accounts import demo as accounts_demo
    from shixun.assessments.assignments import services
    from shixun.courses import demo as courses_demo

    out = io.StringIO()
    accounts_demo.seed(out)
    courses_demo.seed(out)
    demo.seed(out)
    submission = Submission.objects.get(learner__username="t0005", assignment__title="师德反思：依法执教与关爱学生")
    revision = demo.ETHICS_REFLECTION_WAITING.replace("上学期", "去年")
    answer = services.check_answer(submission.assignment, upload=None, text=revision)
    services.submit(submission.learner, submission.module, submission.assignment, answer)
    demo.seed(out)

    submission.refresh_from_db()
    assert submission.status == Submission.Status.SUBMITTED and submission.version_count == 2
    assert not submission.current_version.is_reviewed
    for assignment in Assignment.objects.all():
        assignment.full_clean()
