"""Chinese search in the catalogue, on SQLite and PostgreSQL (the suite runs on both)."""

import pytest
from django.test import Client

from shixun.courses.models import CoursePage
from shixun.courses.search import search_courses
from tests.courses.conftest import make_course, make_module

pytestmark = pytest.mark.django_db


@pytest.fixture
def courses(catalogue):
    ethics = make_course(catalogue, "师德师风建设", summary="新时代教师职业行为十项准则")
    standards = make_course(catalogue, "义务教育课程标准（2022年版）解读", summary="核心素养导向的教学")
    it = make_course(catalogue, "信息技术应用能力提升", summary="Office and courseware")
    make_module(it, "多媒体课件设计", body=[("paragraph", "<p>一页只讲一件事，字号不小于28号。</p>")])
    return ethics, standards, it


def titles(query):
    return sorted(search_courses(CoursePage.objects.live(), query).values_list("title", flat=True))


def test_a_fragment_of_a_chinese_title_finds_the_course(courses):
    assert titles("师德") == ["师德师风建设"]
    assert titles("课程标准") == ["义务教育课程标准（2022年版）解读"]


def test_summary_and_lesson_text_are_searched(courses):
    assert titles("十项准则") == ["师德师风建设"]
    assert titles("字号") == ["信息技术应用能力提升"]  # words from a module's lesson text


def test_every_term_must_match_and_the_full_width_space_separates_terms(courses):
    assert titles("师德　准则") == ["师德师风建设"]
    assert titles("师德 课件") == []
    assert titles("office") == ["信息技术应用能力提升"]  # case-insensitive for Latin letters


def test_unpublishing_a_module_removes_its_text(courses, django_capture_on_commit_callbacks):
    module = courses[2].live_modules().get()
    with django_capture_on_commit_callbacks(execute=True):
        module.unpublish()
    assert titles("字号") == []


def test_the_catalogue_page_searches_and_filters(courses, catalogue):
    from shixun.courses.models import CourseCategory

    category = CourseCategory.objects.create(name="师德师风", slug="shide")
    courses[0].category = category
    courses[0].save_revision().publish()
    client = Client()
    html = client.get(catalogue.url, {"q": "师德"}).content.decode()
    assert "师德师风建设" in html and "信息技术应用能力提升" not in html
    html = client.get(catalogue.url, {"category": "shide"}).content.decode()
    assert "师德师风建设" in html and "义务教育课程标准" not in html
    html = client.get(catalogue.url, {"hours": "lt10"}).content.decode()
    assert "信息技术应用能力提升" in html


def test_audience_filter_keeps_courses_for_everyone(catalogue):
    from shixun.accounts.models import TeacherCategory

    new = TeacherCategory.objects.get(code="new")
    make_course(catalogue, "新教师入职培训", audience=[new])
    make_course(catalogue, "班主任专题培训", audience=[TeacherCategory.objects.get(code="class_teacher")])
    make_course(catalogue, "师德师风建设")
    html = Client().get(catalogue.url, {"audience": "new"}).content.decode()
    assert "新教师入职培训" in html and "师德师风建设" in html and "班主任专题培训" not in html
