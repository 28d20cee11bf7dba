"""The module's steps endpoint: what the page asks to update its step list and next-step card in place."""

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from shixun.courses import enrolment as services
from shixun.courses.blocks import LESSON_KEY
from shixun.courses.models import ActivityProgress, ActivityStatus, CataloguePage, ModuleCompletion
from shixun.courses.progress import record_activity_status
from tests.courses.conftest import make_course, make_module

pytestmark = pytest.mark.django_db


def _client(user=None):
    client = Client()
    if user is not None:
        client.force_login(user)
    return client


def _url(module):
    return reverse("courses:module_steps", args=[module.pk])


def test_only_an_enrolled_learner_gets_the_steps_and_other_methods_are_refused(org, course):
    first, _ = course.live_modules()
    course.trainers.add(org.trainer)
    course.save_revision().publish()
    services.enrol_self(org.teacher, course)

    response = _client().get(_url(first))
    assert response.status_code == 403 and "重新登录" in response.json()["error"]
    for outsider in (org.sibling_teacher, org.trainer, org.superuser):  # course staff are not learners here
        response = _client(outsider).get(_url(first))
        assert response.status_code == 404 and "尚未报名" in response.json()["error"], outsider
    assert _client(org.teacher).get(reverse("courses:module_steps", args=[999999])).status_code == 404
    other = make_module(make_course(CataloguePage.objects.get(), "另一门课"))
    assert _client(org.teacher).get(_url(other)).status_code == 404  # a module of a course not enrolled in

    response = _client(org.teacher).post(_url(first))
    assert response.status_code == 405 and response["Allow"] == "GET"

    services.withdraw(services.active_enrolment(org.teacher, course), actor=org.teacher)
    assert _client(org.teacher).get(_url(first)).status_code == 404
    assert not ActivityProgress.objects.exists()


def test_the_answer_follows_progress_and_asking_records_nothing(org, course):
    first, second = course.live_modules()
    services.enrol_self(org.teacher, course)
    client = _client(org.teacher)

    data = client.get(_url(first)).json()
    # Unlike opening the module page, asking for its steps does not read the lesson.
    assert not ActivityProgress.objects.exists() and not ModuleCompletion.objects.exists()
    assert data["module_completed"] is False and data["next_step"] == LESSON_KEY
    assert data["steps"] == [{
        "key": LESSON_KEY, "status": "not_started", "status_label": "未开始", "badge": "", "done": False,
    }]
    assert "去完成" in data["next_step_html"] and 'href="#lesson"' in data["next_step_html"]
    assert client.get(_url(first))["Cache-Control"] == "no-store"

    record_activity_status(org.teacher, first, LESSON_KEY, ActivityStatus.DONE)
    data = client.get(_url(first)).json()
    assert data["module_completed"] is True and data["next_step"] is None
    assert data["steps"][0]["done"] is True and data["steps"][0]["badge"] == "ok"
    html = data["next_step_html"]
    assert "本单元已完成" in html and second.title in html and second.url in html  # the next module, linked


def test_the_steps_cost_a_fixed_number_of_queries(org, catalogue, django_assert_max_num_queries):
    course = make_course(catalogue, "多单元课程")
    modules = [make_module(course, f"单元{i}") for i in range(6)]
    services.enrol_self(org.teacher, course)
    client = _client(org.teacher)
    for module in modules[:4]:
        record_activity_status(org.teacher, module, LESSON_KEY, ActivityStatus.DONE)

    def count(module):
        with CaptureQueriesContext(connection) as queries:
            assert client.get(_url(module)).status_code == 200
        return len(queries)

    # The same whatever the module and however many modules are done: session, user, module,
    # course, enrolment, statuses, the course's modules with completion; the next module's link
    # (Wagtail's site lookup) when the module is complete.
    with django_assert_max_num_queries(9):
        client.get(_url(modules[0]))  # the first also fills Wagtail's cache of site root paths
    assert count(modules[1]) == count(modules[2]) <= 8
    assert count(modules[4]) == count(modules[5]) <= 7


def test_the_module_page_asks_for_its_steps_only_for_a_learner(org, course):
    first, _ = course.live_modules()
    course.trainers.add(org.trainer)
    course.save_revision().publish()
    services.enrol_self(org.teacher, course)
    html = _client(org.teacher).get(first.url).content.decode()
    assert f'data-steps-url="{_url(first)}"' in html and "courses/steps.js" in html
    assert f'data-step-status="{LESSON_KEY}"' in html
    assert "courses/steps.js" not in _client(org.trainer).get(first.url).content.decode()
