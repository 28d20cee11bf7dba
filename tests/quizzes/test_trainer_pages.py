"""Trainer pages: results, correct rates, grading queue, CSV export, and who may see them."""

import csv
import io
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from shixun.assessments.quizzes import reports, services
from shixun.assessments.quizzes.models import AttemptState
from shixun.courses.models import ActivityProgress

from . import builders
from .builders import answers, option_id


def results_url(placed):
    return reverse("quizzes:results", args=[placed.module.pk, placed.quiz.pk])


def export_url(placed):
    return reverse("quizzes:export", args=[placed.module.pk, placed.quiz.pk])


def take(user, placed, chosen):
    attempt = services.start_attempt(user, placed.quiz, placed.module)
    services.submit_attempt(attempt.pk, user, answers(attempt, chosen(attempt)))
    return attempt


@pytest.fixture
def taken(org, placed, bank):
    builders.enrol(org.sibling_teacher, placed.course)
    take(org.teacher, placed,
         lambda a: {bank.single: [option_id(a, bank.single, "爱岗敬业")], bank.true_false: ["false"]})
    take(org.sibling_teacher, placed, lambda a: {bank.single: [option_id(a, bank.single, "有偿补课")]})
    return placed


@pytest.mark.parametrize(
    "who, allowed",
    [("trainer", True), ("reviewer", True), ("superuser", True), ("teacher", False), ("school_admin", False),
     ("district_admin", False), ("other_trainer", False)],
)
def test_only_the_courses_trainers_reviewers_and_superusers_see_results(client, org, taken, who, allowed):
    if who == "other_trainer":
        from shixun.accounts.models import Role
        from tests.factories import make_user

        user = make_user(district=org.district, roles=[Role.TRAINER], username="trainer-b")
    else:
        user = getattr(org, who)
    client.force_login(user)
    expected = 200 if allowed else 403
    assert client.get(results_url(taken)).status_code == expected
    assert client.get(export_url(taken)).status_code == expected


def test_the_index_lists_only_the_trainers_own_quizzes(client, org, taken, bank):
    other_quiz = builders.quiz([bank.single], title="别人课程的测验")
    builders.course_with_module([other_quiz])  # no trainers
    client.force_login(org.trainer)
    page = client.get(reverse("quizzes:manage")).content.decode()
    assert taken.quiz.title in page and "别人课程的测验" not in page
    client.force_login(org.reviewer)
    assert "别人课程的测验" in client.get(reverse("quizzes:manage")).content.decode()


def test_results_and_correct_rates(org, taken, bank):
    rows = reports.learner_results(taken.quiz, taken.module)
    assert {row.learner.pk: row.standing.percent for row in rows} == {
        org.teacher.pk: Decimal("40"), org.sibling_teacher.pk: Decimal("0")
    }
    rates = {rate.question.pk: rate for rate in reports.question_rates(taken.quiz, taken.module)}
    assert rates[bank.single.pk].correct_rate == Decimal("50.0")
    assert rates[bank.true_false.pk].correct_rate == Decimal("50.0")
    assert rates[bank.multiple.pk].correct_rate == Decimal("0.0")
    assert rates[bank.single.pk].answered == 2


def test_csv_is_utf8_with_bom_and_neutralises_formulas(client, org, taken):
    org.teacher.shixun_profile.full_name = "=HYPERLINK(\"http://evil\")"
    org.teacher.shixun_profile.save()
    client.force_login(org.trainer)
    response = client.get(export_url(taken))
    assert response["Content-Type"].startswith("text/csv")
    assert "attachment" in response["Content-Disposition"]
    raw = response.content
    assert raw.startswith(b"\xef\xbb\xbf")
    rows = list(csv.reader(io.StringIO(raw.decode("utf-8-sig"))))
    assert len(rows) == 3
    names = [row[0] for row in rows[1:]]
    assert "'=HYPERLINK(\"http://evil\")" in names
    assert all(not cell.startswith(("=", "+", "-", "@")) for row in rows for cell in row)


def test_csv_neutralises_a_full_width_formula(client, org, taken):
    org.teacher.shixun_profile.full_name = "＝SUM(1)"
    org.teacher.shixun_profile.save()
    client.force_login(org.trainer)
    rows = list(csv.reader(io.StringIO(client.get(export_url(taken)).content.decode("utf-8-sig"))))
    assert "'＝SUM(1)" in [row[0] for row in rows[1:]]


@pytest.mark.parametrize("value", ["=1+1", "+1", "-1", "@SUM(A1)", "\tx", "\rx"])
def test_neutralise_cell(value):
    from shixun.spreadsheets.formulas import neutralise

    assert neutralise(value) == "'" + value
    assert neutralise("王秀英") == "王秀英"


def test_grading_queue_and_grade_form(client, org, bank):
    quiz = builders.quiz([bank.short], title="简答")
    course, module = builders.course_with_module([quiz], trainers=[org.trainer])
    builders.enrol(org.teacher, course)
    attempt = services.start_attempt(org.teacher, quiz, module)
    services.submit_attempt(attempt.pk, org.teacher, answers(attempt, {bank.short: ["要关爱每一个学生"]}))
    item = attempt.items.get()

    client.force_login(org.reviewer)
    other_course_trainer_view = client.get(reverse("quizzes:grading_queue")).content.decode()
    assert "要关爱" not in other_course_trainer_view  # the queue lists, the answer is on the grade page
    client.force_login(org.trainer)
    queue = client.get(reverse("quizzes:grading_queue")).content.decode()
    assert reverse("quizzes:grade", args=[item.pk]) in queue
    page = client.get(reverse("quizzes:grade", args=[item.pk])).content.decode()
    assert "要关爱每一个学生" in page and "育人为本" in page

    too_many = client.post(reverse("quizzes:grade", args=[item.pk]), {"points": "9", "comment": ""})
    assert too_many.status_code == 200 and "5" in too_many.content.decode()
    attempt.refresh_from_db()
    assert attempt.state == AttemptState.AWAITING_GRADING

    done = client.post(reverse("quizzes:grade", args=[item.pk]), {"points": "4", "comment": "很好"})
    assert done.status_code == 302
    attempt.refresh_from_db()
    assert attempt.state == AttemptState.GRADED and attempt.percent == 80
    assert ActivityProgress.objects.get(user=org.teacher, activity_key=f"quiz:{quiz.pk}").status == "done"


def test_a_trainer_of_another_course_cannot_grade(client, org, bank):
    from shixun.accounts.models import Role
    from tests.factories import make_user

    quiz = builders.quiz([bank.short], title="简答")
    course, module = builders.course_with_module([quiz], trainers=[org.trainer])
    builders.enrol(org.teacher, course)
    attempt = services.start_attempt(org.teacher, quiz, module)
    services.submit_attempt(attempt.pk, org.teacher, answers(attempt, {bank.short: ["只有本人知道的回答"]}))
    item = attempt.items.get()
    client.force_login(make_user(district=org.district, roles=[Role.TRAINER], username="trainer-c"))
    assert client.get(reverse("quizzes:grade", args=[item.pk])).status_code == 403
    assert client.post(reverse("quizzes:grade", args=[item.pk]), {"points": "5"}).status_code == 403
    assert reverse("quizzes:grade", args=[item.pk]) not in client.get(reverse("quizzes:grading_queue")).content.decode()
    attempt.refresh_from_db()
    assert attempt.state == AttemptState.AWAITING_GRADING


def test_results_page_queries_do_not_grow_with_learners(client, org, placed, bank):
    from tests.factories import make_teacher

    def add_learners(n):
        for _ in range(n):
            learner = make_teacher(org.school)
            builders.enrol(learner, placed.course)
            take(learner, placed, lambda a: {bank.true_false: ["false"]})

    client.force_login(org.trainer)
    add_learners(2)
    client.get(results_url(placed))  # warm per-process caches
    counts = []
    for more in (0, 8):
        add_learners(more)
        with CaptureQueriesContext(connection) as captured:
            assert client.get(results_url(placed)).status_code == 200
        counts.append(len(captured))
    assert counts[0] == counts[1] <= 14, counts


def test_results_show_the_percent_first_and_the_points_second(client, org, taken):
    client.force_login(org.trainer)
    page = client.get(results_url(taken)).content.decode()
    assert "#1 40% (2 / 5)" in page  # the teacher's attempt: single and true/false right
