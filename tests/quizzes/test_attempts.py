"""Attempts: start, autosave, submit, limits, time limits, progress, manual grading (services.py)."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.core.management import call_command
from django.utils import timezone

from shixun.assessments.quizzes import services
from shixun.assessments.quizzes.grading import InvalidAnswer
from shixun.assessments.quizzes.models import Attempt, AttemptState
from shixun.assessments.quizzes.services import QuizError
from shixun.courses.blocks import LESSON_KEY
from shixun.courses.models import ActivityProgress, ActivityStatus, Enrolment, ModuleCompletion
from shixun.courses.progress import record_activity_status

from . import builders
from .builders import answers, option_id


def progress(user, module, quiz):
    return ActivityProgress.objects.filter(user=user, module=module, activity_key=f"quiz:{quiz.pk}").first()


def all_right(attempt, bank):
    return answers(
        attempt,
        {
            bank.single: [option_id(attempt, bank.single, "爱岗敬业")],
            bank.multiple: [
                option_id(attempt, bank.multiple, "爱国守法"), option_id(attempt, bank.multiple, "爱岗敬业")
            ],
            bank.true_false: ["false"],
            bank.fill: ["ＷＰＳ表格"],
        },
    )


def test_starting_freezes_the_questions_and_reports_in_progress(org, placed, bank):
    attempt = services.start_attempt(org.teacher, placed.quiz, placed.module)
    assert attempt.number == 1 and attempt.state == AttemptState.IN_PROGRESS
    assert [i.question_id for i in attempt.items.order_by("position")] == [
        bank.single.pk, bank.multiple.pk, bank.true_false.pk, bank.fill.pk
    ]
    assert attempt.max_points == 5
    assert progress(org.teacher, placed.module, placed.quiz).status == ActivityStatus.IN_PROGRESS
    # Editing the bank afterwards does not change the attempt in flight.
    bank.single.options.filter(text="爱岗敬业").update(text="改过的选项")
    assert "爱岗敬业" in [o["text"] for o in attempt.items.get(question=bank.single).snapshot["options"]]


def test_a_fixed_quiz_is_drawn_in_its_set_order_and_in_creation_order_where_none_is_set(bank):
    from shixun.assessments.quizzes.models import QuizQuestion

    ordered = builders.quiz([bank.fill, bank.single, bank.true_false])
    ordered.fixed_questions.filter(question=bank.fill).update(sort_order=9)  # moved last by the trainer
    assert [q.pk for q in services.draw_questions(ordered)] == [bank.single.pk, bank.true_false.pk, bank.fill.pk]

    # Links made in code (the demo, an import) may carry no sort order at all: creation order decides,
    # on PostgreSQL too, where equal keys otherwise come back in any order.
    unordered = builders.quiz([])
    for question in (bank.true_false, bank.single, bank.fill, bank.multiple):
        QuizQuestion.objects.create(quiz=unordered, question=question, sort_order=None)
    expected = [bank.true_false.pk, bank.single.pk, bank.fill.pk, bank.multiple.pk]
    assert [q.pk for q in services.draw_questions(unordered)] == expected


def test_starting_again_returns_the_open_attempt(org, placed):
    first = services.start_attempt(org.teacher, placed.quiz, placed.module)
    again = services.start_attempt(org.teacher, placed.quiz, placed.module)
    assert again.pk == first.pk and Attempt.objects.count() == 1


def test_passing_completes_the_module(org, placed, bank):
    attempt = services.start_attempt(org.teacher, placed.quiz, placed.module)
    outcome = services.submit_attempt(attempt.pk, org.teacher, all_right(attempt, bank))
    attempt.refresh_from_db()
    assert outcome.submitted_now
    assert (attempt.state, attempt.score_points, attempt.percent, attempt.passed) == (
        AttemptState.GRADED, Decimal("5"), Decimal("100"), True
    )
    row = progress(org.teacher, placed.module, placed.quiz)
    assert row.status == ActivityStatus.DONE and row.score == Decimal("100")


def test_a_second_submit_never_grades_twice(org, placed, bank):
    attempt = services.start_attempt(org.teacher, placed.quiz, placed.module)
    services.submit_attempt(attempt.pk, org.teacher, {})  # nothing answered: 0 points
    second = services.submit_attempt(attempt.pk, org.teacher, all_right(attempt, bank))
    attempt.refresh_from_db()
    assert not second.submitted_now
    assert attempt.score_points == 0 and attempt.passed is False
    assert all(item.response is None for item in attempt.items.all())


def test_one_retake_then_failed_and_no_more_attempts(org, placed):
    for number in (1, 2):
        attempt = services.start_attempt(org.teacher, placed.quiz, placed.module)
        assert attempt.number == number
        services.submit_attempt(attempt.pk, org.teacher, {})
    assert progress(org.teacher, placed.module, placed.quiz).status == ActivityStatus.FAILED
    with pytest.raises(QuizError, match="used all your attempts"):
        services.start_attempt(org.teacher, placed.quiz, placed.module)
    assert Attempt.objects.count() == 2


def test_a_failed_first_attempt_leaves_the_activity_in_progress(org, placed):
    attempt = services.start_attempt(org.teacher, placed.quiz, placed.module)
    services.submit_attempt(attempt.pk, org.teacher, {})
    assert progress(org.teacher, placed.module, placed.quiz).status == ActivityStatus.IN_PROGRESS


def test_no_new_attempt_after_passing(org, placed, bank):
    attempt = services.start_attempt(org.teacher, placed.quiz, placed.module)
    services.submit_attempt(attempt.pk, org.teacher, all_right(attempt, bank))
    with pytest.raises(QuizError, match="already passed"):
        services.start_attempt(org.teacher, placed.quiz, placed.module)


def test_only_enrolled_learners_in_a_module_that_places_the_quiz_may_start(org, placed, bank):
    with pytest.raises(QuizError, match="Enrol"):
        services.start_attempt(org.sibling_teacher, placed.quiz, placed.module)
    Enrolment.objects.filter(user=org.teacher).update(status=Enrolment.Status.WITHDRAWN)
    with pytest.raises(QuizError, match="Enrol"):
        services.start_attempt(org.teacher, placed.quiz, placed.module)
    other_quiz = builders.quiz([bank.single], title="别的测验")
    with pytest.raises(QuizError, match="not part of this module"):
        services.start_attempt(org.teacher, other_quiz, placed.module)
    assert not Attempt.objects.exists()


def test_autosave_keeps_answers_and_tampering_saves_nothing(org, placed, bank):
    attempt = services.start_attempt(org.teacher, placed.quiz, placed.module)
    good = answers(attempt, {bank.true_false: ["false"], bank.fill: ["excel"]})
    assert services.save_answers(attempt.pk, org.teacher, good).saved
    tampered = {**answers(attempt, {bank.true_false: ["true"]}), **answers(attempt, {bank.single: ["999999"]})}
    with pytest.raises(InvalidAnswer, match="does not exist"):
        services.save_answers(attempt.pk, org.teacher, tampered)
    saved = {item.question_id: item.response for item in attempt.items.all()}
    assert saved[bank.true_false.pk] is False and saved[bank.fill.pk] == "excel"


def test_someone_else_cannot_save_or_submit_my_attempt(org, placed):
    builders.enrol(org.sibling_teacher, placed.course)
    attempt = services.start_attempt(org.teacher, placed.quiz, placed.module)
    with pytest.raises(QuizError):
        services.save_answers(attempt.pk, org.sibling_teacher, {})
    with pytest.raises(QuizError):
        services.submit_attempt(attempt.pk, org.sibling_teacher, {})
    attempt.refresh_from_db()
    assert attempt.is_open


class TestTimeLimit:
    @pytest.fixture
    def timed(self, placed):
        placed.quiz.time_limit_minutes = 10
        placed.quiz.save()
        return placed

    def test_the_deadline_is_set_at_start(self, org, timed):
        now = timezone.now()
        attempt = services.start_attempt(org.teacher, timed.quiz, timed.module, now=now)
        assert attempt.deadline == now + timedelta(minutes=10)

    def test_answers_after_the_deadline_are_not_taken_and_the_saved_ones_are_graded(self, org, timed, bank):
        start = timezone.now() - timedelta(minutes=11)
        attempt = services.start_attempt(org.teacher, timed.quiz, timed.module, now=start)
        services.save_answers(attempt.pk, org.teacher, answers(attempt, {bank.true_false: ["false"]}),
                              now=start + timedelta(minutes=5))
        outcome = services.submit_attempt(attempt.pk, org.teacher, all_right(attempt, bank))
        attempt.refresh_from_db()
        assert outcome.late and attempt.auto_submitted
        assert attempt.score_points == 1  # only the true/false answer saved in time

    def test_a_submit_within_the_grace_period_is_accepted(self, org, timed, bank, settings):
        settings.SHIXUN_QUIZ_GRACE_SECONDS = 20
        start = timezone.now() - timedelta(minutes=10, seconds=10)
        attempt = services.start_attempt(org.teacher, timed.quiz, timed.module, now=start)
        outcome = services.submit_attempt(attempt.pk, org.teacher, all_right(attempt, bank))
        assert not outcome.late and Attempt.objects.get(pk=attempt.pk).passed

    def test_autosave_after_the_deadline_submits_instead(self, org, timed, bank):
        attempt = services.start_attempt(org.teacher, timed.quiz, timed.module, now=timezone.now() - timedelta(hours=1))
        outcome = services.save_answers(attempt.pk, org.teacher, all_right(attempt, bank))
        assert not outcome.saved
        attempt.refresh_from_db()
        assert attempt.state == AttemptState.GRADED and attempt.score_points == 0

    def test_the_sweep_submits_expired_attempts_once(self, org, timed, bank):
        builders.enrol(org.sibling_teacher, timed.course)
        expired = services.start_attempt(org.teacher, timed.quiz, timed.module, now=timezone.now() - timedelta(hours=1))
        running = services.start_attempt(org.sibling_teacher, timed.quiz, timed.module)
        call_command("close_expired_quiz_attempts", stdout=open("/dev/null", "w"))  # noqa: SIM115
        assert services.close_expired_attempts() == 0  # the second sweep finds nothing
        expired.refresh_from_db()
        running.refresh_from_db()
        assert expired.state == AttemptState.GRADED and expired.auto_submitted
        assert running.is_open
        assert progress(org.teacher, timed.module, timed.quiz).status == ActivityStatus.IN_PROGRESS  # one retake left

    def test_starting_after_an_expired_last_attempt_closes_it_and_refuses(self, org, timed):
        timed.quiz.attempts_allowed = 1
        timed.quiz.save()
        attempt = services.start_attempt(org.teacher, timed.quiz, timed.module, now=timezone.now() - timedelta(hours=1))
        with pytest.raises(QuizError, match="used all your attempts"):
            services.start_attempt(org.teacher, timed.quiz, timed.module)
        attempt.refresh_from_db()
        assert attempt.state == AttemptState.GRADED  # the close was not rolled back with the refusal
        assert progress(org.teacher, timed.module, timed.quiz).status == ActivityStatus.FAILED


class TestManualGrading:
    @pytest.fixture
    def with_essay(self, org, bank):
        quiz = builders.quiz([bank.true_false, bank.short], title="含简答题")  # 1 + 5 points
        course, module = builders.course_with_module([quiz], trainers=[org.trainer])
        builders.enrol(org.teacher, course)
        return quiz, module

    def test_a_short_answer_waits_then_grading_completes_the_module(self, org, bank, with_essay):
        quiz, module = with_essay
        record_activity_status(org.teacher, module, LESSON_KEY, ActivityStatus.DONE)  # the lesson was read
        attempt = services.start_attempt(org.teacher, quiz, module)
        services.submit_attempt(
            attempt.pk, org.teacher,
            answers(attempt, {bank.true_false: ["false"], bank.short: ["立德树人是根本任务。"]}),
        )
        attempt.refresh_from_db()
        assert attempt.state == AttemptState.AWAITING_GRADING and attempt.passed is None
        assert progress(org.teacher, module, quiz).status == ActivityStatus.WAITING
        with pytest.raises(QuizError, match="waiting for a trainer"):
            services.start_attempt(org.teacher, quiz, module)

        item = attempt.items.get(question=bank.short)
        with pytest.raises(QuizError):
            services.grade_item(item.pk, org.trainer, Decimal("6"))
        services.grade_item(item.pk, org.trainer, Decimal("3"), "要结合实例")
        attempt.refresh_from_db()
        assert (attempt.state, attempt.score_points, attempt.percent, attempt.passed) == (
            AttemptState.GRADED, Decimal("4"), Decimal("66.67"), True
        )
        assert progress(org.teacher, module, quiz).status == ActivityStatus.DONE
        assert ModuleCompletion.objects.filter(user=org.teacher, module=module).count() == 1
        with pytest.raises(QuizError, match="already been graded"):
            services.grade_item(item.pk, org.trainer, Decimal("0"))

    def test_a_low_manual_grade_fails_the_attempt(self, org, bank, with_essay):
        quiz, module = with_essay
        attempt = services.start_attempt(org.teacher, quiz, module)
        services.submit_attempt(attempt.pk, org.teacher, answers(attempt, {bank.short: ["不知道"]}))
        services.grade_item(attempt.items.get(question=bank.short).pk, org.trainer, Decimal("1"))
        attempt.refresh_from_db()
        assert attempt.passed is False
        assert progress(org.teacher, module, quiz).status == ActivityStatus.IN_PROGRESS


class TestDecidedBeforeManualGrading:
    """The automatically graded part can decide pass or fail before a trainer grades the short answer."""

    def test_failing_whatever_the_trainer_gives_allows_the_retake_at_once(self, org, bank):
        # 5 of 10 points can wait for a trainer; the pass mark 80 needs 8: two wrong auto answers decide it.
        quiz = builders.quiz([bank.single, bank.multiple, bank.true_false, bank.fill, bank.short], pass_mark_percent=80)
        course, module = builders.course_with_module([quiz], trainers=[org.trainer])
        builders.enrol(org.teacher, course)
        attempt = services.start_attempt(org.teacher, quiz, module)
        services.submit_attempt(
            attempt.pk, org.teacher,
            answers(attempt, {bank.true_false: ["false"], bank.fill: ["Excel"], bank.short: ["育人为本"]}),
        )
        attempt.refresh_from_db()
        assert attempt.state == AttemptState.AWAITING_GRADING
        assert (attempt.passed, attempt.auto_points, attempt.pending_points) == (False, Decimal("2"), Decimal("5"))
        assert attempt.auto_percent == Decimal("20.00")
        assert progress(org.teacher, module, quiz).status == ActivityStatus.IN_PROGRESS

        retake = services.start_attempt(org.teacher, quiz, module)
        assert retake.number == 2

        # The trainer's grade later gives the final score and cannot turn the fail round.
        services.grade_item(attempt.items.get(question=bank.short).pk, org.trainer, Decimal("5"))
        attempt.refresh_from_db()
        assert (attempt.state, attempt.percent, attempt.passed) == (AttemptState.GRADED, Decimal("70.00"), False)
        assert progress(org.teacher, module, quiz).status == ActivityStatus.IN_PROGRESS

    def test_passing_on_the_automatic_part_alone_completes_the_quiz(self, org, bank):
        quiz = builders.quiz([bank.single, bank.multiple, bank.true_false, bank.fill, bank.short], pass_mark_percent=50)
        course, module = builders.course_with_module([quiz], trainers=[org.trainer])
        builders.enrol(org.teacher, course)
        attempt = services.start_attempt(org.teacher, quiz, module)
        services.submit_attempt(attempt.pk, org.teacher, {**all_right(attempt, bank), **answers(
            attempt, {bank.short: ["育人为本"]})})
        attempt.refresh_from_db()
        assert (attempt.state, attempt.passed, attempt.percent) == (AttemptState.AWAITING_GRADING, True, None)
        assert progress(org.teacher, module, quiz).status == ActivityStatus.DONE
        with pytest.raises(QuizError, match="already passed"):
            services.start_attempt(org.teacher, quiz, module)

        services.grade_item(attempt.items.get(question=bank.short).pk, org.trainer, Decimal("0"))
        attempt.refresh_from_db()
        assert (attempt.state, attempt.percent, attempt.passed) == (AttemptState.GRADED, Decimal("50.00"), True)
        row = progress(org.teacher, module, quiz)
        assert (row.status, row.score) == (ActivityStatus.DONE, Decimal("50.00"))

    def test_a_trainer_grade_that_decides_before_the_last_answer_is_graded(self, org, bank):
        second = builders.short_answer("说说家校沟通的方法。", points=5)
        quiz = builders.quiz([bank.true_false, bank.short, second], pass_mark_percent=50)  # 1 + 5 + 5 points
        course, module = builders.course_with_module([quiz], trainers=[org.trainer])
        builders.enrol(org.teacher, course)
        attempt = services.start_attempt(org.teacher, quiz, module)
        services.submit_attempt(
            attempt.pk, org.teacher,
            answers(attempt, {bank.true_false: ["false"], bank.short: ["甲"], second: ["乙"]}),
        )
        attempt.refresh_from_db()
        assert attempt.passed is None
        assert progress(org.teacher, module, quiz).status == ActivityStatus.WAITING
        services.grade_item(attempt.items.get(question=bank.short).pk, org.trainer, Decimal("5"))  # 6 of 11
        attempt.refresh_from_db()
        assert (attempt.state, attempt.passed) == (AttemptState.AWAITING_GRADING, True)
        assert progress(org.teacher, module, quiz).status == ActivityStatus.DONE


class TestRandomPools:
    def test_each_attempt_draws_the_pool_size_without_repeats(self, org):
        ethics = builders.category("师德")
        tech = builders.category("信息技术")
        for n in range(6):
            builders.single(f"师德题{n}", cat=ethics, tags=["规范"] if n < 3 else [])
        for n in range(4):
            builders.single(f"技术题{n}", cat=tech)
        quiz = builders.random_quiz([{"category": ethics, "tag": "规范", "count": 2}, {"category": tech, "count": 3},
                                     {"category": tech, "count": 5}])
        course, module = builders.course_with_module([quiz])
        builders.enrol(org.teacher, course)
        attempt = services.start_attempt(org.teacher, quiz, module)
        questions = [item.question for item in attempt.items.select_related("question")]
        assert len(questions) == len({q.pk for q in questions}) == 6  # 2 + 3 + the 1 technology question left
        assert sum(q.category_id == ethics.pk for q in questions) == 2
        assert all(q.tags.filter(name="规范").exists() for q in questions if q.category_id == ethics.pk)

    def test_shuffled_options_are_frozen_per_attempt(self, org, bank):
        import random

        quiz = builders.quiz([bank.multiple], shuffle_options=True)
        course, module = builders.course_with_module([quiz])
        builders.enrol(org.teacher, course)
        attempt = services.start_attempt(org.teacher, quiz, module, rng=random.Random(3))
        shown = [o["id"] for o in attempt.items.get().snapshot["options"]]
        assert sorted(shown) == sorted(bank.multiple.options.values_list("pk", flat=True))
        page_again = [o["id"] for o in Attempt.objects.get(pk=attempt.pk).items.get().snapshot["options"]]
        assert shown == page_again

    def test_an_empty_quiz_cannot_start(self, org):
        quiz = builders.random_quiz([{"category": builders.category("空"), "count": 3}])
        course, module = builders.course_with_module([quiz])
        builders.enrol(org.teacher, course)
        with pytest.raises(QuizError, match="no questions"):
            services.start_attempt(org.teacher, quiz, module)


def test_the_sweep_is_scheduled_once_every_minute(db):
    from django_q.models import Schedule

    schedules = Schedule.objects.filter(func="shixun.assessments.quizzes.tasks.close_expired_attempts")
    assert [(s.schedule_type, s.minutes) for s in schedules] == [(Schedule.MINUTES, 1)]
