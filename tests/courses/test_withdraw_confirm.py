"""Issue #16: 退出本课程 asked nothing, even on a completed course. Now a GET asks and the POST withdraws."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from shixun.courses import enrolment as services
from shixun.courses.blocks import LESSON_KEY
from shixun.courses.models import ActivityStatus, CoursePage, Enrolment
from shixun.courses.progress import record_activity_status

pytestmark = pytest.mark.django_db

HOURS_STAY = "The hours you have already earned in this course stay on your transcript."


def _writes(queries):
    return [
        q["sql"] for q in queries.captured_queries
        if q["sql"].lstrip().upper().startswith(("INSERT", "UPDATE", "DELETE")) and "django_session" not in q["sql"]
    ]


def test_the_course_pages_leave_button_leads_to_a_confirmation_that_changes_nothing(org, course, client):
    enrolment = services.enrol_self(org.teacher, course)
    client.force_login(org.teacher)
    url = reverse("courses:withdraw", args=[course.pk])
    page = client.get(CoursePage.objects.get(pk=course.pk).url).content.decode()
    assert f'href="{url}"' in page  # a link to the question, no longer a form that acts at once
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url)
    assert response.status_code == 200
    assert _writes(queries) == []
    enrolment.refresh_from_db()
    assert enrolment.status == Enrolment.Status.ACTIVE
    html = response.content.decode()
    assert f'action="{url}"' in html and 'method="post"' in html
    assert HOURS_STAY not in html  # nothing earned yet


def test_the_post_withdraws(org, course, client):
    enrolment = services.enrol_self(org.teacher, course)
    client.force_login(org.teacher)
    response = client.post(reverse("courses:withdraw", args=[course.pk]))
    assert response.status_code == 302
    enrolment.refresh_from_db()
    assert enrolment.status == Enrolment.Status.WITHDRAWN


def test_on_a_completed_course_the_confirmation_says_the_hours_stay(org, course, client):
    services.enrol_self(org.teacher, course)
    for module in course.live_modules():
        record_activity_status(org.teacher, module, LESSON_KEY, ActivityStatus.DONE)
    client.force_login(org.teacher)
    client.cookies.load({"django_language": "en"})
    html = client.get(reverse("courses:withdraw", args=[course.pk]), HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert HOURS_STAY in html or "已获得的学时仍保留在学时档案中" in html
