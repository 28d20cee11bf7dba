"""The demo quizzes load into the demo courses, twice without duplicates, and can be taken."""

import io

import pytest

from shixun.assessments.quizzes import demo, services
from shixun.assessments.quizzes.models import Question, Quiz
from shixun.courses.activities import module_places
from shixun.courses.models import Enrolment, ModulePage


@pytest.fixture
def demo_courses(db):
    from shixun.accounts import demo as accounts_demo
    from shixun.courses import demo as courses_demo

    out = io.StringIO()
    accounts_demo.seed(out)
    courses_demo.seed(out)


def test_seed_places_real_chinese_quizzes_and_runs_twice(demo_courses):
    out = io.StringIO()
    demo.seed(out)
    counts = (Question.objects.count(), Quiz.objects.count(), Question.objects.filter(options__isnull=False).count())
    demo.seed(out)
    assert (Question.objects.count(), Quiz.objects.count(),
            Question.objects.filter(options__isnull=False).count()) == counts
    assert Quiz.objects.count() == 3
    ethics = Quiz.objects.get(title="《中小学教师职业道德规范》知识测验")
    assert 6 <= ethics.fixed_questions.count() <= 10
    assert {link.question.kind for link in ethics.fixed_questions.all()} == {
        "single", "multiple", "true_false", "fill_blank", "short_answer"
    }
    for spec in demo.QUIZZES:
        module = ModulePage.objects.get(slug=spec["module"])
        quiz = Quiz.objects.get(title=spec["title"])
        assert module_places(module, "quiz", quiz.pk)
        assert [b["value"]["quiz"] for b in module.body.raw_data if b["type"] == "quiz"].count(quiz.pk) == 1


def test_a_demo_teacher_can_take_the_random_quiz(demo_courses):
    demo.seed(io.StringIO())
    quiz = Quiz.objects.get(title="新课标要点自测")
    module = ModulePage.objects.get(slug="kebiao-xiuding")
    course = module.get_parent().specific
    teacher = Enrolment.objects.filter(course=course, status="active").first()
    if teacher is None:
        from shixun.accounts.models import User

        teacher = Enrolment.objects.create(user=User.objects.get(username="t0001"), course=course)
    attempt = services.start_attempt(teacher.user, quiz, module)
    assert attempt.items.count() == 5
    assert all(item.snapshot["kind"] != "short_answer" for item in attempt.items.all())
