"""Learner pages: the rules and start button, the attempt (autosaved), the result.

Thin views: the rules are in services.py and grading.py. Every view checks
that the attempt is the learner's own (trainers read attempts through the
trainer pages), and every state change is a POST with CSRF.
"""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, JsonResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from shixun.config.jsonbody import BadJSONBody, read_json
from shixun.config.ratelimit import rate_limited
from shixun.courses.activities import module_places
from shixun.courses.models import CoursePage

from . import grading, services
from .models import Attempt, FeedbackMode, ReviewAnswers
from .panel import answers_revealed, quiz_panel_context
from .services import QuizError


def _module_and_quiz(module_id: int, quiz_id: int):
    module, quiz = services.live_module_and_quiz(module_id, quiz_id)
    if module is None or quiz is None or not module_places(module, "quiz", quiz.pk):
        raise Http404
    return module, quiz


def _own_attempt(request, attempt_id: int) -> Attempt:
    attempt = services.attempt_with_quiz_and_module(attempt_id)
    if attempt is None:
        raise Http404
    if attempt.learner_id != request.user.pk:
        raise PermissionDenied
    # The server is the clock: a learner who comes back after the deadline
    # finds the attempt already submitted with what was saved.
    return services.close_if_expired(attempt)


@login_required
@require_GET
def quiz_overview(request, module_id: int, quiz_id: int):
    module, quiz = _module_and_quiz(module_id, quiz_id)
    context = quiz_panel_context(request, quiz, module)
    return render(request, "quizzes/overview.html", context)


@login_required
@require_POST
def start(request, module_id: int, quiz_id: int):
    module, quiz = _module_and_quiz(module_id, quiz_id)
    try:
        attempt = services.start_attempt(request.user, quiz, module)
    except QuizError as error:
        messages.error(request, error.message)
        return redirect("quizzes:overview", module_id=module.pk, quiz_id=quiz.pk)
    return redirect("quizzes:attempt", attempt_id=attempt.pk)


def remaining_seconds(attempt: Attempt) -> int | None:
    if attempt.deadline is None:
        return None
    return max(int((attempt.deadline - timezone.now()).total_seconds()), 0)


def clock(seconds: int | None) -> str:
    """"12:05" or "1:02:05": what the timer shows before its script takes over."""
    if seconds is None:
        return ""
    hours, rest = divmod(seconds, 3600)
    minutes, secs = divmod(rest, 60)
    return f"{hours}:{minutes:02d}:{secs:02d}" if hours else f"{minutes}:{secs:02d}"


@login_required
@require_GET
def attempt_page(request, attempt_id: int):
    attempt = _own_attempt(request, attempt_id)
    if not attempt.is_open:
        return redirect("quizzes:result", attempt_id=attempt.pk)
    items = services.items_of(attempt)
    seconds = remaining_seconds(attempt)
    return render(
        request,
        "quizzes/attempt.html",
        {
            "attempt": attempt,
            "quiz": attempt.quiz,
            "module": attempt.module,
            "questions": [_question_view(item) for item in items],
            "remaining_seconds": seconds,
            "remaining_display": clock(seconds),
        },
    )


def _question_view(item) -> dict:
    snapshot, response = item.snapshot, item.response
    if snapshot["kind"] == "single":
        chosen = {response}
    elif snapshot["kind"] == "multiple":
        chosen = set(response or [])
    else:
        chosen = set()
    return {
        "item": item,
        "kind": snapshot["kind"],
        "text": snapshot["text"],
        "points": snapshot["points"],
        "options": [{**option, "checked": option["id"] in chosen} for option in snapshot.get("options", [])],
        "response": response,
        "field": item.field_name,
    }


def answers_from_form(post) -> dict[str, list[str]]:
    """{item id: values} from a form POST's q-<item id> fields (the JS sends the same fields)."""
    return {key[2:]: post.getlist(key) for key in post if key.startswith("q-")}


def _wants_json(request) -> bool:
    return request.content_type == "application/json"


@login_required
@require_POST
@rate_limited("SHIXUN_RATE_LIMIT_QUIZ_SAVE")
def save(request, attempt_id: int):
    """Autosave (JSON from quiz.js) or the "save my answers" button of the plain form."""
    attempt = _own_attempt(request, attempt_id)
    as_json = _wants_json(request)
    try:
        raw = _json_answers(request) if as_json else answers_from_form(request.POST)
        outcome = services.save_answers(attempt, request.user, raw)
    except (QuizError, grading.InvalidAnswer) as error:
        message = getattr(error, "message", None) or str(error)
        if as_json:
            return JsonResponse({"saved": False, "error": message}, status=400)
        messages.error(request, message)
        return redirect("quizzes:attempt", attempt_id=attempt.pk)
    result_url = reverse("quizzes:result", args=[attempt.pk])
    if as_json:
        if not outcome.saved:
            return JsonResponse({"saved": False, "closed": True, "result_url": result_url}, status=409)
        return JsonResponse({"saved": True, "remaining_seconds": remaining_seconds(outcome.attempt)})
    if not outcome.saved:
        messages.warning(request, _("Time is up: your quiz was submitted with the answers saved before."))
        return redirect(result_url)
    messages.success(request, _("Your answers have been saved. You can come back and finish later."))
    return redirect("quizzes:attempt", attempt_id=attempt.pk)


# A whole quiz's answers: room for dozens of 5,000-character short answers
# even \u-escaped, and below Django's own 2.5 MB cap on a request body.
MAX_SAVE_BYTES = 2 * 1024 * 1024


def _json_answers(request) -> dict:
    if not request.body:
        return {}
    try:
        payload = read_json(request, MAX_SAVE_BYTES)
    except BadJSONBody as refused:
        if refused.code == "too_large":
            raise grading.InvalidAnswer(refused.message) from None
        raise grading.InvalidAnswer(_("The answers are not in the expected form.")) from None
    if not isinstance(payload, dict):
        raise grading.InvalidAnswer(_("The answers are not in the expected form."))
    return payload.get("answers", {})


@login_required
@require_POST
def submit(request, attempt_id: int):
    attempt = _own_attempt(request, attempt_id)
    try:
        outcome = services.submit_attempt(attempt, request.user, answers_from_form(request.POST))
    except (QuizError, grading.InvalidAnswer) as error:
        messages.error(request, getattr(error, "message", None) or str(error))
        return redirect("quizzes:attempt", attempt_id=attempt.pk)
    if outcome.late:
        messages.warning(request, _("Time was up: the answers saved before the time limit were graded."))
    elif not outcome.submitted_now:
        messages.info(request, _("This attempt had already been submitted. Here is its result."))
    return redirect("quizzes:result", attempt_id=attempt.pk)


@login_required
@require_GET
def result(request, attempt_id: int):
    attempt = _own_attempt(request, attempt_id)
    if attempt.is_open:
        return redirect("quizzes:attempt", attempt_id=attempt.pk)
    quiz, module = attempt.quiz, attempt.module
    items = services.items_of(attempt)
    panel = quiz_panel_context(request, quiz, module)
    show_answers = answers_revealed(quiz, attempt, panel)
    return render(
        request,
        "quizzes/result.html",
        {
            **panel,
            "attempt": attempt,
            "show_answers": show_answers,
            # Say when the answers will come, unless the quiz never shows them.
            "answers_later": not show_answers and quiz.feedback_mode == FeedbackMode.ANSWERS
            and quiz.review_answers == ReviewAnswers.AFTER_LAST_OR_PASS,
            "review": [_review_row(item) for item in items] if show_answers else [],
            "course": CoursePage.objects.get(pk=module.get_parent().pk),
        },
    )


def _review_row(item) -> dict:
    snapshot = item.snapshot
    return {
        "position": item.position,
        "text": snapshot["text"],
        "kind": snapshot["kind"],
        "your_answer": grading.response_display(snapshot, item.response),
        "correct_answer": grading.correct_answer_display(snapshot),
        "explanation": snapshot.get("explanation", ""),
        "points": item.points_awarded,
        "max_points": item.max_points,
        "full_marks": item.points_awarded is not None and item.points_awarded >= item.max_points,
        "pending": item.points_awarded is None,
        "comment": item.grader_comment,
    }
