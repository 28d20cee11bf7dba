"""A typed-answer assignment that needs a trainer's acceptance (issue 13, "No GET completes anything").

Handing in a text of the minimum length no longer completes the module when the
assignment says a trainer must accept it: the teacher sees "等待培训者确认", the
trainer accepts or returns it in the review queue, and only acceptance reports
completion (through record_activity_status), once.
"""

import pytest
from django.test import Client
from django.urls import reverse

from shixun.assessments.assignments.models import AnswerMode, CompletionRule, Submission
from shixun.courses.blocks import LESSON_KEY
from shixun.courses.models import ActivityProgress, ActivityStatus, ModuleCompletion
from shixun.courses.progress import record_activity_status

from .conftest import enrol, hand_in_url, make_assignment, make_course, post_hand_in, submission_of

pytestmark = pytest.mark.django_db

REFLECTION = "我在课堂上坚持每周与学生谈心，记录他们的困惑与成长。" * 3  # well over the minimum


@pytest.fixture
def reflection(org):
    assignment = make_assignment(
        title="教学反思", answer_mode=AnswerMode.TEXT, allowed_kinds=[], min_text_chars=30,
        completion_rule=CompletionRule.ON_ACCEPT,
    )
    course = make_course("reflection", trainers=[org.trainer], assignment=assignment)
    enrol(org.teacher, course.course)
    # The lesson is studied: the assignment is all that is left of the module.
    record_activity_status(org.teacher, course.module, LESSON_KEY, ActivityStatus.DONE)
    return course


def status_of(user, course):
    return ActivityProgress.objects.get(
        user=user, module=course.module, activity_key=course.assignment.activity_key
    ).status


def review(client, submission, decision, *, version, score="", feedback=""):
    return client.post(
        reverse("assignments:review", args=[submission.pk]),
        {"version": version, "decision": decision, "score": score, "feedback": feedback},
    )


def test_a_text_of_the_minimum_length_waits_for_the_trainer_and_counts_only_on_acceptance(org, reflection, client):
    client.force_login(org.teacher)
    assert post_hand_in(client, reflection.module, reflection.assignment, text=REFLECTION).status_code == 302

    submission = submission_of(org.teacher, reflection)
    assert submission.status == Submission.Status.SUBMITTED
    assert status_of(org.teacher, reflection) == ActivityStatus.WAITING
    assert not ModuleCompletion.objects.filter(user=org.teacher, module=reflection.module).exists()
    # The teacher sees where it stands, on the hand-in page and on the module page.
    assert "等待培训者确认" in client.get(hand_in_url(reflection.module, reflection.assignment)).content.decode()
    assert "等待培训者确认" in client.get(reflection.module.url).content.decode()

    trainer = Client()
    trainer.force_login(org.trainer)
    assert "教学反思" in trainer.get(reverse("assignments:review_queue")).content.decode()
    assert review(trainer, submission, "accept", version=1, score=90).status_code == 302

    submission.refresh_from_db()
    assert submission.status == Submission.Status.ACCEPTED
    assert status_of(org.teacher, reflection) == ActivityStatus.DONE
    completion = ModuleCompletion.objects.get(user=org.teacher, module=reflection.module)
    assert completion.credit_hours == reflection.module.credit_hours
    # Accepting again (a second tab) changes nothing and completes nothing twice.
    review(trainer, submission, "accept", version=1, score=90)
    assert ModuleCompletion.objects.filter(user=org.teacher, module=reflection.module).count() == 1


def test_a_returned_text_goes_back_to_the_teacher_and_counts_after_the_revision_is_accepted(org, reflection, client):
    client.force_login(org.teacher)
    post_hand_in(client, reflection.module, reflection.assignment, text=REFLECTION)
    submission = submission_of(org.teacher, reflection)
    trainer = Client()
    trainer.force_login(org.trainer)
    review(trainer, submission, "return", version=1, feedback="请结合一个具体的课堂事例。")

    assert status_of(org.teacher, reflection) == ActivityStatus.IN_PROGRESS
    assert not ModuleCompletion.objects.filter(user=org.teacher, module=reflection.module).exists()
    page = client.get(hand_in_url(reflection.module, reflection.assignment)).content.decode()
    assert "请结合一个具体的课堂事例。" in page and "退回修改" in page

    post_hand_in(client, reflection.module, reflection.assignment, text=REFLECTION + "例如上周的班会课。")
    assert status_of(org.teacher, reflection) == ActivityStatus.WAITING
    assert not ModuleCompletion.objects.filter(user=org.teacher, module=reflection.module).exists()
    review(trainer, submission, "accept", version=2)
    assert ModuleCompletion.objects.filter(user=org.teacher, module=reflection.module).count() == 1


def test_a_returned_text_is_revised_from_the_last_version_not_retyped(org, reflection, client):
    """"请按照评语修改": on a phone, retyping 300 characters from nothing is not revising. Only a returned answer
    starts the form from its text; one waiting for review leaves the box empty (nothing needs handing in)."""
    client.force_login(org.teacher)
    post_hand_in(client, reflection.module, reflection.assignment, text=REFLECTION)
    url = hand_in_url(reflection.module, reflection.assignment)
    assert REFLECTION not in client.get(url).content.decode().split("<textarea", 1)[1].split("</textarea>")[0]
    trainer = Client()
    trainer.force_login(org.trainer)
    review(trainer, submission_of(org.teacher, reflection), "return", version=1, feedback="请结合一个具体的课堂事例。")

    textarea = client.get(url).content.decode().split("<textarea", 1)[1].split("</textarea>")[0]
    assert REFLECTION in textarea


def test_a_text_that_handing_in_completes_still_counts_at_once(org, reflection, client):
    reflection.assignment.completion_rule = CompletionRule.ON_SUBMIT
    reflection.assignment.save()
    client.force_login(org.teacher)
    post_hand_in(client, reflection.module, reflection.assignment, text=REFLECTION)
    assert status_of(org.teacher, reflection) == ActivityStatus.DONE
    assert ModuleCompletion.objects.filter(user=org.teacher, module=reflection.module).exists()
    assert "等待培训者确认" not in client.get(hand_in_url(reflection.module, reflection.assignment)).content.decode()


def test_a_text_shorter_than_the_minimum_is_refused_and_nothing_waits(org, reflection, client):
    client.force_login(org.teacher)
    response = post_hand_in(client, reflection.module, reflection.assignment, text="太短了。")
    assert response.status_code == 200
    assert not Submission.objects.exists()


def test_trainers_see_the_rule_explained_in_the_assignment_form(org, client):
    client.force_login(org.trainer)
    page = client.get(reverse("wagtailsnippets_shixun_assignments_assignment:add")).content.decode()
    assert "等待培训者确认" in page and "提交即完成" in page
