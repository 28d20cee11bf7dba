"""Learner pages: start, attempt (with and without JS), save, submit, result; who may open what."""

import json
from datetime import timedelta

import pytest
from django.template import Context, Template
from django.urls import reverse
from django.utils import timezone

from shixun.assessments.quizzes import services
from shixun.assessments.quizzes.models import Attempt, AttemptState
from tests.factories import study_lesson

from . import builders
from .builders import answers, option_id


@pytest.fixture
def teacher_client(client, org):
    client.force_login(org.teacher)
    return client


def start_url(placed):
    return reverse("quizzes:start", args=[placed.module.pk, placed.quiz.pk])


def form_data(attempt, chosen):
    """What the plain form posts: every question's field, blank ones included."""
    data = {f"q-{item.pk}": [""] for item in attempt.items.all()}
    for key, values in answers(attempt, chosen).items():
        data[f"q-{key}"] = [""] + values
    return data


def test_the_block_shows_the_rules_and_one_start_button(rf, org, placed):
    placed.quiz.time_limit_minutes = 15
    placed.quiz.save()
    request = rf.get("/")
    request.user = org.teacher
    html = Template("{% include 'quizzes/blocks/quiz.html' %}").render(
        Context({"activity": placed.quiz, "activity_key": f"quiz:{placed.quiz.pk}", "page": placed.module,
                 "request": request, "required": True})
    )
    assert "60" in html and "15" in html
    assert html.count('type="submit"') == 1 and start_url(placed) in html


def test_the_block_tells_a_learner_who_is_not_enrolled_what_to_do(rf, org, placed):
    request = rf.get("/")
    request.user = org.sibling_teacher
    html = Template("{% include 'quizzes/blocks/quiz.html' %}").render(
        Context({"activity": placed.quiz, "page": placed.module, "request": request})
    )
    assert start_url(placed) not in html


def test_start_then_answer_without_javascript_then_result(teacher_client, org, placed, bank):
    response = teacher_client.post(start_url(placed))
    attempt = Attempt.objects.get()
    assert response.status_code == 302 and response.url == reverse("quizzes:attempt", args=[attempt.pk])

    page = teacher_client.get(response.url)
    assert page.status_code == 200
    assert page.content.decode().count('type="hidden" name="q-') == 4

    # "Save and finish later", then untick everything of the multiple choice: blank is saved too.
    multiple_right = option_id(attempt, bank.multiple, "爱国守法")
    save_url = reverse("quizzes:save", args=[attempt.pk])
    teacher_client.post(save_url, form_data(attempt, {bank.multiple: [multiple_right]}))
    assert attempt.items.get(question=bank.multiple).response == [int(multiple_right)]
    teacher_client.post(reverse("quizzes:save", args=[attempt.pk]), form_data(attempt, {}))
    assert attempt.items.get(question=bank.multiple).response is None

    data = form_data(attempt, {bank.single: [option_id(attempt, bank.single, "爱岗敬业")], bank.true_false: ["false"],
                               bank.fill: ["wps表格"]})
    response = teacher_client.post(reverse("quizzes:submit", args=[attempt.pk]), data)
    assert response.url == reverse("quizzes:result", args=[attempt.pk])
    attempt.refresh_from_db()
    assert attempt.percent == 60 and attempt.passed

    result = teacher_client.get(response.url).content.decode()
    assert "教师可以体罚学生。" in result  # answers and explanations are shown by default
    assert placed.module.url in result

    # The back button and a second submit: the result stands.
    again = teacher_client.post(reverse("quizzes:submit", args=[attempt.pk]), form_data(attempt, {}))
    assert again.url == reverse("quizzes:result", args=[attempt.pk])
    assert Attempt.objects.get(pk=attempt.pk).percent == 60
    assert teacher_client.get(reverse("quizzes:attempt", args=[attempt.pk])).status_code == 302


def test_score_only_hides_the_answers(teacher_client, placed):
    placed.quiz.feedback_mode = "score"
    placed.quiz.save()
    teacher_client.post(start_url(placed))
    attempt = Attempt.objects.get()
    teacher_client.post(reverse("quizzes:submit", args=[attempt.pk]), {})
    result = teacher_client.get(reverse("quizzes:result", args=[attempt.pk])).content.decode()
    assert "教师可以体罚学生。" not in result
    assert reverse("quizzes:start", args=[placed.module.pk, placed.quiz.pk]) in result  # the retake button


def test_json_autosave(teacher_client, org, placed, bank):
    placed.quiz.time_limit_minutes = 30
    placed.quiz.save()
    teacher_client.post(start_url(placed))
    attempt = Attempt.objects.get()
    url = reverse("quizzes:save", args=[attempt.pk])
    payload = {"answers": answers(attempt, {bank.true_false: ["true"]})}
    response = teacher_client.post(url, json.dumps(payload), content_type="application/json")
    assert response.status_code == 200
    body = response.json()
    assert body["saved"] and 29 * 60 < body["remaining_seconds"] <= 30 * 60
    assert attempt.items.get(question=bank.true_false).response is True


@pytest.mark.parametrize(
    "payload",
    [
        "not json",
        json.dumps(["a list"]),
        json.dumps({"answers": "yes"}),
        json.dumps({"answers": {"999999": ["1"]}}),
        "[" * 5000 + "]" * 5000,  # was a RecursionError, a 500
        '{"answers": ' + "{" * 100 + "}" * 100 + "}",
    ],
)
def test_tampered_autosave_is_refused_with_a_message_and_saves_nothing(teacher_client, placed, bank, payload):
    teacher_client.post(start_url(placed))
    attempt = Attempt.objects.get()
    response = teacher_client.post(reverse("quizzes:save", args=[attempt.pk]), payload, content_type="application/json")
    assert response.status_code == 400
    assert "请刷新页面" in response.json()["error"]  # told in Chinese what to do
    assert not attempt.items.exclude(response=None).exists()


def test_an_oversized_autosave_is_refused_unread(teacher_client, placed):
    teacher_client.post(start_url(placed))
    attempt = Attempt.objects.get()
    body = json.dumps({"answers": {}, "padding": "x" * (2 * 1024 * 1024)})
    response = teacher_client.post(reverse("quizzes:save", args=[attempt.pk]), body, content_type="application/json")
    assert response.status_code == 400
    assert "KB" in response.json()["error"]


def test_tampered_form_submit_is_refused_and_the_attempt_stays_open(teacher_client, placed, bank):
    teacher_client.post(start_url(placed))
    attempt = Attempt.objects.get()
    data = form_data(attempt, {bank.true_false: ["false"]})
    data[f"q-{attempt.items.get(question=bank.single).pk}"] = ["12345678"]
    response = teacher_client.post(reverse("quizzes:submit", args=[attempt.pk]), data, follow=True)
    assert "答案中的选项不存在" in response.content.decode()
    attempt.refresh_from_db()
    assert attempt.is_open and not attempt.items.exclude(response=None).exists()


def test_autosave_of_a_closed_attempt_points_to_the_result(teacher_client, placed):
    teacher_client.post(start_url(placed))
    attempt = Attempt.objects.get()
    teacher_client.post(reverse("quizzes:submit", args=[attempt.pk]), {})
    response = teacher_client.post(reverse("quizzes:save", args=[attempt.pk]), "{}", content_type="application/json")
    assert response.status_code == 409
    assert response.json()["result_url"] == reverse("quizzes:result", args=[attempt.pk])


def test_loading_a_timed_out_attempt_submits_it(teacher_client, org, placed):
    placed.quiz.time_limit_minutes = 5
    placed.quiz.save()
    started = timezone.now() - timedelta(minutes=30)
    attempt = services.start_attempt(org.teacher, placed.quiz, placed.module, now=started)
    response = teacher_client.get(reverse("quizzes:attempt", args=[attempt.pk]))
    assert response.url == reverse("quizzes:result", args=[attempt.pk])
    assert Attempt.objects.get(pk=attempt.pk).state == AttemptState.GRADED


@pytest.mark.parametrize("name", ["attempt", "result"])
def test_nobody_else_sees_a_learners_attempt(client, org, placed, name):
    attempt = services.start_attempt(org.teacher, placed.quiz, placed.module)
    if name == "result":
        services.submit_attempt(attempt.pk, org.teacher, {})
    for other in (org.sibling_teacher, org.school_admin, org.trainer):
        client.force_login(other)
        assert client.get(reverse(f"quizzes:{name}", args=[attempt.pk])).status_code == 403
    client.force_login(org.sibling_teacher)
    assert client.post(reverse("quizzes:submit", args=[attempt.pk]), {}).status_code == 403
    assert Attempt.objects.get(pk=attempt.pk).state == (AttemptState.IN_PROGRESS if name == "attempt" else "graded")


def test_state_changes_need_post(teacher_client, placed):
    assert teacher_client.get(start_url(placed)).status_code == 405
    assert not Attempt.objects.exists()


def test_a_quiz_not_placed_in_the_module_is_not_found(teacher_client, placed, bank):
    other = builders.quiz([bank.single], title="别处的测验")
    assert teacher_client.post(reverse("quizzes:start", args=[placed.module.pk, other.pk])).status_code == 404


def test_anonymous_visitors_are_sent_to_log_in(client, placed):
    response = client.post(start_url(placed))
    assert response.status_code == 302 and "login" in response.url


def test_the_attempt_page_takes_the_same_queries_for_5_and_40_questions(
    teacher_client, org, django_assert_max_num_queries
):
    def attempt_with(n):
        cat = builders.category(f"规模{n}")
        quiz = builders.quiz([builders.single(f"题{n}-{i}", cat=cat) for i in range(n)], title=f"{n}题")
        course, module = builders.course_with_module([quiz])
        builders.enrol(org.teacher, course)
        return services.start_attempt(org.teacher, quiz, module)

    small, large = attempt_with(5), attempt_with(40)
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    teacher_client.get(reverse("quizzes:attempt", args=[small.pk]))  # warm the per-process caches (site, types)
    counts = []
    for attempt in (small, large):
        with CaptureQueriesContext(connection) as captured:
            assert teacher_client.get(reverse("quizzes:attempt", args=[attempt.pk])).status_code == 200
        counts.append(len(captured))
    assert counts[0] == counts[1]
    with django_assert_max_num_queries(12):
        teacher_client.get(reverse("quizzes:attempt", args=[large.pk]))




# --- Short answers, review options, one score scale (issue 16) ---------------------------


@pytest.fixture
def essay(org, bank):
    """10 points, 5 of them a short answer; pass mark 80."""
    quiz = builders.quiz([bank.single, bank.multiple, bank.true_false, bank.fill, bank.short], pass_mark_percent=80)
    course, module = builders.course_with_module([quiz], trainers=[org.trainer])
    builders.enrol(org.teacher, course)
    return quiz, module


def test_a_short_answer_shows_the_automatic_score_and_the_retake_when_the_fail_is_decided(teacher_client, org, bank,
                                                                                          essay):
    quiz, module = essay
    attempt = services.start_attempt(org.teacher, quiz, module)
    services.submit_attempt(attempt.pk, org.teacher,
                            answers(attempt, {bank.true_false: ["false"], bank.fill: ["Excel"], bank.short: ["甲"]}))
    result = teacher_client.get(reverse("quizzes:result", args=[attempt.pk])).content.decode()
    assert "已评分部分：20%（卷面 2 / 10）" in result
    assert "另有 5 分的简答题等待培训老师批阅；及格线 80%" in result
    assert "即使简答题得满分也达不到及格线" in result
    assert reverse("quizzes:start", args=[module.pk, quiz.pk]) in result  # the retake, at once
    # A retake is left: the correct answers wait (the default review option).
    assert "教师可以体罚学生。" not in result and "才会显示正确答案" in result

    block = teacher_client.get(module.url).content.decode()
    assert "已评分部分：20%" in block


def test_an_undecided_short_answer_waits_and_the_module_does_not_send_the_learner_to_it(teacher_client, org, bank,
                                                                                        essay):
    quiz, module = essay
    attempt = services.start_attempt(org.teacher, quiz, module)
    chosen = {bank.single: [option_id(attempt, bank.single, "爱岗敬业")], bank.true_false: ["false"],
              bank.fill: ["Excel"], bank.short: ["甲"]}
    services.submit_attempt(attempt.pk, org.teacher, answers(attempt, chosen))  # 3 of 10, up to 8: undecided
    result = teacher_client.get(reverse("quizzes:result", args=[attempt.pk])).content.decode()
    assert "已评分部分：30%（卷面 3 / 10）" in result and "是否通过取决于简答题的得分" in result
    assert reverse("quizzes:start", args=[module.pk, quiz.pk]) not in result
    study_lesson(org.teacher, module)  # the lesson is studied (its page's heartbeats)
    page = teacher_client.get(module.url).content.decode()
    assert "去完成" not in page and "你的作业正在等待批阅" in page


@pytest.mark.parametrize(
    "review, attempts_allowed, shown",
    [
        ("immediately", 2, True),
        ("after_last_or_pass", 2, False),
        ("after_last_or_pass", 1, True),
        ("never", 1, False),
    ],
)
def test_review_options_decide_when_correct_answers_are_shown(teacher_client, placed, review, attempts_allowed, shown):
    placed.quiz.review_answers = review
    placed.quiz.attempts_allowed = attempts_allowed
    placed.quiz.save()
    teacher_client.post(start_url(placed))
    attempt = Attempt.objects.get()
    teacher_client.post(reverse("quizzes:submit", args=[attempt.pk]), {})  # nothing answered: failed
    result = teacher_client.get(reverse("quizzes:result", args=[attempt.pk])).content.decode()
    assert ("教师可以体罚学生。" in result) is shown


def test_the_default_review_option_is_after_the_last_attempt_or_passing(db):
    assert builders.quiz().review_answers == "after_last_or_pass"


def test_scores_show_the_percent_first_and_the_points_second(teacher_client, org, placed, bank):
    teacher_client.post(start_url(placed))
    attempt = Attempt.objects.get()
    data = form_data(attempt, {bank.single: [option_id(attempt, bank.single, "爱岗敬业")], bank.true_false: ["false"],
                               bank.fill: ["Excel"]})
    teacher_client.post(reverse("quizzes:submit", args=[attempt.pk]), data)
    result = teacher_client.get(reverse("quizzes:result", args=[attempt.pk])).content.decode()
    assert "60%" in result and "卷面得分 3 / 5；及格线 60%" in result
    assert "满分" not in result and "及格线 60 分" not in result
    overview = teacher_client.get(reverse("quizzes:overview", args=[placed.module.pk, placed.quiz.pk])).content
    assert "及格线：60%" in overview.decode() and "60% <span class=\"muted\">(3 / 5)</span>" in overview.decode()
