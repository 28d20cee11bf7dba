"""Learner pages stay cheap: queries constant in the number of modules, and every cache forgets on change.

The caches (themes.site_cache, courses.page_cache) only keep what a committed
transaction read, and a test case never commits. The tests that want a warm
cache run the request inside `django_capture_on_commit_callbacks(execute=True)`
with `committed_reads`, which lets those on-commit writes through as a real
commit would; the caches are emptied before and after every test here.
"""

from decimal import Decimal

import pytest
from django.core.cache import cache
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from wagtail.models import PageViewRestriction, Site

from shixun.courses import enrolment as services
from shixun.courses.blocks import LESSON_KEY
from shixun.courses.models import ActivityProgress, CoursePage, ModuleCompletion, ModulePage
from shixun.courses.page_cache import VIEW_RESTRICTIONS_KEY
from shixun.themes.models import BrandingSettings
from shixun.themes.site_cache import CACHE_KEY as SITES_KEY
from tests.courses.conftest import make_course, make_module

pytestmark = pytest.mark.django_db

CACHED_SITE = "shixun.themes.middleware.CachedSiteMiddleware"


@pytest.fixture(autouse=True)
def empty_caches():
    cache.delete_many([SITES_KEY, VIEW_RESTRICTIONS_KEY])
    yield
    cache.delete_many([SITES_KEY, VIEW_RESTRICTIONS_KEY])


@pytest.fixture
def committed_reads(monkeypatch):
    """On-commit callbacks run by the test behave as after a real commit (the test's own transaction aside)."""
    import shixun.courses.page_cache
    import shixun.themes.site_cache

    monkeypatch.setattr(shixun.themes.site_cache, "reads_are_committed", lambda: True)
    monkeypatch.setattr(shixun.courses.page_cache, "reads_are_committed", lambda: True)


@pytest.fixture
def cached_site_middleware(settings):
    """The middleware as the lead is asked to install it: right after authentication."""
    if CACHED_SITE not in settings.MIDDLEWARE:
        middleware = list(settings.MIDDLEWARE)
        middleware.insert(middleware.index("django.contrib.auth.middleware.AuthenticationMiddleware") + 1, CACHED_SITE)
        settings.MIDDLEWARE = middleware


def _client(user):
    client = Client()
    client.force_login(user)
    return client


def _queries(client, url, *, status=200):
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url)
    assert response.status_code == status, (url, response.status_code)
    return [q["sql"] for q in queries.captured_queries]


def _warm(client, url, commit):
    """Requests whose cache writes commit, as they do on a real server: the first keeps the site, the second
    (which finds it) the page's route."""
    for _ in range(2):
        with commit(execute=True):
            assert client.get(url).status_code == 200


def _course_with_progress(catalogue, learner, n_modules, slug):
    course = make_course(catalogue, f"课程{n_modules}", slug=slug)
    modules = [make_module(course, f"第{n + 1}课", slug=f"{slug}-m{n + 1}") for n in range(n_modules)]
    services.enrol_self(learner, course)
    for module in modules[:-1]:  # all but the last done, like the peer comparison
        ActivityProgress.objects.create(user=learner, module=module, activity_key=LESSON_KEY, status="done")
        ModuleCompletion.objects.create(user=learner, module=module, course=course, credit_hours=Decimal("1.0"))
    return CoursePage.objects.get(pk=course.pk), modules


# Measured on SQLite and PostgreSQL with warm caches and the CachedSiteMiddleware:
# session (in the database in tests), user (with its role names: no groups query), and the page's own
# queries; no routing query (the route is cached, themes.site_cache). Was 17 (course) and 18 (module)
# before the caches, 9 and 10 before the cached route and the role names. The dashboard's 7th is the
# attendance panel's upcoming sessions (one query, whatever the number of courses).
WARM_BUDGETS = {"course": 5, "module": 5, "catalogue": 9, "dashboard": 7}


def test_course_page_costs_the_same_queries_for_3_and_20_modules_with_progress(
    org, catalogue, django_capture_on_commit_callbacks, cached_site_middleware, committed_reads
):
    small, _ = _course_with_progress(catalogue, org.teacher, 3, "small")
    large, large_modules = _course_with_progress(catalogue, org.teacher, 20, "large")
    client = _client(org.teacher)
    _warm(client, small.url, django_capture_on_commit_callbacks)
    _warm(client, large.url, django_capture_on_commit_callbacks)
    small_queries = _queries(client, small.url)
    large_queries = _queries(client, large.url)
    assert len(small_queries) == len(large_queries) <= WARM_BUDGETS["course"], large_queries

    html = client.get(large.url).content.decode()
    assert "已完成 19 / 20 个单元" in html  # the progress is the learner's, module by module
    last = large_modules[-1]
    assert html.count('class="badge ok"') == 1 + 19  # "enrolled" and 19 done modules
    assert f'href="{last.url}"' in html and "继续学习" in html  # the next step is the unfinished module


def test_warm_learner_pages_stay_within_their_budgets_at_two_sizes(
    org, catalogue, django_capture_on_commit_callbacks, cached_site_middleware, committed_reads
):
    """Every learner page, warm, in one world grown from 1 course of 2 modules to 6 courses (5 of 12 more).

    One world for the four pages, not one each: building the larger one (60 modules with progress) was
    most of each page's test. Each page is warmed before it is counted, at each size.
    """
    client = _client(org.teacher)

    def urls_at(n_courses, n_modules):
        for i in range(n_courses):
            _course_with_progress(catalogue, org.teacher, n_modules, f"c-{n_modules}-{i}")
        course = CoursePage.objects.live().order_by("-path").first()
        module = ModulePage.objects.child_of(course).live().first()
        client.get(module.url)  # the lesson is recorded once, outside the measurement
        urls = {"catalogue": catalogue.url, "course": course.url, "module": module.url,
                "dashboard": reverse("courses:dashboard")}
        for url in urls.values():
            _warm(client, url, django_capture_on_commit_callbacks)
        return urls

    small = {view: len(_queries(client, url)) for view, url in urls_at(1, 2).items()}
    large = {view: len(_queries(client, url)) for view, url in urls_at(5, 12).items()}
    assert small == large, (small, large)
    over_budget = {view: count for view, count in large.items() if count > WARM_BUDGETS[view]}
    assert not over_budget, (over_budget, WARM_BUDGETS)


def test_a_warm_page_asks_the_database_for_no_site_branding_or_view_restriction(
    org, course, django_capture_on_commit_callbacks, cached_site_middleware, committed_reads
):
    client = _client(org.teacher)
    cold = _queries(client, course.url)
    _warm(client, course.url, django_capture_on_commit_callbacks)
    warm = _queries(client, course.url)
    for table in ("wagtailcore_site", "shixun_themes_brandingsettings", "wagtailcore_pageviewrestriction"):
        assert any(table in sql for sql in cold), table
        assert not any(table in sql for sql in warm), table


def test_what_a_transaction_read_is_not_cached_until_it_has_committed(
    org, course, django_capture_on_commit_callbacks
):
    client = _client(org.teacher)
    assert client.get(course.url).status_code == 200  # inside the test's transaction, never committed
    assert cache.get(SITES_KEY) is None and cache.get(VIEW_RESTRICTIONS_KEY) is None
    # The on-commit callbacks run, but still inside the (test's) transaction: nothing is kept.
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        assert client.get(course.url).status_code == 200
    assert callbacks
    assert cache.get(SITES_KEY) is None and cache.get(VIEW_RESTRICTIONS_KEY) is None


def test_a_branding_change_shows_on_the_next_request(
    org, course, django_capture_on_commit_callbacks, committed_reads
):
    client = _client(org.teacher)
    _warm(client, course.url, django_capture_on_commit_callbacks)
    assert cache.get(SITES_KEY)
    branding = BrandingSettings.for_site(Site.objects.get(is_default_site=True))
    with django_capture_on_commit_callbacks(execute=True):
        branding.site_name = "甘州区教师研修网"
        branding.primary_colour = "#aa3300"
        branding.save()
    html = client.get(course.url).content.decode()
    assert "甘州区教师研修网" in html and "--primary: #aa3300" in html


def test_a_site_or_page_tree_change_forgets_the_cached_site(
    org, course, django_capture_on_commit_callbacks, committed_reads
):
    client = _client(org.teacher)
    _warm(client, course.url, django_capture_on_commit_callbacks)
    site = Site.objects.get(is_default_site=True)
    with django_capture_on_commit_callbacks(execute=True):
        site.site_name = "renamed"
        site.save()
    assert cache.get(SITES_KEY) is None
    _warm(client, course.url, django_capture_on_commit_callbacks)
    with django_capture_on_commit_callbacks(execute=True):
        make_module(course, "新单元")  # any page saved: the cached root page may be stale
    assert cache.get(SITES_KEY) is None


def test_a_warm_page_takes_wagtails_site_root_paths_from_the_cached_site(
    org, course, django_capture_on_commit_callbacks, cached_site_middleware, committed_reads, monkeypatch
):
    """Page URLs need Wagtail's site root paths: kept with the site, not one more cache read per request."""
    services.enrol_self(org.teacher, course)
    module = course.live_modules().first()
    client = _client(org.teacher)
    client.get(module.url)  # the lesson's "opened", outside the measurement
    for url in (course.url, module.url):
        _warm(client, url, django_capture_on_commit_callbacks)
    read = []
    with monkeypatch.context() as patched:
        patched.setattr(Site, "get_site_root_paths", staticmethod(lambda: read.append(1) or []))
        # Each page's links built from the kept root paths: the course page's to its modules, the module's to
        # its course.
        for url, link in ((course.url, module.url), (module.url, course.url)):
            assert f'href="{link}"' in client.get(url).content.decode()
    assert read == []  # Wagtail's own read (its cache key) never asked on a warm page
    entry = next(iter(cache.get(SITES_KEY).values()))
    assert entry["root_paths"] == Site.get_site_root_paths()
    # Forgotten with the site whenever a site or any page changes (the test above), a superset of Wagtail's
    # own forgetting of its root paths (a site, or a site's root page, saved or deleted).


def test_a_view_restriction_added_after_the_cache_is_warm_is_enforced_on_the_next_request(
    org, catalogue, course, django_capture_on_commit_callbacks, cached_site_middleware, committed_reads
):
    anonymous = Client()
    _warm(anonymous, course.url, django_capture_on_commit_callbacks)
    assert cache.get(VIEW_RESTRICTIONS_KEY) is False
    with django_capture_on_commit_callbacks(execute=True):
        restriction = PageViewRestriction.objects.create(page=catalogue, restriction_type=PageViewRestriction.LOGIN)
    response = anonymous.get(course.url)
    assert response.status_code == 302 and "next=" in response["Location"]  # Wagtail's login requirement
    module = course.live_modules().first()
    assert anonymous.get(module.url).status_code == 302
    assert _client(org.teacher).get(course.url).status_code == 200

    with django_capture_on_commit_callbacks(execute=True):
        restriction.delete()
    assert anonymous.get(course.url).status_code == 200


def test_routing_finds_courses_and_modules_and_refuses_what_is_not_live(org, catalogue, course):
    services.enrol_self(org.teacher, course)
    client = _client(org.teacher)
    module = course.live_modules().first()
    assert client.get(course.url).status_code == 200
    assert client.get(module.url).status_code == 200
    assert client.get(course.url + "no-such-module/").status_code == 404
    assert client.get(catalogue.url + "no-such-course/").status_code == 404
    assert client.get(module.url + "extra/").status_code == 404

    module.unpublish()
    assert client.get(module.url).status_code == 404
    draft = make_course(catalogue, "草稿课程", slug="draft-course")
    draft.unpublish()
    assert client.get(catalogue.url + "draft-course/").status_code == 404
