"""The demo's graded course: trainer1 enters the missing score on the grade sheet and t0003 gets the certificate."""

import io

import pytest
from django.core.management import call_command

from shixun.accounts.models import User
from shixun.courses.models import CourseCompletion, CoursePage, CreditPolicy
from shixun.transcripts import grades
from shixun.transcripts.demo import GRADED_COURSE_SLUG
from shixun.transcripts.models import Certificate, ComponentScore, CourseCreditSettings, LedgerEntry
from shixun.transcripts.services import pending_by_course


@pytest.mark.django_db
def test_demo_has_a_graded_course_ready_for_the_trainer(client):
    call_command("seed_demo", stdout=io.StringIO())
    counts = (ComponentScore.objects.count(), LedgerEntry.objects.count(), Certificate.objects.count())
    call_command("seed_demo", stdout=io.StringIO())
    assert (ComponentScore.objects.count(), LedgerEntry.objects.count(), Certificate.objects.count()) == counts

    course = CoursePage.objects.get(slug=GRADED_COURSE_SLUG)
    settings = CourseCreditSettings.objects.get(course=course)
    assert [(c.name, c.weight) for c in settings.components.all()] == [("校本研修", 30), ("集中考核", 70)]
    assert settings.void_at_absent_days == 2
    learner = User.objects.get(username="t0003")
    assert CourseCompletion.objects.filter(user=learner, course=course).exists()
    assert not Certificate.objects.filter(learner=learner, course=course).exists()
    # Hours when the course is passed: the four modules' 12 hours and the 4 award hours wait (待考核).
    assert course.credit_policy == CreditPolicy.ON_PASS
    assert not LedgerEntry.objects.filter(learner=learner, course=course).exists()
    assert [(p.module_hours, p.award_hours) for p in pending_by_course(learner)] == [(12, 4)]
    client.force_login(learner)
    assert "待考核" in client.get("/transcript/").content.decode()

    client.force_login(User.objects.get(username="trainer1"))
    assert course.title in client.get("/transcript/grades/").content.decode()
    central = settings.components.get(name="集中考核")
    response = client.post(
        f"/transcript/grades/{course.pk}/", {grades.score_field(learner.pk, central.pk): "75"}, follow=True
    )
    assert "新颁发证书 1 份" in response.content.decode()
    certificate = Certificate.objects.get(learner=learner, course=course)
    assert certificate.is_valid and certificate.score == 78  # 85 × 30 % + 75 × 70 % = 78.0
    # The pass posted the course's hours once, with the certificate.
    assert certificate.hours == 16
    assert sum(LedgerEntry.objects.filter(learner=learner, course=course).values_list("hours", flat=True)) == 16
    assert pending_by_course(learner) == []
