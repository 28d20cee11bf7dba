"""What a learner sees of a quiz before and between attempts (module page block, overview, result).

One function builds it, so the block on the module page, the overview page
and the result page always agree on the rules, the attempts left and the one
thing to do next.
"""

from shixun.courses.models import ModulePage
from shixun.courses.progress import is_enrolled, is_enrolled_on_module_page

from . import services
from .models import Attempt, AttemptState, FeedbackMode, Quiz, ReviewAnswers


def quiz_panel_context(request, quiz: Quiz, module: ModulePage, page_context=None) -> dict:
    """`page_context`: the module page's template context, when the panel is a block of that page (it knows
    the learner's enrolment already: courses.progress.is_enrolled_on_module_page)."""
    user = request.user
    if not user.is_authenticated:
        enrolled = False
    elif page_context is not None:
        enrolled = is_enrolled_on_module_page(page_context, user, module)
    else:
        enrolled = is_enrolled(user, module.get_parent())
    attempts = services.attempts_list(user, quiz, module) if enrolled else []
    open_attempt = next((a for a in attempts if a.is_open), None)
    if open_attempt is not None:
        closed = services.close_if_expired(open_attempt)
        if not closed.is_open:
            attempts = services.attempts_list(user, quiz, module)
            open_attempt = None
    standing = services.standing_of(quiz, attempts)
    # Waiting blocks the next step only while the trainer's grade decides pass or fail.
    waiting = standing.status == "waiting"
    passed = standing.status == "done"
    return {
        "quiz": quiz,
        "module": module,
        "enrolled": enrolled,
        "attempts": attempts,
        "standing": standing,
        "open_attempt": open_attempt,
        "waiting": waiting,
        "passed": passed,
        "can_start": enrolled and open_attempt is None and not passed and not waiting and standing.attempts_left > 0,
        "last_attempt": attempts[-1] if attempts else None,
        "grading_pending": any(a.state == AttemptState.AWAITING_GRADING for a in attempts),
    }


def answers_revealed(quiz: Quiz, attempt: Attempt, panel: dict) -> bool:
    """May the learner see the correct answers of this submitted attempt (ReviewAnswers)?

    "After the last attempt or after passing" waits until no retake is left
    to take with the answers in hand: the quiz is passed, or every attempt is
    used and none is open.
    """
    if attempt.is_open or quiz.feedback_mode != FeedbackMode.ANSWERS:
        return False
    if quiz.review_answers == ReviewAnswers.IMMEDIATELY:
        return True
    if quiz.review_answers == ReviewAnswers.NEVER:
        return False
    return panel["passed"] or (panel["standing"].attempts_left == 0 and panel["open_attempt"] is None)
