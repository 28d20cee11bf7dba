"""Two requests at once on a real PostgreSQL: a double tap hands in once, two reviewers decide once.

Each thread has its own database connection; a barrier releases them
together so both are inside the service at the same moment.
"""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from shixun.assessments.assignments import services
from shixun.assessments.assignments.models import Submission, SubmissionVersion
from shixun.assessments.uploads import validate_upload
from shixun.courses.models import ActivityProgress, ActivityStatus
from tests.concurrency import needs_postgres, run_together  # noqa: F401 - needs_postgres is a fixture used by pytestmark
from tests.uploads import samples

from .conftest import stored_files

pytestmark = [
    pytest.mark.postgres,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
    pytest.mark.usefixtures("needs_postgres"),
]




def hand_in_pdf(teacher, setup):
    clean = validate_upload(SimpleUploadedFile("教案.pdf", samples.pdf()), allowed_kinds=["pdf"], max_bytes=10**6)
    with clean:
        answer = services.check_answer(setup.assignment, upload=clean, text="")
        return services.submit(teacher, setup.module, setup.assignment, answer)


@pytest.mark.parametrize("repeat", range(3))
def test_a_double_tap_on_the_first_hand_in_keeps_one_version_and_one_file(org, setup, repeat):
    outcomes = run_together(lambda: hand_in_pdf(org.teacher, setup), lambda: hand_in_pdf(org.teacher, setup))

    assert not any(isinstance(o, Exception) for o in outcomes), outcomes
    assert outcomes[0].pk == outcomes[1].pk
    assert Submission.objects.filter(learner=org.teacher).count() == 1
    assert SubmissionVersion.objects.count() == 1
    assert len(stored_files()) == 1


@pytest.mark.parametrize("repeat", range(3))
def test_two_reviewers_deciding_at_once_apply_exactly_one_decision(org, setup, repeat):
    submission = hand_in_pdf(org.teacher, setup).submission

    outcomes = run_together(
        lambda: services.review(submission.pk, org.trainer, version_number=1, decision="accept", score=90, feedback=""),
        lambda: services.review(
            submission.pk, org.reviewer, version_number=1, decision="return", score=None, feedback="请修改"
        ),
    )

    errors = [o for o in outcomes if isinstance(o, services.AssignmentError)]
    applied = [o for o in outcomes if isinstance(o, SubmissionVersion)]
    assert len(errors) == 1 and len(applied) == 1, outcomes
    submission.refresh_from_db()
    progress = ActivityProgress.objects.get(user=org.teacher, activity_key=setup.assignment.activity_key)
    if applied[0].decision == "accepted":
        assert submission.status == Submission.Status.ACCEPTED and progress.status == ActivityStatus.DONE
    else:
        assert submission.status == Submission.Status.RETURNED and progress.status == ActivityStatus.IN_PROGRESS
