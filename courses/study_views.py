"""The study-time heartbeat: the most frequent request of the site, so small on purpose.

Cost of an ordinary heartbeat: the session and the user (authentication),
one read of the module with whether the learner is enrolled, and one UPDATE
(courses.study). No session write, no messages, no template.
"""

from django.db.models import Exists, OuterRef, Value
from django.db.models.functions import Substr
from django.http import JsonResponse
from django.utils.translation import gettext, ngettext

from shixun.config.jsonbody import BadJSONBody, read_json
from shixun.config.ratelimit import rate_limited

from .models import Enrolment, ModulePage
from .progress import NotEnrolled
from .study import StudyState, record_heartbeat

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


def _module_for(user, module_id: int):
    """The live module with `enrolled`: whether the learner has an active enrolment in its course. One query."""
    steplen = ModulePage.steplen
    course_path = Substr(OuterRef("path"), 1, (OuterRef("depth") - Value(1)) * Value(steplen))
    enrolled = Enrolment.objects.filter(user=user, status=Enrolment.Status.ACTIVE, course__path=course_path)
    return (
        ModulePage.objects.live().defer("body").annotate(enrolled=Exists(enrolled)).filter(pk=module_id).first()
    )


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
    module = _module_for(request.user, module_id)
    if module is None:
        return _error(404, gettext("This module does not exist or is not published."), "no_module")
    if not module.enrolled:
        return _error(403, gettext("You are not enrolled in this course."), "not_enrolled")
    try:
        state = record_heartbeat(request.user, module, start=body.get("start", False))
    except NotEnrolled:  # withdrawn between the check and the report
        return _error(403, gettext("You are not enrolled in this course."), "not_enrolled")
    return JsonResponse(state_json(state))
