"""What people see: the block on the module page, the review queue (constant queries), the admin."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from shixun.assessments.assignments import services
from shixun.assessments.assignments.models import Assignment
from shixun.assessments.assignments.services import Answer
from tests.factories import make_teacher
from tests.uploads import samples

from .conftest import enrol, post_hand_in, submission_of, upload

pytestmark = pytest.mark.django_db


def render_block(setup, user, rf):
    request = rf.get("/")
    request.user = user
    (child,) = setup.module.body
    return child.render(context={"page": setup.module, "request": request, "activity_statuses": {}})


def test_the_module_page_block_shows_what_to_do_then_status_and_feedback(client, org, setup, rf):
    html = render_block(setup, org.teacher, rf)
    assert "尚未提交" in html and "提交作业" in html
    assert "PDF、Word 文档" in html and "不超过 5 MB" in html
    assert reverse("assignments:hand_in", args=[setup.module.pk, setup.assignment.pk]) in html

    client.force_login(org.teacher)
    post_hand_in(client, setup.module, setup.assignment, file=upload("教案.pdf", samples.pdf()))
    assert "等待批阅" in render_block(setup, org.teacher, rf)

    services.review(
        submission_of(org.teacher, setup).pk, org.trainer, version_number=1, decision="return", score=55,
        feedback="请补充板书设计。",
    )
    html = render_block(setup, org.teacher, rf)
    assert "退回修改" in html and "请补充板书设计。" in html and "55 / 100" in html and "修改后重新提交" in html


def test_the_module_page_itself_carries_the_block(client, org, setup):
    client.force_login(org.teacher)
    response = client.get(setup.module.url)
    assert response.status_code == 200
    assert f'id="activity-{setup.assignment.activity_key}"' in response.content.decode()


def make_submissions(setup, count, school):
    for n in range(count):
        teacher = make_teacher(school, username=f"q{school.pk}-{n}", staff_number=f"Q{school.pk}{n:03}")
        enrol(teacher, setup.course)
        services.submit(teacher, setup.module, setup.assignment, Answer(upload=None, text=f"答案 {n}"))


def queue_queries(client) -> int:
    with CaptureQueriesContext(connection) as queries:
        response = client.get(reverse("assignments:review_queue"))
    assert response.status_code == 200
    return len(queries)


def test_the_review_queue_runs_the_same_number_of_queries_for_3_or_30_submissions(client, org, setup):
    setup.assignment.answer_mode = "text"
    setup.assignment.allowed_kinds = []
    setup.assignment.save()
    client.force_login(org.trainer)
    make_submissions(setup, 3, org.school)
    queue_queries(client)  # warm up: the first request also loads the site and the branding settings
    small = queue_queries(client)
    make_submissions(setup, 27, org.sibling_school)
    large = queue_queries(client)
    print(f"review queue queries: {small} with 3 submissions, {large} with 30")
    assert small == large, (small, large)
    assert large <= 12  # measured 10 (base page, session, user, filters, one page of rows, the zip list)


def test_the_queue_filters_by_course_school_and_status(client, org, setup):
    setup.assignment.answer_mode = "text"
    setup.assignment.save()
    for teacher in (org.teacher, org.sibling_teacher):
        services.submit(teacher, setup.module, setup.assignment, Answer(upload=None, text="答"))
    services.review(
        submission_of(org.sibling_teacher, setup).pk, org.trainer, version_number=1, decision="accept", score=90,
        feedback="",
    )
    client.force_login(org.reviewer)
    default = client.get(reverse("assignments:review_queue")).content.decode()  # waiting for review, by default
    assert "王秀英" in default and org.sibling_teacher.display_name not in default
    everyone = client.get(reverse("assignments:review_queue"), {"status": ""}).content.decode()
    assert "王秀英" in everyone and org.sibling_teacher.display_name in everyone
    by_school = client.get(reverse("assignments:review_queue"), {"status": "", "school": org.sibling_school.pk})
    assert "王秀英" not in by_school.content.decode()
    other_course = client.get(reverse("assignments:review_queue"), {"status": "", "course": 999999})
    assert other_course.status_code == 200  # an unknown course is a form error, not a crash


@pytest.mark.parametrize("who, allowed", [("teacher", False), ("school_admin", False), ("trainer", True),
                                          ("reviewer", True), ("superuser", True)])
def test_only_reviewers_reach_the_queue(client, org, who, allowed):
    client.force_login(getattr(org, who))
    assert client.get(reverse("assignments:review_queue")).status_code == (200 if allowed else 403)


def test_trainers_create_assignments_in_the_admin_with_checkboxes(client, org):
    from django.core.management import call_command

    call_command("migrate", verbosity=0)  # post_migrate grants the trainers' permissions (as after every migrate)
    client.force_login(org.trainer)
    admin_home = client.get(reverse("wagtailadmin_home")).content.decode()
    assert reverse("assignments:review_queue") in admin_home  # the menu item

    add_url = reverse("wagtailsnippets_shixun_assignments_assignment:add")
    form = client.get(add_url).content.decode()
    assert 'type="checkbox" name="allowed_kinds" value="powerpoint"' in form
    response = client.post(
        add_url,
        {
            "title": "课件制作",
            "instructions": '{"blocks": [], "entityMap": {}}',
            "answer_mode": "file",
            "allowed_kinds": ["powerpoint", "pdf"],
            "max_size_mb": "30",
            "min_text_chars": "0",
            "completion_rule": "on_accept",
        },
    )
    assert response.status_code == 302, response.content.decode()[:3000]
    assignment = Assignment.objects.get(title="课件制作")
    assert sorted(assignment.allowed_kinds) == ["pdf", "powerpoint"] and assignment.max_bytes == 30 * 1024 * 1024


def test_an_assignment_with_work_cannot_be_deleted_in_the_admin(client, org, setup):
    services.submit(org.teacher, setup.module, setup.assignment, Answer(upload=None, text="答"))
    client.force_login(org.superuser)
    delete_url = reverse("wagtailsnippets_shixun_assignments_assignment:delete", args=[setup.assignment.pk])
    response = client.post(delete_url, follow=True)
    assert response.status_code == 200
    assert "不能删除" in response.content.decode()
    assert Assignment.objects.filter(pk=setup.assignment.pk).exists()
