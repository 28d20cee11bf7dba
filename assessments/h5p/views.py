"""Site-side views: the xAPI endpoint and the trainers' results pages.

The content itself is served by content_views.py on the content origin.
"""

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.db.models import Count
from django.http import Http404, JsonResponse
from django.shortcuts import render
from django.utils.translation import gettext
from django.views.decorators.http import require_POST

from shixun.config.jsonbody import BadJSONBody, read_json
from shixun.config.ratelimit import rate_limited
from shixun.courses.progress import NotEnrolled

from .links import LinkExpired, LinkInvalid, PlayGrant, activity_iri, grant_of
from .models import H5PActivity
from .permissions import activities_visible_to, may_open_results, results_visible_to
from .results import (
    MAX_STATEMENT_BYTES,
    ParsedStatement,
    Recorded,
    StatementRefused,
    parse_statement,
    record_statement,
)

# The statement plus the token and the JSON around them.
MAX_BODY_BYTES = MAX_STATEMENT_BYTES + 2048


def _error(status: int, message: str, code: str) -> JsonResponse:
    return JsonResponse({"error": message, "code": code}, status=status)


def statement_of(body, user_pk) -> tuple[PlayGrant, ParsedStatement] | JsonResponse:
    """The link's grant and the parsed statement of a request's JSON body sent by user `user_pk`, or the
    refusal to answer: the view's checks, shared with the lean xAPI route (assessments.h5p.lean)."""
    if not isinstance(body, dict) or not isinstance(body.get("token"), str):
        return _error(400, gettext("The request has no activity link."), "bad_json")

    try:
        grant = grant_of(body["token"])
    except LinkExpired:
        return _error(403, gettext("This activity link has expired. Reload the page to continue."), "expired")
    except LinkInvalid:
        return _error(403, gettext("This activity link is not valid."), "bad_token")
    if grant.user_id != user_pk:
        # A link handed to one learner cannot record results for another.
        return _error(403, gettext("This activity link belongs to another learner."), "other_learner")

    try:
        parsed = parse_statement(body.get("statement"))
    except StatementRefused as refused:
        return _error(413 if refused.code == "too_large" else 400, refused.message, refused.code)
    if parsed.object_id.split("?", 1)[0] != activity_iri(grant.activity_id):
        return _error(400, gettext("The statement is about a different activity."), "other_activity")
    return grant, parsed


def recorded_json(recorded: Recorded) -> dict:
    """The answer to a recorded statement (the view's and the lean route's)."""
    result = recorded.result
    return {
        "stored": recorded.stored,
        "status": recorded.status,
        "best_percent": float(result.best_percent) if result.best_percent is not None else None,
        "completed": result.completed,
        "passed": result.passed,
        "attempts": result.attempts,
        "module_completed": recorded.module_completed,
    }


@require_POST
@rate_limited("SHIXUN_RATE_LIMIT_XAPI")
def xapi(request):
    """Store one xAPI statement for the learner of the session (CSRF-protected by the middleware).

    The ordinary statement is answered by the lean xAPI route in front of Django (assessments.h5p.lean)
    with these same checks and write; everything else comes here."""
    if not request.user.is_authenticated:
        return _error(403, gettext("You are no longer logged in. Log in again and reload the page."), "login")
    try:
        body = read_json(request, MAX_BODY_BYTES)
    except BadJSONBody as refused:
        if refused.code == "too_large":
            return _error(413, gettext("The statement is larger than 16 KB."), "too_large")
        return _error(refused.status, refused.message, refused.code)
    checked = statement_of(body, request.user.pk)
    if isinstance(checked, JsonResponse):
        return checked
    grant, parsed = checked

    try:
        # The activity comes with the learner's result row, and the module
        # page is read only if progress changes (a module that is gone means
        # no enrolment in its course: refused, nothing stored).
        recorded = record_statement(request.user, grant.activity_id, grant.module_id, grant.content_id, parsed)
    except H5PActivity.DoesNotExist:
        raise Http404 from None
    except NotEnrolled:
        return _error(403, gettext("You are not enrolled in this course."), "not_enrolled")
    return JsonResponse(recorded_json(recorded))


@login_required
def results_index(request):
    if not may_open_results(request.user):
        raise PermissionDenied
    activities = activities_visible_to(request.user).annotate(learners=Count("results")).order_by("title")
    return render(request, "h5p/results_index.html", {"activities": activities})


@login_required
def results_detail(request, pk: int):
    if not may_open_results(request.user):
        raise PermissionDenied
    activity = activities_visible_to(request.user).filter(pk=pk).first()
    if activity is None:
        raise Http404
    results = results_visible_to(request.user, activity).order_by(
        "user__shixun_profile__school__name", "user__shixun_profile__full_name"
    )
    return render(request, "h5p/results_detail.html", {"activity": activity, "results": results})
