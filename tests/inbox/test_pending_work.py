"""Issue #16: the district dashboard showed no pending work; approving external training was found
only through a school's page. Dashboards and the trainer's admin home now list what waits."""

from datetime import date
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import translation

from shixun.courses import enrolment as services
from shixun.courses.models import EnrolmentMode
from shixun.inbox.pending import pending_work_for
from shixun.schools.models import ExternalTraining
from tests.courses.conftest import make_catalogue, make_course

pytestmark = pytest.mark.django_db


def register(teacher, title="市级骨干教师培训"):
    return ExternalTraining.objects.create(
        teacher=teacher, title=title, hours=Decimal("6"), organiser="市教科院", level="city",
        start_date=date(2026, 3, 1), end_date=date(2026, 3, 5),
    )


@pytest.fixture
def waiting(org):
    course = make_course(make_catalogue(), "新课标解读", mode=EnrolmentMode.APPLICATION)
    services.apply(org.teacher, course, "想学习")  # waits for the school
    recommended = services.apply(org.sibling_teacher, course, "想学习")
    services.recommend(org.sibling_school_admin, recommended)  # waits for the district
    register(org.teacher)
    register(org.teacher, "暑期研修")
    register(org.sibling_teacher)
    register(org.foreign_teacher)  # another district: nobody here sees it


def summary(user):
    with translation.override("en"):
        return {(item.label, item.count, item.url) for item in pending_work_for(user)}


def test_each_admin_sees_the_work_of_their_own_scope(org, waiting):
    assert summary(org.school_admin) == {
        ("Course applications to recommend", 1, reverse("courses:applications")),
        ("Registered training to approve", 2, reverse("schools:external_queue", args=[org.school.code])),
    }
    assert summary(org.district_admin) == {
        ("Course applications to approve", 1, reverse("courses:applications")),
        (f"Registered training to approve: {org.school.name}", 2,
         reverse("schools:external_queue", args=[org.school.code])),
        (f"Registered training to approve: {org.sibling_school.name}", 1,
         reverse("schools:external_queue", args=[org.sibling_school.code])),
    }
    assert summary(org.teacher) == set() and summary(org.foreign_district_admin) == {
        (f"Registered training to approve: {org.foreign_school.name}", 1,
         reverse("schools:external_queue", args=[org.foreign_school.code])),
    }


def test_the_dashboards_show_it(org, waiting, client):
    client.force_login(org.district_admin)
    page = client.get(reverse("schools:district_dashboard", args=[org.district.code]),
                      HTTP_ACCEPT_LANGUAGE="zh-hans").content.decode()
    assert "等待您处理" in page and "待审核的报名申请" in page
    assert f"待审核的学时登记：{org.sibling_school.name}" in page
    client.force_login(org.school_admin)
    page = client.get(reverse("schools:school_dashboard", args=[org.school.code]),
                      HTTP_ACCEPT_LANGUAGE="zh-hans").content.decode()
    assert "待学校推荐的报名申请" in page and "待审核的学时登记" in page


def test_nothing_waiting_says_so(org, client):
    client.force_login(org.school_admin)
    page = client.get(reverse("schools:school_dashboard", args=[org.school.code]),
                      HTTP_ACCEPT_LANGUAGE="zh-hans").content.decode()
    assert "目前没有等待您处理的事项" in page


def test_the_admin_home_has_the_panel(org, waiting, client):
    client.force_login(org.district_admin)
    page = client.get(reverse("wagtailadmin_home"), HTTP_ACCEPT_LANGUAGE="zh-hans").content.decode()
    assert "等待您处理" in page and "待审核的报名申请" in page
