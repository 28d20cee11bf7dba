"""The warm course page (issue 18): cached routes, the compiled module read, role names with the user.

What the page keeps between requests is where a path leads (themes.site_cache:
the route, forgotten with the sites whenever any page is saved, deleted or
moved); what it computes per request is everything of the learner. These
tests hold the page to that: a publish shows at once, a view restriction
added while the route is cached is enforced, one learner's progress never
shows on another's page, and the compiled reads answer what the ORM answers.
"""

from decimal import Decimal

import pytest
from django.contrib.auth.models import Group
from django.core.cache import cache
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from wagtail.models import PageViewRestriction

from shixun.accounts.backends import UsernameOrStaffNumberBackend
from shixun.accounts.models import Role
from shixun.accounts.people import profile_of
from shixun.courses import enrolment as services
from shixun.courses.blocks import LESSON_KEY
from shixun.courses.models import ActivityProgress, CoursePage, ModuleCompletion, ModulePage
from shixun.courses.page_cache import VIEW_RESTRICTIONS_KEY
from shixun.courses.page_views import MODULE_ROW_FIELDS, modules_with_progress
from shixun.themes.site_cache import CACHE_KEY as SITES_KEY
from shixun.themes.site_cache import ROUTE_KEY
from tests.courses.conftest import make_course, make_module
from tests.courses.test_page_speed import _course_with_progress

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def empty_caches():
    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def committed_reads(monkeypatch):
    """On-commit callbacks run by the test behave as after a real commit (the test's own transaction aside)."""
    import shixun.courses.page_cache
    import shixun.themes.site_cache

    monkeypatch.setattr(shixun.themes.site_cache, "reads_are_committed", lambda: True)
    monkeypatch.setattr(shixun.courses.page_cache, "reads_are_committed", lambda: True)


@pytest.fixture
def warm(django_capture_on_commit_callbacks, committed_reads):
    """GET `url` as `client` twice with its cache writes committed, as on a real server: sites, then routes."""

    def warm(client, url):
        for _ in range(2):
            with django_capture_on_commit_callbacks(execute=True):
                assert client.get(url).status_code == 200

    return warm


@pytest.fixture
def commit(django_capture_on_commit_callbacks):
    """Run a change with its on-commit callbacks (the caches' deletes), as its commit would."""
    return lambda: django_capture_on_commit_callbacks(execute=True)


def _client(user):
    client = Client()
    client.force_login(user)
    return client


def _get(client, url):
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url)
    return response, [q["sql"] for q in queries.captured_queries]


def test_a_warm_course_page_asks_no_routing_or_groups_query_whatever_its_size(org, catalogue, warm):
    small, _ = _course_with_progress(catalogue, org.teacher, 3, "small")
    large, _ = _course_with_progress(catalogue, org.teacher, 20, "large")
    client = _client(org.teacher)
    warm(client, small.url)
    warm(client, large.url)
    (_, small_queries), (response, large_queries) = _get(client, small.url), _get(client, large.url)
    assert response.status_code == 200 and "已完成 19 / 20 个单元" in response.content.decode()
    # Session (in the database in tests), user with its role names, modules with progress, audience, enrolment.
    assert len(small_queries) == len(large_queries) == 5, large_queries
    kept = [value for key, value in getattr(cache, "_cache", {}).items() if ROUTE_KEY in key]  # locmem's store
    assert len(kept) == 2 and not any(b"teacher" in value or "王秀英".encode() in value for value in kept)
    assert not any("wagtailcore_page" in sql and "modulepage" not in sql for sql in large_queries)
    assert not any('"auth_group"' in sql and "JOIN" in sql and "ARRAY_AGG" not in sql.upper()
                   and "JSON_GROUP_ARRAY" not in sql.upper() for sql in large_queries)


def test_publishing_a_change_to_the_course_or_a_module_shows_at_once(org, catalogue, warm, commit):
    course, modules = _course_with_progress(catalogue, org.teacher, 3, "published")
    client = _client(org.teacher)
    warm(client, course.url)

    with commit():
        course.title = "师德师风（修订）"
        course.save_revision().publish()
    assert "师德师风（修订）" in client.get(course.url).content.decode()

    with commit():
        module = ModulePage.objects.get(pk=modules[0].pk)
        module.title = "第一课（修订）"
        module.save_revision().publish()
    html = client.get(course.url).content.decode()
    assert "第一课（修订）" in html

    warm(client, course.url)
    with commit():
        make_module(course, "新增单元", slug="published-new")
    html = client.get(course.url).content.decode()
    assert "新增单元" in html and "已完成 2 / 4 个单元" in html

    warm(client, course.url)
    with commit():
        ModulePage.objects.get(slug="published-new").unpublish()
    html = client.get(course.url).content.decode()
    assert "新增单元" not in html and "已完成 2 / 3 个单元" in html

    warm(client, course.url)
    with commit():
        CoursePage.objects.get(pk=course.pk).unpublish()
    assert client.get(course.url).status_code == 404


def test_a_restriction_added_while_the_route_is_cached_is_enforced(org, catalogue, warm, commit):
    course, _ = _course_with_progress(catalogue, org.teacher, 3, "restricted")
    client = _client(org.teacher)
    warm(client, course.url)
    assert cache.get(VIEW_RESTRICTIONS_KEY) is False and cache.get(SITES_KEY)

    with commit():
        restriction = PageViewRestriction.objects.create(page=course, restriction_type=PageViewRestriction.GROUPS)
        restriction.groups.set([Group.objects.get_or_create(name="研修组")[0]])
    response = client.get(course.url)
    assert response.status_code == 302 and "next=" in response["Location"]  # Wagtail's own refusal
    assert "已完成" not in response.content.decode()
    assert Client().get(course.url).status_code == 302

    with commit():
        restriction.delete()
    assert client.get(course.url).status_code == 200


def test_one_learners_progress_never_shows_on_anothers_page(org, catalogue, warm):
    course, modules = _course_with_progress(catalogue, org.teacher, 4, "two-learners")
    services.enrol_self(org.sibling_teacher, course)
    first, second = _client(org.teacher), _client(org.sibling_teacher)
    warm(first, course.url)
    first_html = first.get(course.url).content.decode()
    second_html = second.get(course.url).content.decode()
    assert "已完成 3 / 4 个单元" in first_html and first_html.count('class="badge ok"') == 1 + 3
    assert "已完成 0 / 4 个单元" in second_html and second_html.count('class="badge ok"') == 1  # "enrolled" only
    anonymous = Client().get(course.url).content.decode()
    assert "已完成" not in anonymous and 'class="badge ok"' not in anonymous

    ActivityProgress.objects.create(user=org.sibling_teacher, module=modules[3], activity_key=LESSON_KEY,
                                    status="in_progress")
    ModuleCompletion.objects.create(user=org.sibling_teacher, module=modules[0], course=course,
                                    credit_hours=Decimal("1.0"))
    assert "已完成 1 / 4 个单元" in second.get(course.url).content.decode()
    assert "已完成 3 / 4 个单元" in first.get(course.url).content.decode()


def test_the_compiled_module_read_answers_what_the_orm_answers(org, catalogue):
    from django.db.models import Exists, OuterRef, Subquery, Value
    from django.db.models.functions import Coalesce

    from shixun.courses.models import StudyTime

    course, modules = _course_with_progress(catalogue, org.teacher, 5, "compiled")
    ActivityProgress.objects.create(user=org.sibling_teacher, module=modules[4], activity_key=LESSON_KEY,
                                    status="in_progress")
    ActivityProgress.objects.create(user=org.sibling_teacher, module=modules[3], activity_key="assignment:1",
                                    status="waiting")
    StudyTime.objects.create(user=org.sibling_teacher, module=modules[4], active_ms=1234)
    StudyTime.objects.create(user=org.teacher, module=modules[2], active_ms=99, lesson_reported=True)
    make_module(course, "草稿", slug="compiled-draft")
    ModulePage.objects.get(slug="compiled-draft").unpublish()
    other = make_course(catalogue, "另一门课", slug="compiled-other")
    make_module(other, "别的单元", slug="compiled-other-m1")
    for learner in (org.teacher, org.sibling_teacher, org.trainer):
        study = StudyTime.objects.filter(user=learner, module_id=OuterRef("pk"))
        orm = list(
            course.live_modules()
            .annotate(
                done=Exists(ModuleCompletion.objects.filter(user=learner, module_id=OuterRef("pk"))),
                started=Exists(ActivityProgress.objects.filter(user=learner, module_id=OuterRef("pk"))),
                waiting=Exists(
                    ActivityProgress.objects.filter(user=learner, module_id=OuterRef("pk"), status="waiting")
                ),
                study_ms=Subquery(study.values("active_ms")[:1]),
                study_reported=Coalesce(Subquery(study.values("lesson_reported")[:1]), Value(False)),
            )
            .values(*MODULE_ROW_FIELDS, "study_minutes", "done", "started", "waiting", "study_ms", "study_reported")
        )
        compiled = modules_with_progress(course, learner)
        assert compiled == orm and len(compiled) == 5
        assert all(isinstance(row["credit_hours"], Decimal) and isinstance(row["done"], bool) for row in compiled)
        assert all(isinstance(row["study_reported"], bool) for row in compiled)
    assert [(r["waiting"], r["study_ms"]) for r in modules_with_progress(course, org.sibling_teacher)][3:] == [
        (True, None), (False, 1234)
    ]


def test_the_session_user_brings_its_role_names_and_a_group_change_shows_on_the_next_request(org):
    backend = UsernameOrStaffNumberBackend()
    with CaptureQueriesContext(connection) as queries:
        trainer = backend.get_user(org.trainer.pk)
        assert profile_of(trainer).role_names == {Role.TRAINER.value} and profile_of(trainer).is_trainer
        assert not profile_of(backend.get_user(org.teacher.pk)).role_names
    assert len(queries) == 2  # one read each, the groups included

    org.teacher.groups.add(Group.objects.get_or_create(name=Role.REVIEWER.value)[0], Group.objects.create(name="x,y"))
    assert profile_of(backend.get_user(org.teacher.pk)).role_names == {Role.REVIEWER.value, "x,y"}
    org.trainer.groups.clear()
    assert not profile_of(backend.get_user(org.trainer.pk)).is_trainer


def test_the_compiled_enrolment_and_audience_reads_answer_what_the_orm_answers(org, catalogue):
    from shixun.accounts.models import TeacherCategory
    from shixun.courses.models import Enrolment
    from shixun.courses.page_views import _audience

    course = make_course(catalogue, "面向新教师", slug="audience")
    assert _audience(course) == [] and services.active_enrolment(org.teacher, course) is None
    course.audience.set(TeacherCategory.objects.filter(code__in=["new", "in_service"]))
    course.save()
    course = CoursePage.objects.get(pk=course.pk)
    audience = _audience(course)
    assert audience == list(course.audience.all()) and [str(c) for c in audience] == [str(c) for c in
                                                                                     course.audience.all()]
    services.enrol_self(org.teacher, course)
    expected = Enrolment.objects.get(user=org.teacher, course=course)
    found = services.active_enrolment(org.teacher, course)
    fields = [f.attname for f in Enrolment._meta.concrete_fields]
    assert [getattr(found, f) for f in fields] == [getattr(expected, f) for f in fields]
    assert found.pk == expected.pk and not found._state.adding
    assert services.active_enrolment(org.sibling_teacher, course) is None
    Enrolment.objects.filter(pk=expected.pk).update(status=Enrolment.Status.WITHDRAWN)
    assert services.active_enrolment(org.teacher, course) is None


def test_the_kept_module_list_holds_nothing_of_a_learner_and_is_shared_by_learners(org, catalogue, warm):
    from shixun.courses import page_views

    course, _ = _course_with_progress(catalogue, org.teacher, 4, "fragment")
    services.enrol_self(org.sibling_teacher, course)
    page_views._module_lists.clear()
    first, second = _client(org.teacher), _client(org.sibling_teacher)
    first_html, second_html = first.get(course.url).content.decode(), second.get(course.url).content.decode()
    assert len(page_views._module_lists) == 1  # both learners' pages were made of the same kept list
    (pieces,) = page_views._module_lists.values()
    kept = "".join(pieces)
    assert "badge" not in kept and "王秀英" not in kept and "第4课" in kept and "第1课" in kept
    assert first_html.count('class="badge ok"') == 1 + 3 and second_html.count('class="badge ok"') == 1
    # A learner not enrolled (no links, no badges) gets a list of its own kind, still without badges.
    outsider = _client(org.foreign_teacher).get(course.url).content.decode()
    assert "第1课" in outsider and f'href="{course.url}fragment-m1/"' not in outsider
    assert len(page_views._module_lists) == 2 and all("badge" not in "".join(p)
                                                      for p in page_views._module_lists.values())
