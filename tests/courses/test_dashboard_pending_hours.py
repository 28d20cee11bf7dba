"""The learner dashboard shows, per course whose hours wait for the pass, "待考核 N 学时" with what it means, and never
adds those hours to the hours earned (issue #20)."""

from decimal import Decimal

import pytest
from django.urls import reverse

from shixun.courses.models import CreditPolicy
from shixun.transcripts.services import pending_by_course
from tests.transcripts.helpers import complete, enrol
from tests.transcripts.test_credit_policy import grade, graded_course

pytestmark = pytest.mark.django_db


@pytest.fixture
def g(org, django_capture_on_commit_callbacks):
    g = graded_course(org)  # 2.0 + 1.5 h of modules, 4 award hours, hours when passed
    enrol(org.teacher, g.course)
    with django_capture_on_commit_callbacks(execute=True):
        complete(org.teacher, g.modules[0])
    return g


def dashboard(client, language="zh-hans") -> str:
    return client.get(reverse("courses:dashboard"), HTTP_ACCEPT_LANGUAGE=language).content.decode()


def test_pending_hours_show_per_course_and_stay_out_of_the_earned_total(org, g, client):
    client.force_login(org.teacher)
    (pending,) = pending_by_course(org.teacher)
    assert pending.hours == Decimal("6.0")  # 2.0 of the module done + the 4 award hours
    page = dashboard(client)
    assert "待考核 6.0 学时" in page and "课程考核通过后才计入学时" in page
    earned = page.split('class="dashboard-hours">')[1].split("<")[0]
    assert Decimal(earned) == 0  # nothing earned yet: the pending hours are not added
    english = dashboard(client, "en")
    assert "Pending assessment (待考核): 6.0 hours" in english and "They count once the course is passed" in english


def test_once_passed_the_hours_are_earned_and_no_longer_pending(org, g, client, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        complete(org.teacher, g.modules[1])
    grade(g, org.teacher, org.trainer, school="90", central="90", absent="0")
    client.force_login(org.teacher)
    page = dashboard(client)
    assert "待考核" not in page
    assert Decimal(page.split('class="dashboard-hours">')[1].split("<")[0]) == Decimal("7.5")


def test_a_course_with_hours_per_module_shows_no_pending_note(org, client, django_capture_on_commit_callbacks):
    other = graded_course(org, policy=CreditPolicy.PER_MODULE)
    enrol(org.teacher, other.course)
    with django_capture_on_commit_callbacks(execute=True):
        complete(org.teacher, other.modules[0])
    client.force_login(org.teacher)
    assert "待考核" not in dashboard(client)


def test_the_pending_note_costs_one_query_however_many_courses(org, client, django_capture_on_commit_callbacks):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    client.force_login(org.teacher)

    def count():
        dashboard(client)  # warm
        with CaptureQueriesContext(connection) as ctx:
            dashboard(client)
        return len(ctx.captured_queries)

    courses = []
    for _n in range(4):
        c = graded_course(org)
        enrol(org.teacher, c.course)
        with django_capture_on_commit_callbacks(execute=True):
            complete(org.teacher, c.modules[0])
        courses.append(c)
        if len(courses) == 1:
            one = count()
    assert count() == one
    assert dashboard(client).count("待考核 6.0 学时") == 4
