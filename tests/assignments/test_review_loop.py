"""The whole loop through the real views: hand in → return → hand in again → accept → module complete."""

import re

import pytest
from django.test import Client
from django.urls import reverse

from shixun.assessments.assignments.models import Submission, SubmissionVersion
from shixun.courses.models import ActivityProgress, ActivityStatus, ModuleCompletion
from tests.uploads import samples

from .conftest import hand_in_url, post_hand_in, stored_files, submission_of, upload

pytestmark = pytest.mark.django_db


def progress_of(user, course):
    return ActivityProgress.objects.get(user=user, module=course.module, activity_key=course.assignment.activity_key)


def review(client, submission, decision, *, version, score="", feedback=""):
    return client.post(
        reverse("assignments:review", args=[submission.pk]),
        {"version": version, "decision": decision, "score": score, "feedback": feedback},
    )


def step_label(client, course):
    """The assignment's status badge in the module page's step list, as the teacher sees it."""
    page = client.get(course.module.url).content.decode()
    key = re.escape(course.assignment.activity_key)
    found = re.search(rf'data-step-status="{key}">([^<]*)<', page)
    assert found, page
    return found.group(1)


def course_page_label(client, course):
    """The module's status badge in the course page's module list."""
    page = client.get(course.course.url).content.decode()
    row = next(row for row in re.findall(r'<li class="card">(.*?)</li>', page, re.S) if course.module.title in row)
    return re.search(r'<span class="badge[^"]*">([^<]*)</span>', row).group(1)


def test_hand_in_return_resubmit_accept_completes_the_module(
    org, setup, client, django_capture_on_commit_callbacks, mailoutbox
):
    teacher_client, trainer_client = client, Client()
    teacher_client.force_login(org.teacher)
    trainer_client.force_login(org.trainer)

    # Given the teacher hands in a Word lesson plan
    response = post_hand_in(
        teacher_client, setup.module, setup.assignment, file=upload("第一课 教案.docx", samples.ooxml("docx"))
    )
    assert response.status_code == 302
    submission = submission_of(org.teacher, setup)
    assert submission.status == Submission.Status.SUBMITTED
    assert step_label(teacher_client, setup) == "等待批阅"
    assert course_page_label(teacher_client, setup) == "等待批阅"  # the course page said "进行中"
    assert submission.current_version.original_name == "第一课 教案.docx"
    assert progress_of(org.teacher, setup).status == ActivityStatus.WAITING
    assert len(stored_files()) == 1

    # When the trainer returns it for revision (feedback is required for that)
    response = review(trainer_client, submission, "return", version=1)
    assert response.status_code == 200
    assert "请写明" in response.content.decode()  # "Please write what the teacher should change."
    with django_capture_on_commit_callbacks(execute=True):
        response = review(trainer_client, submission, "return", version=1, feedback="请补充教学目标。")
    assert response.status_code == 302
    submission.refresh_from_db()
    assert submission.status == Submission.Status.RETURNED
    assert progress_of(org.teacher, setup).status == ActivityStatus.IN_PROGRESS
    assert len(mailoutbox) == 1 and "请补充教学目标。" in mailoutbox[0].body

    # Then the teacher sees the feedback and hands in version 2
    page = teacher_client.get(hand_in_url(setup.module, setup.assignment)).content.decode()
    assert "请补充教学目标。" in page and "退回修改" in page
    # The module page's step says the same (it said "进行中")
    assert step_label(teacher_client, setup) == "退回修改"
    assert course_page_label(teacher_client, setup) == "进行中"  # the teacher's turn again
    response = post_hand_in(teacher_client, setup.module, setup.assignment, file=upload("教案v2.pdf", samples.pdf()))
    assert response.status_code == 302
    submission.refresh_from_db()
    assert (submission.version_count, submission.status) == (2, Submission.Status.SUBMITTED)
    assert progress_of(org.teacher, setup).status == ActivityStatus.WAITING
    assert list(submission.versions.values_list("number", "original_name")) == [
        (1, "第一课 教案.docx"),
        (2, "教案v2.pdf"),
    ]
    assert len(stored_files()) == 2  # the earlier version is kept

    # A review of the old version (a stale tab) is refused, nothing changes
    response = review(trainer_client, submission, "accept", version=1, score=90)
    assert "更新的版本" in response.content.decode()
    submission.refresh_from_db()
    assert submission.status == Submission.Status.SUBMITTED

    # When the trainer accepts version 2 with a score
    with django_capture_on_commit_callbacks(execute=True):
        response = review(trainer_client, submission, "accept", version=2, score=88, feedback="很好。")
    assert response.status_code == 302
    submission.refresh_from_db()
    assert submission.status == Submission.Status.ACCEPTED
    progress = progress_of(org.teacher, setup)
    assert progress.status == ActivityStatus.DONE and progress.score == 88
    # The assignment is the module's only activity besides the lesson, which the teacher has not opened.
    assert not ModuleCompletion.objects.filter(user=org.teacher, module=setup.module).exists()
    assert len(mailoutbox) == 2 and "88" in mailoutbox[1].body

    # Accepted work cannot be handed in again
    response = post_hand_in(teacher_client, setup.module, setup.assignment, file=upload("v3.pdf", samples.pdf()))
    assert SubmissionVersion.objects.filter(submission=submission).count() == 2
    assert len(stored_files()) == 2


def test_accepting_the_last_requirement_records_the_module_completion(org, setup, client):
    from shixun.courses.blocks import LESSON_KEY
    from shixun.courses.progress import record_activity_status

    record_activity_status(org.teacher, setup.module, LESSON_KEY, ActivityStatus.DONE)
    client.force_login(org.teacher)
    post_hand_in(client, setup.module, setup.assignment, file=upload("教案.pdf", samples.pdf()))
    submission = submission_of(org.teacher, setup)
    assert not ModuleCompletion.objects.filter(user=org.teacher, module=setup.module).exists()

    client.force_login(org.trainer)
    review(client, submission, "accept", version=1, score=75)

    completion = ModuleCompletion.objects.get(user=org.teacher, module=setup.module)
    assert completion.credit_hours == setup.module.credit_hours


def test_submission_alone_completes_when_the_assignment_says_so(org, setup, client):
    setup.assignment.completion_rule = "on_submit"
    setup.assignment.save()
    client.force_login(org.teacher)
    post_hand_in(client, setup.module, setup.assignment, file=upload("反思.pdf", samples.pdf()))
    submission = submission_of(org.teacher, setup)
    assert submission.status == Submission.Status.RECEIVED
    assert progress_of(org.teacher, setup).status == ActivityStatus.DONE

    # A trainer may still comment and score, but cannot "return" completed work
    client.force_login(org.trainer)
    response = review(client, submission, "return", version=1, feedback="重写")
    assert response.status_code == 200
    submission.refresh_from_db()
    assert submission.status == Submission.Status.RECEIVED
    review(client, submission, "comment", version=1, score=70, feedback="写得真诚。")
    version = SubmissionVersion.objects.get(submission=submission)
    assert (version.decision, version.score, version.feedback) == ("commented", 70, "写得真诚。")
    assert progress_of(org.teacher, setup).status == ActivityStatus.DONE


def test_a_learner_who_is_not_enrolled_cannot_hand_in(org, setup, client, school_admin_client=None):
    from shixun.courses.models import Enrolment

    Enrolment.objects.filter(user=org.teacher).delete()
    client.force_login(org.teacher)
    response = post_hand_in(client, setup.module, setup.assignment, file=upload("教案.pdf", samples.pdf()))
    assert response.status_code == 302
    assert not Submission.objects.exists()
    assert stored_files() == []


def test_the_hand_in_form_is_csrf_protected(org, setup):
    client = Client(enforce_csrf_checks=True)
    client.force_login(org.teacher)
    response = post_hand_in(client, setup.module, setup.assignment, file=upload("教案.pdf", samples.pdf()))
    assert response.status_code == 403
    assert not Submission.objects.exists() and stored_files() == []


def test_an_assignment_not_placed_in_the_module_is_not_found(org, setup, client):
    from .conftest import make_assignment

    other = make_assignment(title="别的作业")
    client.force_login(org.teacher)
    assert client.get(hand_in_url(setup.module, other)).status_code == 404
    assert post_hand_in(client, setup.module, other, file=upload("a.pdf", samples.pdf())).status_code == 404


def test_a_school_admin_cannot_review(org, setup, client):
    client.force_login(org.teacher)
    post_hand_in(client, setup.module, setup.assignment, file=upload("教案.pdf", samples.pdf()))
    submission = submission_of(org.teacher, setup)
    for user in (org.school_admin, org.district_admin, org.teacher):
        client.force_login(user)
        assert review(client, submission, "accept", version=1, score=99).status_code == 403
    submission.refresh_from_db()
    assert submission.status == Submission.Status.SUBMITTED


def test_handing_in_the_same_work_twice_keeps_one_version(org, setup, client):
    client.force_login(org.teacher)
    for _ in range(2):  # a double tap, or the browser re-sending the form
        post_hand_in(client, setup.module, setup.assignment, file=upload("教案.pdf", samples.pdf()))
    assert SubmissionVersion.objects.count() == 1 and len(stored_files()) == 1

    post_hand_in(client, setup.module, setup.assignment, file=upload("教案.pdf", samples.pdf(padding=10)))
    assert SubmissionVersion.objects.count() == 2 and len(stored_files()) == 2  # changed work is a new version
