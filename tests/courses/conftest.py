"""Page-tree builders for the courses tests: a catalogue under the site root, courses, modules."""

from decimal import Decimal

import pytest
from wagtail.models import Page, Site

from shixun.courses.models import CataloguePage, CoursePage, EnrolmentMode, ModulePage


def site_root():
    site = Site.objects.filter(is_default_site=True).select_related("root_page").first()
    if site is None:
        # A transactional test's flush removed what Wagtail's migrations made (the PostgreSQL concurrency
        # files run several such tests in one database): make the same root, home page and default site.
        from django.conf import settings
        from wagtail.coreutils import get_supported_content_language_variant
        from wagtail.models import Locale

        Locale.objects.get_or_create(language_code=get_supported_content_language_variant(settings.LANGUAGE_CODE))
        root = Page.get_first_root_node() or Page.add_root(instance=Page(title="Root", slug="root"))
        home = root.add_child(instance=Page(title="Home", slug="home"))
        site = Site.objects.create(hostname="localhost", root_page=home, is_default_site=True)
    return site.root_page


def publish(parent, page):
    parent.add_child(instance=page)
    page.save_revision().publish()
    return page.__class__.objects.get(pk=page.pk)


def make_catalogue(slug="courses", title="课程中心") -> CataloguePage:
    return publish(site_root(), CataloguePage(title=title, slug=slug))


def make_course(catalogue, title="师德师风建设", *, mode=EnrolmentMode.OPEN, summary=None, trainers=(), **fields):
    slug = fields.pop("slug", None) or f"c{CoursePage.objects.count() + 1}"
    course = CoursePage(title=title, slug=slug, summary=summary or f"{title}的简介", enrolment_mode=mode, **fields)
    if trainers:
        course.trainers = list(trainers)
    return publish(catalogue, course)


def make_module(course, title="第一单元", *, hours="1.0", body=None, **fields) -> ModulePage:
    slug = fields.pop("slug", None) or f"m{ModulePage.objects.count() + 1}"
    return publish(
        course,
        ModulePage(title=title, slug=slug, credit_hours=Decimal(hours), body=body or [("paragraph", "<p>正文</p>")],
                   **fields),
    )


@pytest.fixture
def catalogue(db):
    return make_catalogue()


@pytest.fixture
def course(catalogue):
    course = make_course(catalogue, "师德师风建设", summary="学习新时代教师职业行为十项准则")
    make_module(course, "职业道德规范解读", hours="2.0")
    make_module(course, "十项准则", hours="1.5")
    return CoursePage.objects.get(pk=course.pk)


@pytest.fixture
def root_page(db):
    return Page.get_first_root_node()
