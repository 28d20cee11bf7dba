"""What a quiz submit costs: a fixed number of queries, whatever the number of questions.

At the end of a timed quiz hundreds of teachers submit within seconds
(issue 8's quiz spike), so the submit's queries are counted exactly, through
the real view and middleware. Counted inside the test's transaction: the
submit's own transaction shows as a SAVEPOINT/RELEASE pair.
"""

from decimal import Decimal

import pytest
from django.db.models.signals import post_save, pre_save
from django.urls import reverse
from wagtail.models import TranslatableMixin

from shixun.assessments.quizzes import services
from shixun.assessments.quizzes.models import Attempt, AttemptState
from shixun.courses.activities import module_places
from shixun.courses.blocks import LESSON_KEY
from shixun.courses.models import ActivityProgress, ActivityStatus, ModuleCompletion, ModulePage
from shixun.courses.progress import record_activity_status
from shixun.themes.receivers import MADE_OF

from . import builders

pytestmark = pytest.mark.django_db

# session, user, the attempt (view), SAVEPOINT, enrolment lock, the attempts
# lock, the items, one UPDATE of every item, the attempt's UPDATE, the
# module's progress, its write, RELEASE
SUBMIT = 12
# … and the module's requirements (the quiz placed in it), the completion INSERT, the course's modules
SUBMIT_COMPLETING = SUBMIT + 3
# session, user, the attempt (view), SAVEPOINT, enrolment lock, the attempts lock, RELEASE
SUBMIT_AGAIN = 7


def _started(org, questions: int):
    cat = builders.category(f"题库{questions}")
    quiz = builders.quiz([builders.single(f"第{n}题", cat=cat) for n in range(questions)], title=f"{questions}题")
    course, module = builders.course_with_module([quiz])
    # A second module, so completing this one does not complete the course (as in the benchmark's course).
    course.add_child(instance=ModulePage(title="第二单元", slug="module-2", credit_hours=Decimal("1.0")))
    builders.enrol(org.teacher, course)
    record_activity_status(org.teacher, module, LESSON_KEY, ActivityStatus.DONE)
    attempt = services.start_attempt(org.teacher, quiz, module)
    return module, attempt


def _answers(attempt, *, right: bool) -> dict:
    answers = {}
    for item in attempt.items.all():
        option = next(o for o in item.snapshot["options"] if o["correct"] is right)
        answers[item.field_name] = str(option["id"])
    return answers


@pytest.mark.parametrize("questions", [5, 40])
def test_a_submit_that_completes_the_module_takes_the_same_queries_for_5_and_40_questions(
    client, org, questions, django_assert_num_queries
):
    module, attempt = _started(org, questions)
    client.force_login(org.teacher)
    url = reverse("quizzes:submit", args=[attempt.pk])
    answers = _answers(attempt, right=True)

    with django_assert_num_queries(SUBMIT_COMPLETING):
        response = client.post(url, answers)

    assert response.status_code == 302
    attempt.refresh_from_db()
    assert (attempt.state, attempt.percent, attempt.passed) == (AttemptState.GRADED, Decimal("100.00"), True)
    assert list(attempt.items.values_list("points_awarded", flat=True)) == [Decimal("1.00")] * questions
    assert ModuleCompletion.objects.filter(user=org.teacher, module=module).count() == 1


def test_a_failed_submit_and_a_repeated_submit(client, org, django_assert_num_queries):
    module, attempt = _started(org, 10)
    client.force_login(org.teacher)
    url = reverse("quizzes:submit", args=[attempt.pk])
    answers, other_answers = _answers(attempt, right=False), _answers(attempt, right=True)

    with django_assert_num_queries(SUBMIT):
        client.post(url, answers)
    with django_assert_num_queries(SUBMIT_AGAIN):  # a second tab: nothing is graded twice
        client.post(url, other_answers)

    attempt.refresh_from_db()
    assert (attempt.state, attempt.percent, attempt.passed) == (AttemptState.GRADED, Decimal("0.00"), False)
    stored = {item.field_name: str(item.response) for item in attempt.items.all()}
    assert stored == answers  # the first submit's answers, not the second's
    assert Attempt.objects.filter(learner=org.teacher).count() == 1
    progress = ActivityProgress.objects.get(user=org.teacher, module=module, activity_key=attempt.activity_key)
    assert (progress.status, progress.score) == (ActivityStatus.IN_PROGRESS, Decimal("0.00"))  # a retake is left
    assert not ModuleCompletion.objects.exists()


def test_the_one_update_of_the_items_stores_every_kind_of_answer(org, bank):
    """The hand-written UPDATE of the items writes JSON answers, points and the manual-grading flag as typed."""
    quiz = builders.quiz([bank.single, bank.multiple, bank.true_false, bank.fill, bank.short])
    course, module = builders.course_with_module([quiz])
    builders.enrol(org.teacher, course)
    attempt = services.start_attempt(org.teacher, quiz, module)
    chosen = builders.answers(attempt, {
        bank.single: [builders.option_id(attempt, bank.single, "爱岗敬业")],
        bank.multiple: [builders.option_id(attempt, bank.multiple, "爱国守法")],
        bank.true_false: ["false"],
        bank.fill: ["ｅｘｃｅｌ"],
        bank.short: ["育人为本"],
    })

    services.submit_attempt(attempt.pk, org.teacher, chosen)

    rows = {item.question_id: item for item in attempt.items.all()}
    assert rows[bank.single.pk].response == int(chosen[str(rows[bank.single.pk].pk)][0])
    assert rows[bank.multiple.pk].response == [int(chosen[str(rows[bank.multiple.pk].pk)][0])]
    assert rows[bank.true_false.pk].response is False
    assert rows[bank.fill.pk].response == "ｅｘｃｅｌ"
    assert rows[bank.short.pk].response == "育人为本"
    assert [rows[q.pk].points_awarded for q in (bank.single, bank.multiple, bank.true_false, bank.fill)] == [
        Decimal("1.00"), Decimal("0.00"), Decimal("1.00"), Decimal("1.00")
    ]
    assert rows[bank.short.pk].points_awarded is None and rows[bank.short.pk].needs_manual_grading is True
    assert not any(rows[q.pk].needs_manual_grading for q in (bank.single, bank.multiple, bank.fill))
    attempt.refresh_from_db()
    assert attempt.state == AttemptState.AWAITING_GRADING



# Receivers connected without a sender, and what makes each of them act (anything else returns at once).
GLOBAL_RECEIVERS = {
    "set_locale_on_new_instance": lambda model: issubclass(model, TranslatableMixin),  # wagtail, pre_save
    "forget_sites_on_change": lambda model: issubclass(model, MADE_OF),  # themes.receivers, post_save
}


def test_nothing_listens_to_an_attempts_save():
    """services._write_attempt writes an attempt's row without Model.save: no receiver may expect its signals."""
    for signal in (pre_save, post_save):
        names = [receiver.__name__ for receiver in signal._live_receivers(Attempt)[0]]
        assert set(names) <= set(GLOBAL_RECEIVERS), names
        assert not any(GLOBAL_RECEIVERS[name](Attempt) for name in names)


def test_the_one_update_of_the_items_when_no_item_has_points(org, bank):
    """A column whose every value is NULL (only short answers: no points yet) is typed as the model's."""
    second = builders.short_answer()
    quiz = builders.quiz([bank.short, second])
    course, module = builders.course_with_module([quiz])
    builders.enrol(org.teacher, course)
    attempt = services.start_attempt(org.teacher, quiz, module)

    outcome = services.submit_attempt(attempt.pk, org.teacher, builders.answers(attempt, {
        bank.short: ["育人为本"], second: ["因材施教"],
    }))

    assert outcome.submitted_now
    items = list(attempt.items.all())
    assert [(i.response, i.points_awarded, i.needs_manual_grading) for i in items] == [
        ("育人为本", None, True), ("因材施教", None, True)
    ]
    attempt.refresh_from_db()
    assert attempt.state == AttemptState.AWAITING_GRADING and attempt.passed is None


def test_the_compiled_reads_of_the_learner_pages(org, django_assert_num_queries):
    """The attempt with its quiz and module in one query (CompiledValues.models), and the live module and quiz."""
    module, attempt = _started(org, 3)
    with django_assert_num_queries(1):
        found = services.attempt_with_quiz_and_module(attempt.pk)
        assert (found.pk, found.state, found.quiz.pk, found.module.pk) == (
            attempt.pk, AttemptState.IN_PROGRESS, attempt.quiz_id, module.pk
        )
        assert isinstance(found.module, ModulePage) and found.module.title == module.title
        assert module_places(found.module, "quiz", attempt.quiz_id)
    assert services.attempt_with_quiz_and_module(attempt.pk + 1000) is None

    assert services.live_module_and_quiz(module.pk, attempt.quiz_id) == (module, attempt.quiz)
    assert services.live_module_and_quiz(module.pk, attempt.quiz_id + 1000) == (module, None)
    module.unpublish()
    assert services.live_module_and_quiz(module.pk, attempt.quiz_id) == (None, None)
