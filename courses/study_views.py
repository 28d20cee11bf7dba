"""The study-time heartbeat: the most frequent request of the site, so small on purpose.

Cost of an ordinary heartbeat: the session and the user (authentication),
the per-user rate limit (one Redis round trip), and one UPDATE that also
checks the module and the enrolment (courses.study.beat). No session write,
no messages, no template.
"""

from django.http import JsonResponse
from django.utils.translation import gettext, ngettext

from shixun.config.jsonbody import BadJSONBody, read_json
from shixun.config.ratelimit import rate_limited

from .progress import NotEnrolled
from .study import NoSuchModule, StudyState, beat

MAX_BODY_BYTES = 1024


def _error(status: int, message: str, code: str) -> JsonResponse:
    return JsonResponse({"error": message, "code": code}, status=status)


def state_json(state: StudyState) -> dict:
    """What the module page shows of the learner's study time; the heartbeat's answer and the page's start."""
    if state.lesson_done:
        text = gettext("Lesson studied: %(minutes)d minutes") % {"minutes": state.active_minutes}
    else:
        text = ngettext(
            "%(minutes)d more minute of study", "%(minutes)d more minutes of study", state.remaining_minutes
        ) % {"minutes": state.remaining_minutes}
    return {
        "active_seconds": state.active_ms // 1000,
        "required_seconds": state.required_ms // 1000,
        "remaining_seconds": -(-state.remaining_ms // 1000),
        "remaining_minutes": state.remaining_minutes,
        "text": text,
        "lesson_done": state.lesson_done,
        "module_completed": state.module_completed,
    }


@rate_limited("SHIXUN_RATE_LIMIT_HEARTBEAT")
def heartbeat(request, module_id: int):
    """Credit the learner's study time on one module (POST, CSRF-protected by the middleware; JSON answers)."""
    if request.method != "POST":
        response = _error(405, gettext("Send study time with POST."), "method")
        response["Allow"] = "POST"
        return response
    if not request.user.is_authenticated:
        return _error(403, gettext("You are no longer logged in. Log in again and reload the page."), "login")
    try:
        body = read_json(request, MAX_BODY_BYTES) if request.body else {}
    except BadJSONBody as refused:
        return _error(refused.status, refused.message, refused.code)
    if not isinstance(body, dict) or not isinstance(body.get("start", False), bool):
        return _error(400, gettext("The heartbeat is not in the expected form."), "bad_json")
    try:
        state = beat(request.user, module_id, start=body.get("start", False))
    except NoSuchModule:
        return _error(404, gettext("This module does not exist or is not published."), "no_module")
    except NotEnrolled:  # also when withdrawn between the beat and the report
        return _error(403, gettext("You are not enrolled in this course."), "not_enrolled")
    return JsonResponse(state_json(state))
