"""Two requests at once (two tabs, a network retry) on a real PostgreSQL: one wins, nothing counts twice.

Each thread has its own database connection; a barrier releases them
together so both are inside the service at the same moment.
"""

import pytest

from shixun.assessments.quizzes import services
from shixun.assessments.quizzes.models import Attempt, AttemptState
from shixun.courses.models import ActivityProgress
from tests.concurrency import needs_postgres, run_together  # noqa: F401 - needs_postgres is a fixture used by pytestmark

from .builders import answers, option_id

pytestmark = [
    pytest.mark.postgres,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
    pytest.mark.usefixtures("needs_postgres"),
]




@pytest.mark.parametrize("repeat", range(3))
def test_concurrent_double_submit_grades_once(org, placed, bank, repeat):
    attempt = services.start_attempt(org.teacher, placed.quiz, placed.module)
    right = answers(attempt, {bank.single: [option_id(attempt, bank.single, "爱岗敬业")]})
    outcomes = run_together(
        lambda: services.submit_attempt(attempt.pk, org.teacher, right),
        lambda: services.submit_attempt(attempt.pk, org.teacher, right),
    )
    assert not any(isinstance(o, Exception) for o in outcomes), outcomes
    assert sorted(o.submitted_now for o in outcomes) == [False, True]
    attempt.refresh_from_db()
    assert attempt.state == AttemptState.GRADED and attempt.score_points == 1
    assert Attempt.objects.filter(learner=org.teacher).count() == 1


@pytest.mark.parametrize("repeat", range(3))
def test_concurrent_double_start_creates_one_attempt(org, placed, repeat):
    outcomes = run_together(
        lambda: services.start_attempt(org.teacher, placed.quiz, placed.module),
        lambda: services.start_attempt(org.teacher, placed.quiz, placed.module),
    )
    assert not any(isinstance(o, Exception) for o in outcomes), outcomes
    assert outcomes[0].pk == outcomes[1].pk
    assert Attempt.objects.filter(learner=org.teacher).count() == 1
    assert ActivityProgress.objects.filter(user=org.teacher).count() == 1


def test_concurrent_retakes_never_exceed_the_attempt_limit(org, placed):
    first = services.start_attempt(org.teacher, placed.quiz, placed.module)
    services.submit_attempt(first.pk, org.teacher, {})

    def start_and_submit():
        attempt = services.start_attempt(org.teacher, placed.quiz, placed.module)
        return services.submit_attempt(attempt.pk, org.teacher, {})

    outcomes = run_together(start_and_submit, start_and_submit, start_and_submit)
    assert Attempt.objects.filter(learner=org.teacher).count() == 2  # the limit: one retake
    assert sum(1 for o in outcomes if not isinstance(o, Exception) and o.submitted_now) == 1
    refusals = [o for o in outcomes if isinstance(o, services.QuizError)]
    assert all("used all your attempts" in r.message for r in refusals)


def test_sweep_and_learner_submit_at_once_submit_once(org, placed, bank):
    from datetime import timedelta

    from django.utils import timezone

    placed.quiz.time_limit_minutes = 1
    placed.quiz.save()
    attempt = services.start_attempt(org.teacher, placed.quiz, placed.module, now=timezone.now() - timedelta(minutes=5))
    outcomes = run_together(
        services.close_expired_attempts,
        lambda: services.submit_attempt(attempt.pk, org.teacher, {}),
    )
    assert not any(isinstance(o, Exception) for o in outcomes), outcomes
    swept, submitted = outcomes
    assert swept + int(submitted.submitted_now) == 1
    attempt.refresh_from_db()
    assert attempt.state == AttemptState.GRADED and attempt.auto_submitted
