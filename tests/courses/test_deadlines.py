"""Issue #16: a red "已于 … 逾期" on first login, for a due date set before the teacher was even enrolled."""

from datetime import date, timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from shixun.courses import enrolment as services
from shixun.courses.deadlines import DueState, due_state
from shixun.courses.models import CoursePage

from .conftest import make_catalogue, make_course, make_module

TODAY = date(2026, 12, 5)


@pytest.mark.parametrize(
    ("due", "done", "enrolled_on", "expected"),
    [
        (None, False, date(2026, 9, 1), DueState.NONE),
        (date(2026, 11, 28), True, date(2026, 9, 1), DueState.NONE),  # done: nothing is late
        (date(2026, 11, 28), False, date(2026, 9, 1), DueState.OVERDUE),  # set after enrolment, passed
        (date(2026, 11, 28), False, date(2026, 12, 5), DueState.BEFORE_ENROLMENT),  # passed before enrolment
        (date(2026, 12, 4), False, date(2026, 12, 5), DueState.BEFORE_ENROLMENT),
        (date(2026, 12, 5), False, date(2026, 12, 5), DueState.UPCOMING),  # due today, enrolled today
        (date(2026, 12, 20), False, date(2026, 12, 5), DueState.UPCOMING),
        (date(2026, 11, 28), False, None, DueState.UPCOMING),  # a visitor who is not enrolled is never late
    ],
)
def test_due_state(due, done, enrolled_on, expected):
    assert due_state(due, done=done, enrolled_on=enrolled_on, today=TODAY) == expected


@pytest.fixture
def past_due_course(db):
    course = make_course(make_catalogue(), "新课标解读")
    make_module(course, "第一单元", due_date=timezone.localdate() - timedelta(days=7))
    return CoursePage.objects.get(pk=course.pk)


def _zh(client, url):
    return client.get(url, HTTP_ACCEPT_LANGUAGE="zh-hans").content.decode()


def test_enrolled_after_the_due_date_the_teacher_is_not_shown_as_late(org, past_due_course, client):
    services.enrol_self(org.teacher, past_due_course)
    client.force_login(org.teacher)
    dashboard = _zh(client, reverse("courses:dashboard"))
    assert "逾期" not in dashboard
    assert "早于您的报名日期：请尽快完成" in dashboard
    course_page = _zh(client, past_due_course.url)
    assert "badge bad" not in course_page
    assert "截止早于报名：请尽快完成" in course_page


def test_enrolled_before_the_due_date_a_missed_date_is_overdue(org, past_due_course, client):
    enrolment = services.enrol_self(org.teacher, past_due_course)
    enrolment.enrolled_at = timezone.now() - timedelta(days=30)
    enrolment.save(update_fields=["enrolled_at"])
    client.force_login(org.teacher)
    assert "逾期" in _zh(client, reverse("courses:dashboard"))
    assert "badge bad" in _zh(client, past_due_course.url)
