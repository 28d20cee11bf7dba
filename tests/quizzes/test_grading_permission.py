"""services.grade_item checks the grader itself: a refused actor changes nothing; SYSTEM skips the check."""

from decimal import Decimal

import pytest

from shixun.accounts.actors import SYSTEM, NotPermitted
from shixun.accounts.models import Role
from shixun.assessments.quizzes import services
from shixun.assessments.quizzes.models import AttemptState
from tests.factories import make_user

from . import builders
from .builders import answers


@pytest.fixture
def waiting(org, bank):
    """An attempt with one short answer waiting for org.trainer, who trains the course."""
    quiz = builders.quiz([bank.true_false, bank.short], title="含简答题")
    course, module = builders.course_with_module([quiz], trainers=[org.trainer])
    builders.enrol(org.teacher, course)
    attempt = services.start_attempt(org.teacher, quiz, module)
    services.submit_attempt(attempt.pk, org.teacher, answers(attempt, {bank.short: ["立德树人。"]}))
    return attempt.items.get(question=bank.short)


@pytest.mark.parametrize("who", ["other_trainer", "district_admin", "learner"])
def test_a_grader_outside_the_course_is_refused_by_the_service(org, bank, waiting, who):
    other_trainer = make_user(district=org.district, roles=[Role.TRAINER], username="othertrainer")
    builders.course_with_module([builders.quiz([bank.single])], trainers=[other_trainer])
    actor = {"other_trainer": other_trainer, "district_admin": org.district_admin, "learner": org.teacher}[who]

    with pytest.raises(NotPermitted):
        services.grade_item(waiting.pk, actor, Decimal("5"))

    waiting.refresh_from_db()
    assert waiting.points_awarded is None and waiting.graded_by is None
    assert waiting.attempt.__class__.objects.get(pk=waiting.attempt_id).state == AttemptState.AWAITING_GRADING


def test_the_course_trainer_grades_and_is_recorded(org, waiting):
    item = services.grade_item(waiting.pk, org.trainer, Decimal("5"))
    assert item.graded_by == org.trainer


def test_the_system_skips_the_check_and_names_no_person(org, waiting):
    item = services.grade_item(waiting.pk, SYSTEM, Decimal("5"))
    assert item.points_awarded == Decimal("5") and item.graded_by is None
    item.attempt.refresh_from_db()
    assert item.attempt.state == AttemptState.GRADED
