"""Page-type rules, access to module content, lesson-viewed recording, previews, query counts, deletion."""

import pytest
from django.test import Client
from django.urls import reverse

from shixun.courses import enrolment as services
from shixun.courses.blocks import LESSON_KEY
from shixun.courses.models import ActivityProgress, CataloguePage, CoursePage, ModuleCompletion, ModulePage
from tests.courses.conftest import make_course, make_module, site_root
from tests.factories import study_lesson

pytestmark = pytest.mark.django_db


def test_page_types_only_nest_catalogue_course_module(catalogue, course):
    module = course.live_modules().first()
    assert CoursePage.can_create_at(catalogue) and not CoursePage.can_create_at(site_root())
    assert ModulePage.can_create_at(course) and not ModulePage.can_create_at(catalogue)
    assert not ModulePage.can_create_at(module) and not CataloguePage.can_create_at(course)
    assert course.total_credit_hours == 3.5


def _client(user):
    client = Client()
    client.force_login(user)
    return client


def test_module_content_is_for_enrolled_learners_and_course_staff(org, course):
    module = course.live_modules().first()
    response = Client().get(module.url)
    assert response.status_code == 302 and reverse("accounts:login") in response["Location"]

    response = _client(org.teacher).get(module.url)
    assert response.status_code == 302 and response["Location"] == course.url
    assert "请先报名本课程" in _client(org.teacher).get(module.url, follow=True).content.decode()

    course.trainers.add(org.trainer)
    course.save_revision().publish()
    for viewer in (org.trainer, org.reviewer, org.superuser):
        html = _client(viewer).get(module.url).content.decode()
        assert "正文" in html and "不会记录学习进度" in html, viewer
    other_trainer_course = make_course(CataloguePage.objects.get(), "另一门课")
    other_module = make_module(other_trainer_course)
    assert _client(org.trainer).get(other_module.url).status_code == 302  # not a trainer of that course
    assert not ActivityProgress.objects.exists()


def test_opening_a_module_records_it_opened_and_studying_it_completes_it_and_shows_the_next_step(org, course):
    first, second = course.live_modules()
    services.enrol_self(org.teacher, course)
    client = _client(org.teacher)
    client.head(first.url)
    assert not ActivityProgress.objects.exists()  # only a real GET counts
    html = client.get(first.url).content.decode()
    # Opening is not studying: "opened", no completion, and what is left to study.
    lesson = ActivityProgress.objects.get(user=org.teacher, module=first, activity_key=LESSON_KEY)
    assert lesson.status == "in_progress"
    assert not ModuleCompletion.objects.exists()
    assert "还需学习 90 分钟" in html and "本单元已完成" not in html  # 2.0 hours × 45 minutes
    study_lesson(org.teacher, first)  # the page's heartbeats for the module's whole study time
    html = client.get(first.url).content.decode()
    assert ActivityProgress.objects.get(user=org.teacher, module=first, activity_key=LESSON_KEY).status == "done"
    assert ModuleCompletion.objects.filter(user=org.teacher, module=first).exists()
    assert "本单元已完成" in html and second.title in html  # next action: the next module

    dashboard = client.get(reverse("courses:dashboard")).content.decode()
    assert "已完成 1 / 2 个单元" in dashboard and second.title in dashboard


def test_course_page_shows_the_enrol_button_to_a_teacher_and_progress_once_enrolled(org, course):
    client = _client(org.teacher)
    html = client.get(course.url).content.decode()
    assert reverse("courses:enrol", args=[course.pk]) in html and "3.5" in html
    client.post(reverse("courses:enrol", args=[course.pk]))
    html = client.get(course.url).content.decode()
    assert "你已报名" in html and "开始学习" in html


def test_wagtail_preview_works_for_every_page_type_and_records_nothing(org, catalogue, course):
    module = course.live_modules().first()
    client = _client(org.superuser)
    for page in (catalogue, course, module):
        response = client.post(reverse("wagtailadmin_pages:preview_on_edit", args=[page.pk]), _edit_data(page))
        assert response.status_code == 200 and response.json()["is_valid"], (page, response.content[:500])
        response = client.get(reverse("wagtailadmin_pages:preview_on_edit", args=[page.pk]))
        assert response.status_code == 200, page
        assert page.title in response.content.decode()
    assert not ActivityProgress.objects.exists()


def _edit_data(page):
    from wagtail.test.utils.form_data import nested_form_data, rich_text, streamfield

    data = {"title": page.title, "slug": page.slug}
    if isinstance(page.specific, CataloguePage):
        data["intro"] = rich_text("<p>目录</p>")
    if isinstance(page.specific, CoursePage):
        data.update(summary=page.specific.summary, description=rich_text(""), enrolment_mode="open",
                    certificate_kind="credit_hours")
    if isinstance(page.specific, ModulePage):
        data.update(credit_hours="2.0", introduction="", body=streamfield([("paragraph", rich_text("<p>正文</p>"))]))
    return nested_form_data(data)


def test_a_module_or_course_with_completions_cannot_be_deleted(org, course):
    module = course.live_modules().first()
    services.enrol_self(org.teacher, course)
    study_lesson(org.teacher, module)
    client = _client(org.superuser)
    for page in (module, course):
        response = client.post(reverse("wagtailadmin_pages:delete", args=[page.pk]), follow=True)
        assert "不能删除" in response.content.decode()
        assert ModulePage.objects.filter(pk=module.pk).exists() and CoursePage.objects.filter(pk=course.pk).exists()
    untouched = make_module(course, "未学单元")
    client.post(reverse("wagtailadmin_pages:delete", args=[untouched.pk]))
    assert not ModulePage.objects.filter(pk=untouched.pk).exists()


def _populate(catalogue, learner, n_courses, modules_per_course):
    for i in range(n_courses):
        course = make_course(catalogue, f"课程{i}")
        for j in range(modules_per_course):
            make_module(course, f"单元{j}", due_date=None)
        services.enrol_self(learner, course)


# Budgets measured on SQLite and PostgreSQL with cold caches, as every request
# inside a test case is (session, user, page routing, site and branding, the
# view-restriction check and the page's own queries); a change that adds a
# query per course, module or enrolment fails the two-size comparison before
# it reaches these. Warm budgets: test_page_speed.py. Were 16, 17, 18 and 12. The dashboard's 10th:
# the attendance panel's upcoming sessions (one query).
QUERY_BUDGETS = {"catalogue": 15, "course": 12, "module": 13, "dashboard": 10}


@pytest.mark.parametrize("view", sorted(QUERY_BUDGETS))
def test_pages_use_a_constant_number_of_queries(org, catalogue, view, django_assert_max_num_queries):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    client = _client(org.teacher)

    def url_of_view():
        course = CoursePage.objects.live().order_by("-path").first()
        module = ModulePage.objects.child_of(course).live().first()
        client.get(module.url)  # warm: the lesson is recorded once, outside the measurement
        return {"catalogue": catalogue.url, "course": course.url, "module": module.url,
                "dashboard": reverse("courses:dashboard")}[view]

    def count(url):
        with CaptureQueriesContext(connection) as queries:
            assert client.get(url).status_code == 200
        return len(queries)

    _populate(catalogue, org.teacher, 2, 2)
    small = count(url_of_view())
    _populate(catalogue, org.teacher, 6, 4)
    url = url_of_view()
    large = count(url)
    assert small == large, (view, small, large)
    with django_assert_max_num_queries(QUERY_BUDGETS[view]):
        client.get(url)
