"""The whole-assignment zip for trainers, and the review email task."""

import io
import zipfile

import pytest
from django.core import mail
from django.urls import reverse

from shixun.accounts.models import Role
from shixun.assessments.assignments import services
from shixun.assessments.assignments.archive import zip_segment
from shixun.assessments.assignments.models import SubmissionVersion
from shixun.assessments.assignments.tasks import send_review_email
from tests.factories import make_teacher, make_user
from tests.uploads import samples

from .conftest import add_module, enrol, make_assignment, make_course, post_hand_in, submission_of, upload

pytestmark = pytest.mark.django_db


def zip_names(response) -> dict[str, bytes]:
    archive = zipfile.ZipFile(io.BytesIO(b"".join(response.streaming_content)))
    assert archive.testzip() is None
    return {name: archive.read(name) for name in archive.namelist()}


def test_zip_holds_every_version_in_school_and_teacher_folders(client, org, setup):
    setup.assignment.answer_mode = "file_or_text"
    setup.assignment.save()
    client.force_login(org.teacher)
    post_hand_in(client, setup.module, setup.assignment, file=upload("教案.pdf", samples.pdf()))
    client.force_login(org.trainer)
    submission = submission_of(org.teacher, setup)
    services.review(submission.pk, org.trainer, version_number=1, decision="return", score=None, feedback="再改改")
    client.force_login(org.teacher)
    post_hand_in(client, setup.module, setup.assignment, file=upload("教案.docx", samples.ooxml("docx")))
    client.force_login(org.foreign_teacher)
    post_hand_in(client, setup.module, setup.assignment, text="我的教学反思：今天的课堂……")

    client.force_login(org.trainer)
    response = client.get(reverse("assignments:download_zip", args=[setup.assignment.pk]))

    assert response.status_code == 200
    assert response["Content-Type"] == "application/zip"
    assert "attachment" in response["Content-Disposition"]
    files = zip_names(response)
    foreign = org.foreign_teacher
    assert set(files) == {
        "实验小学/T001 王秀英/v1 教案.pdf",
        "实验小学/T001 王秀英/v2 教案.docx",
        f"临泽一中/T001 {foreign.shixun_profile.display_name}/v1 在线作答.txt",
    }
    assert files["实验小学/T001 王秀英/v1 教案.pdf"] == samples.pdf()
    assert (
        files[f"临泽一中/T001 {foreign.shixun_profile.display_name}/v1 在线作答.txt"].decode()
        == "我的教学反思：今天的课堂……"
    )


def test_zip_follows_the_queue_filters_and_the_reviewers_courses(client, org, setup):
    for teacher in (org.teacher, org.sibling_teacher):
        client.force_login(teacher)
        post_hand_in(client, setup.module, setup.assignment, file=upload("教案.pdf", samples.pdf()))

    client.force_login(org.trainer)
    response = client.get(
        reverse("assignments:download_zip", args=[setup.assignment.pk]), {"school": org.sibling_school.pk}
    )
    assert [name.split("/")[0] for name in zip_names(response)] == ["第二中学"]

    client.force_login(org.school_admin)  # may see files, but has no review queue
    assert client.get(reverse("assignments:download_zip", args=[setup.assignment.pk])).status_code == 403


def test_another_trainers_assignment_zip_is_not_found(client, org, setup):
    """Issue #17: any trainer got an empty zip named after any assignment (titles could be enumerated)."""
    other_trainer = make_user(district=org.district, roles=[Role.TRAINER], username="other-trainer")
    secret = make_course("secret", trainers=[other_trainer], assignment=make_assignment(title="未公开的作业"))
    enrol(org.teacher, secret.course)
    client.force_login(org.teacher)
    post_hand_in(client, secret.module, secret.assignment, file=upload("教案.pdf", samples.pdf()))
    unplaced = make_assignment(title="尚未使用的作业")

    client.force_login(org.trainer)
    for assignment in (secret.assignment, unplaced):
        response = client.get(reverse("assignments:download_zip", args=[assignment.pk]))
        assert response.status_code == 404
        assert assignment.title not in response.get("Content-Disposition", "")

    # Their own assignment, with no work handed in yet: an empty zip is theirs to have.
    assert client.get(reverse("assignments:download_zip", args=[setup.assignment.pk])).status_code == 200
    client.force_login(other_trainer)
    assert set(zip_names(client.get(reverse("assignments:download_zip", args=[secret.assignment.pk])))) == {
        "实验小学/T001 王秀英/v1 教案.pdf"
    }
    client.force_login(org.superuser)
    assert client.get(reverse("assignments:download_zip", args=[unplaced.pk])).status_code == 200


def test_zip_names_are_safe_and_never_collide(client, org, setup):
    tricky = make_teacher(org.school, username="tricky", staff_number="../T9", full_name="李/明\u202e")
    enrol(tricky, setup.course)
    second_module = add_module(setup.course, "ethics-m2", setup.assignment)
    client.force_login(tricky)
    for module in (setup.module, second_module):
        post_hand_in(client, module, setup.assignment, file=upload("教案.pdf", samples.pdf()))

    client.force_login(org.superuser)
    names = list(zip_names(client.get(reverse("assignments:download_zip", args=[setup.assignment.pk]))))
    assert names == ["实验小学/_T9 李_明/v1 教案.pdf", "实验小学/_T9 李_明/v1 教案 (2).pdf"]
    assert zip_segment("..", "x") == "x"


def test_the_review_email_is_chinese_links_to_the_module_and_is_sent_once(
    org, setup, client, mailoutbox, django_capture_on_commit_callbacks
):
    client.force_login(org.teacher)
    post_hand_in(client, setup.module, setup.assignment, file=upload("教案.pdf", samples.pdf()))
    submission = submission_of(org.teacher, setup)

    # The task is enqueued on commit (Q_CLUSTER sync=True in tests runs it inline then).
    with django_capture_on_commit_callbacks(execute=True):
        services.review(
            submission.pk, org.trainer, version_number=1, decision="accept", score=92, feedback="目标清晰。"
        )

    assert len(mailoutbox) == 1
    message = mailoutbox[0]
    assert message.to == [org.teacher.email]
    assert message.subject == "你的作业“教学设计”已审核通过"
    assert "王秀英 老师" in message.body and "92 / 100" in message.body and "目标清晰。" in message.body
    assert "http://testserver/test-catalogue/ethics/ethics-m1/" in message.body

    # Delivered again (at-least-once queue): nothing more is sent.
    version = SubmissionVersion.objects.get(submission=submission)
    assert send_review_email(version.pk) is False
    assert len(mail.outbox) == 1

    # The inbox has it too, once (issue #16), linking to the module.
    from shixun.inbox.models import Message

    (note,) = Message.objects.filter(recipient=org.teacher)
    assert note.key == f"work-reviewed:{version.pk}" and note.url == "/test-catalogue/ethics/ethics-m1/"


def test_a_teacher_without_email_still_gets_the_review_in_the_inbox(org, setup, client, monkeypatch):
    from shixun.inbox.models import Message

    type(org.teacher).objects.filter(pk=org.teacher.pk).update(email="")
    client.force_login(org.teacher)
    post_hand_in(client, setup.module, setup.assignment, file=upload("教案.pdf", samples.pdf()))
    submission = submission_of(org.teacher, setup)
    monkeypatch.setattr(services, "_enqueue_review_email", lambda version_id: None)
    version = services.review(submission.pk, org.trainer, version_number=1, decision="return", score=None,
                              feedback="请修改")
    assert send_review_email(version.pk) is False  # no email address
    assert Message.objects.filter(recipient=org.teacher, key=f"work-reviewed:{version.pk}").count() == 1


def test_a_failed_send_is_retried(org, setup, client, monkeypatch):
    client.force_login(org.teacher)
    post_hand_in(client, setup.module, setup.assignment, file=upload("教案.pdf", samples.pdf()))
    submission = submission_of(org.teacher, setup)
    monkeypatch.setattr(services, "_enqueue_review_email", lambda version_id: None)  # run the task by hand below
    version = services.review(
        submission.pk, org.trainer, version_number=1, decision="return", score=None, feedback="请修改"
    )

    from shixun.assessments.assignments import tasks

    def smtp_down(*args, **kwargs):
        raise ConnectionRefusedError("smtp down")

    monkeypatch.setattr(tasks, "send_mail", smtp_down)
    with pytest.raises(ConnectionRefusedError):
        send_review_email(version.pk)
    monkeypatch.undo()
    assert send_review_email(version.pk) is True  # the claim was released, so the retry sends
    assert mail.outbox[-1].subject == "你的作业“教学设计”需要修改"


def test_the_review_is_enqueued_only_after_commit(org, setup, client, django_capture_on_commit_callbacks, mailoutbox):
    client.force_login(org.teacher)
    post_hand_in(client, setup.module, setup.assignment, file=upload("教案.pdf", samples.pdf()))
    submission = submission_of(org.teacher, setup)
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        services.review(submission.pk, org.trainer, version_number=1, decision="accept", score=80, feedback="")
    assert mailoutbox == [] and len(callbacks) == 1
