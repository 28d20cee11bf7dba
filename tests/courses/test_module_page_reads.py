"""The module page's reads (issue 18): the siblings as plain rows, the enrolment read once for the whole page.

The page reads the learner's enrolment before it renders; its activity blocks
(quiz panel, H5P player) take that answer from the page instead of asking the
database again. These tests hold it to what the blocks answered on their own:
only the learner's own enrolment in this module's course counts, anything
else still asks the database, and the next-module links lead where Wagtail's
`pageurl` led.
"""

from decimal import Decimal

import pytest
from django.db import connection
from django.template import Context
from django.test import Client, RequestFactory
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from shixun.courses.blocks import LESSON_KEY
from shixun.courses.models import ActivityProgress, ModuleCompletion, ModulePage
from shixun.courses.progress import is_enrolled_on_module_page
from tests.quizzes import builders

pytestmark = pytest.mark.django_db


def _client(user):
    client = Client()
    client.force_login(user)
    return client


@pytest.fixture
def quiz_course(org):
    quiz = builders.quiz([builders.single()])
    course, module = builders.course_with_module([quiz], trainers=[org.trainer])
    second = course.add_child(instance=ModulePage(title="第二单元", slug="module-2", credit_hours=Decimal("1.0")))
    builders.enrol(org.teacher, course)
    return course, module, second, quiz


def test_the_quiz_block_takes_the_pages_enrolment_and_reads_it_once(org, quiz_course):
    course, module, _second, quiz = quiz_course
    client = _client(org.teacher)
    client.get(module.url)  # the lesson's "opened" is recorded once, outside the measurement
    with CaptureQueriesContext(connection) as queries:
        html = client.get(module.url).content.decode()
    enrolment_reads = [q["sql"] for q in queries.captured_queries if '"shixun_courses_enrolment"' in q["sql"]]
    assert len(enrolment_reads) == 1, enrolment_reads
    assert reverse("quizzes:start", args=[module.pk, quiz.pk]) in html  # the enrolled learner may start


def test_course_staff_on_the_module_page_are_not_taken_for_learners(org, quiz_course):
    _course, module, _second, quiz = quiz_course
    html = _client(org.trainer).get(module.url).content.decode()
    assert "你以课程工作人员身份查看本单元" in html
    assert reverse("quizzes:start", args=[module.pk, quiz.pk]) not in html


def test_a_block_not_on_its_own_module_page_asks_the_database(org, quiz_course, catalogue):
    course, module, second, _quiz = quiz_course
    request = RequestFactory().get("/")
    request.user = org.teacher
    enrolment = object()  # what a page's context would say: enrolled
    other_course = builders.course_with_module([builders.quiz([builders.single("另一题")])])[0]
    # Another course's page context: the teacher is not enrolled there, the context's answer must not be used.
    foreign = Context({"request": request, "course": other_course, "enrolment": enrolment, "page": module})
    assert is_enrolled_on_module_page(foreign, org.teacher, module) is True  # asked the database: enrolled here
    other_module = ModulePage.objects.child_of(other_course).first()
    context = Context({"request": request, "course": course, "enrolment": enrolment, "page": module})
    assert is_enrolled_on_module_page(context, org.teacher, other_module) is False  # not this page's module
    # Another user than the request's: their own enrolment, from the database.
    assert is_enrolled_on_module_page(context, org.sibling_teacher, module) is False
    # A preview records nothing and reads the editor's enrolment from the database.
    request.is_preview = True
    assert is_enrolled_on_module_page(
        Context({"request": request, "course": course, "enrolment": None, "page": module}), org.teacher, module
    ) is True
    del request.is_preview
    assert is_enrolled_on_module_page(context, org.teacher, module) is True


def test_the_next_module_links_lead_where_pageurl_led(org, quiz_course):
    course, module, second, _quiz = quiz_course
    client = _client(org.teacher)
    html = client.get(module.url).content.decode()
    assert "本单元之后" in html and f'href="{second.url}">第二单元</a>' in html
    assert "第 1 单元，共 2 单元" in html
    # A module published after the page was last seen shows at once (nothing of the siblings is kept).
    third = course.add_child(instance=ModulePage(title="第三单元", slug="module-3", credit_hours=Decimal("1.0")))
    html = client.get(second.url).content.decode()
    assert f'href="{third.url}">第三单元</a>' in html and "第 2 单元，共 3 单元" in html
    # The steps endpoint's card, once the module is complete, links to the next module the same way.
    ActivityProgress.objects.update_or_create(
        user=org.teacher, module=module, activity_key=LESSON_KEY, defaults={"status": "done"}
    )
    ModuleCompletion.objects.create(user=org.teacher, module=module, course=course, credit_hours=Decimal("2.0"))
    card = client.get(reverse("courses:module_steps", args=[module.pk])).json()["next_step_html"]
    assert f'href="{second.url}"' in card and "第二单元" in card


def test_one_learners_progress_never_shows_on_anothers_module_page(org, quiz_course):
    course, module, second, _quiz = quiz_course
    builders.enrol(org.sibling_teacher, course)
    ModuleCompletion.objects.create(user=org.teacher, module=module, course=course, credit_hours=Decimal("2.0"))
    done = _client(org.teacher).get(module.url).content.decode()
    other = _client(org.sibling_teacher).get(module.url).content.decode()
    assert "本单元已完成" in done and "本单元已完成" not in other


def test_the_dashboards_compiled_module_read_answers_what_the_orm_answers(org, catalogue):
    from shixun.courses import enrolment as services
    from shixun.courses.views import _dashboard_modules, _modules_of
    from tests.courses.conftest import make_course, make_module

    courses = []
    for n in range(3):
        course = make_course(catalogue, f"课程{n}", slug=f"dash-{n}")
        modules = [make_module(course, f"课程{n}第{i}课", slug=f"dash-{n}-{i}") for i in range(n + 1)]
        services.enrol_self(org.teacher, course)
        ModuleCompletion.objects.create(user=org.teacher, module=modules[0], course=course, credit_hours=Decimal("1"))
        courses.append(course)
    for count in (1, 2, 3):
        chosen = courses[:count]
        where = {}
        for i, course in enumerate(chosen):
            where[f"path{i}"], where[f"depth{i}"] = course.path, course.depth + 1
        expected = list(_dashboard_modules(org.teacher.pk, **where))
        got = [m for c in chosen for m in _modules_of(chosen, org.teacher)[c.pk]]
        assert got == expected and len(got) == sum(range(1, count + 1))
        # Another learner: the same modules, none of the teacher's completions.
        other = [m for c in chosen for m in _modules_of(chosen, org.sibling_teacher)[c.pk]]
        assert [m["pk"] for m in other] == [m["pk"] for m in got] and not any(m["done"] for m in other)


def test_the_dashboard_links_each_course_and_its_next_module(org, catalogue):
    from shixun.courses import enrolment as services
    from tests.courses.conftest import make_course, make_module

    course = make_course(catalogue, "链接课程", slug="links")
    first, second = make_module(course, "第一课", slug="links-1"), make_module(course, "第二课", slug="links-2")
    services.enrol_self(org.teacher, course)
    html = _client(org.teacher).get(reverse("courses:dashboard")).content.decode()
    assert f'href="{course.url}">链接课程</a>' in html and f'href="{first.url}"' in html
    ModuleCompletion.objects.create(user=org.teacher, module=first, course=course, credit_hours=Decimal("1"))
    html = _client(org.teacher).get(reverse("courses:dashboard")).content.decode()
    assert f'href="{second.url}"' in html and f'href="{first.url}"' not in html
    # A module published since shows at once (nothing of the modules is kept between requests).
    third = make_module(course, "第三课", slug="links-3")
    ModuleCompletion.objects.create(user=org.teacher, module=second, course=course, credit_hours=Decimal("1"))
    html = _client(org.teacher).get(reverse("courses:dashboard")).content.decode()
    assert f'href="{third.url}"' in html


def test_the_quiz_panels_compiled_attempts_read_is_each_learners_own_and_live(org, quiz_course):
    from shixun.assessments.quizzes import services as quiz_services
    from shixun.courses.page_views import statuses_of

    course, module, _second, quiz = quiz_course
    builders.enrol(org.sibling_teacher, course)
    attempt = quiz_services.start_attempt(org.teacher, quiz, module)
    mine = quiz_services.attempts_list(org.teacher, quiz, module)
    assert mine == list(quiz_services.attempts_of(org.teacher, quiz, module)) == [attempt]
    assert mine[0].state == attempt.state and mine[0].number == 1
    assert quiz_services.attempts_list(org.sibling_teacher, quiz, module) == []
    # The page shows the open attempt to its learner at once, and nothing of it to the other.
    continue_url = reverse("quizzes:attempt", args=[attempt.pk])
    assert continue_url in _client(org.teacher).get(module.url).content.decode()
    assert continue_url not in _client(org.sibling_teacher).get(module.url).content.decode()
    # The statuses read (compiled) is the learner's own, as the ORM reads it.
    assert statuses_of(org.teacher, module) == dict(
        ActivityProgress.objects.filter(user=org.teacher, module=module).values_list("activity_key", "status")
    )
    assert statuses_of(org.foreign_teacher, module) == {}


def _chooser_answer(block, values):
    """What the block gave before: Wagtail's StructBlock conversion (the chooser's in_bulk)."""
    from wagtail import blocks

    return blocks.StructBlock.bulk_to_python(block, values)


def test_the_placed_activity_is_what_wagtails_chooser_reads(org, quiz_course):
    _course, module, _second, quiz = quiz_course
    other = builders.quiz([builders.single()])
    block = ModulePage.body.field.stream_block.child_blocks["quiz"]
    cases = [
        [{"quiz": quiz.pk, "required": True}],
        [{"quiz": quiz.pk, "required": True}, {"quiz": quiz.pk, "required": False}],  # placed twice
        [{"quiz": quiz.pk, "required": True}, {"quiz": other.pk, "required": True}],  # two: Wagtail's read
        [{"quiz": 2_000_000_000, "required": True}],  # deleted since
        [{"quiz": None, "required": True}, {"required": False}],  # nothing chosen
    ]
    for values in cases:
        expected = _chooser_answer(block, values)
        with CaptureQueriesContext(connection) as queries:
            found = block.bulk_to_python(values)
        assert len(queries) <= 1
        if len({v.get("quiz") for v in values} - {None}) == 1:  # one activity: the compiled read, not in_bulk
            assert [' IN (' not in q["sql"] for q in queries.captured_queries] == [True]
        assert [dict(v) for v in found] == [dict(v) for v in expected], values
        assert [type(v.get("quiz")) for v in found] == [type(v.get("quiz")) for v in expected]
        activities = [v["quiz"] for v in found if v.get("quiz") is not None]
        assert len({id(a) for a in activities}) == len(activities)  # a distinct instance per placing
    # The compiled read answers for the quiz as it is now.
    quiz.title = "改过的测验"
    quiz.save()
    (found,) = block.bulk_to_python([{"quiz": quiz.pk, "required": True}])
    assert found["quiz"].title == "改过的测验"
    # And the page shows it.
    html = _client(org.teacher).get(module.url).content.decode()
    assert "改过的测验" in html


def test_the_course_pages_category_is_the_courses_as_it_is_now(org, catalogue):
    from shixun.courses.models import CourseCategory
    from tests.courses.conftest import make_course

    category = CourseCategory.objects.create(name="师德师风", name_en="Ethics", slug="ethics")
    course = make_course(catalogue, "有类别的课程", category=category)
    plain = make_course(catalogue, "无类别的课程")
    client = _client(org.teacher)
    with CaptureQueriesContext(connection) as queries:
        html = client.get(course.url).content.decode()
    assert '<span class="badge">师德师风</span>' in html
    reads = [q["sql"] for q in queries.captured_queries if '"shixun_courses_coursecategory"' in q["sql"]]
    assert len(reads) == 1
    category.name = "师德师风建设"
    category.save()
    assert '<span class="badge">师德师风建设</span>' in client.get(course.url).content.decode()
    english = Client(HTTP_ACCEPT_LANGUAGE="en")
    english.force_login(org.teacher)
    assert '<span class="badge">Ethics</span>' in english.get(course.url).content.decode()
    assert "badge\">师德师风" not in client.get(plain.url).content.decode()


def _fields(instance) -> dict:
    return {k: v for k, v in instance.__dict__.items() if not k.startswith("_")}


def test_the_dashboards_compiled_enrolments_read_answers_what_the_orm_answers(org, catalogue):
    """The dashboard's enrolments (active, in live courses, oldest first) with their course pages, compiled once:
    the same rows, in the same order, with every field of the enrolment and of its course as the ORM makes them;
    a withdrawal or an unpublished course shows on the next read."""
    from shixun.courses import enrolment as services
    from shixun.courses.models import Enrolment
    from shixun.courses.views import _ACTIVE_ENROLMENTS, _active_enrolments
    from tests.courses.conftest import make_course

    courses = [make_course(catalogue, f"报名课程{n}", slug=f"enrolled-{n}") for n in range(4)]
    for course in reversed(courses):
        services.enrol_self(org.teacher, course)
    services.enrol_self(org.sibling_teacher, courses[0])
    Enrolment.objects.filter(user=org.teacher, course=courses[1]).update(status=Enrolment.Status.WITHDRAWN)
    courses[2].unpublish()

    def both(user):
        expected, got = list(_active_enrolments(user.pk)), _ACTIVE_ENROLMENTS.models(user_id=user.pk)
        assert [_fields(e) for e in got] == [_fields(e) for e in expected]
        assert [(type(e.course), _fields(e.course)) for e in got] == [
            (type(e.course), _fields(e.course)) for e in expected
        ]
        return [e.course.pk for e in got]

    assert both(org.teacher) == [courses[3].pk, courses[0].pk]
    assert both(org.sibling_teacher) == [courses[0].pk]
    Enrolment.objects.filter(user=org.teacher, course=courses[1]).update(status=Enrolment.Status.ACTIVE)
    courses[0].unpublish()
    assert both(org.teacher) == [courses[3].pk, courses[1].pk]
