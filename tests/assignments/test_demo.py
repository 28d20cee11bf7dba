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
    assert first[0] == 3 and first[1] == 4 and first[3] == 3  # the reflection is typed, not a file
    assert Submission.objects.filter(status=Submission.Status.SUBMITTED).count() == 3
    reflection = Submission.objects.get(assignment__title="教学反思：身边的师德楷模")
    assert reflection.status == Submission.Status.RECEIVED
    assert reflection.current_version.text_chars >= 300
    for assignment in Assignment.objects.all():
        assignment.full_clean()
