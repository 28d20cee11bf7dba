"""Issue #16: on English pages, what a district writes (brand, catalogue, categories, audiences) stayed Chinese.

Each has an optional English twin used on English pages when filled; otherwise the Chinese shows.
"""

import pytest
from django.utils import translation
from wagtail.models import Site

from shixun.accounts.models import TeacherCategory
from shixun.config.i18n import in_current_language, localised
from shixun.courses.models import CataloguePage, CourseCategory
from shixun.themes.models import BrandingSettings

from .conftest import make_course, publish, site_root

pytestmark = pytest.mark.django_db


def test_the_rule_english_when_filled_on_english_pages_else_chinese():
    category = CourseCategory(name="师德师风", name_en="Professional ethics")
    with translation.override("en"):
        assert in_current_language("课程中心", "Course catalogue") == "Course catalogue"
        assert in_current_language("课程中心", "") == "课程中心"
        assert localised(category, "name") == str(category) == "Professional ethics"
        assert localised({"site_name": "师训", "site_name_en": ""}, "site_name") == "师训"
        assert localised(CourseCategory(name="信息技术"), "name") == "信息技术"
    with translation.override("zh-hans"):
        assert in_current_language("课程中心", "Course catalogue") == "课程中心"
        assert localised(category, "name") == str(category) == "师德师风"


@pytest.fixture
def english_world(org):
    branding = BrandingSettings.for_site(Site.objects.get(is_default_site=True))
    branding.site_name, branding.site_name_en = "甘州区教师培训", "Ganzhou Teacher Training"
    branding.save()
    catalogue = publish(site_root(), CataloguePage(
        title="课程中心", slug="courses", intro="<p>按主题查找课程。</p>",
        title_en="Course catalogue", intro_en="<p>Find courses by theme.</p>",
    ))
    ethics = CourseCategory.objects.create(name="师德师风", name_en="Professional ethics", slug="shide")
    untranslated = CourseCategory.objects.create(name="信息技术", slug="xinxi")
    audience = TeacherCategory.objects.get(code="class_teacher")
    audience.name_en = "Class teachers"
    audience.save()
    course = make_course(catalogue, "班主任工作", category=ethics)
    course.audience.set([audience])
    course.save_revision().publish()
    make_course(catalogue, "信息技术应用", category=untranslated)
    return catalogue, course


def _get(client, user, url, language):
    client.force_login(user)
    client.cookies.load({"django_language": language})
    response = client.get(url, HTTP_ACCEPT_LANGUAGE=language)
    assert response.status_code == 200
    return response.content.decode()


def test_english_catalogue_shows_the_districts_english_words(client, org, english_world):
    catalogue, _course = english_world
    html = _get(client, org.teacher, catalogue.url, "en")
    for english in ("Ganzhou Teacher Training", "<h1>Course catalogue</h1>", "Find courses by theme.",
                    "Professional ethics", "Class teachers"):
        assert english in html, english
    for chinese in ("甘州区教师培训", "课程中心", "按主题查找课程", "师德师风"):
        assert chinese not in html, chinese
    # No English twin: the Chinese name, not an empty badge or option.
    assert '<span class="badge">信息技术</span>' in html
    assert ">信息技术</option>" in html


def test_chinese_catalogue_keeps_the_chinese_words(client, org, english_world):
    catalogue, _course = english_world
    html = _get(client, org.teacher, catalogue.url, "zh-hans")
    for chinese in ("甘州区教师培训", "<h1>课程中心</h1>", "按主题查找课程。", '<span class="badge">师德师风</span>',
                    "班主任"):
        assert chinese in html, chinese
    for english in ("Ganzhou Teacher Training", "Course catalogue", "Find courses by theme", "Professional ethics",
                    "Class teachers"):
        assert english not in html, english


@pytest.mark.parametrize(("language", "shown", "hidden"), [
    ("en", ("Professional ethics", "Class teachers", "Ganzhou Teacher Training"), ("师德师风", "甘州区教师培训")),
    ("zh-hans", ("师德师风", "班主任", "甘州区教师培训"), ("Professional ethics", "Class teachers")),
])
def test_course_page_category_and_audience_in_the_page_language(client, org, english_world, language, shown, hidden):
    _catalogue, course = english_world
    html = _get(client, org.teacher, course.url, language)
    for text in shown:
        assert text in html, text
    for text in hidden:
        assert text not in html, text
