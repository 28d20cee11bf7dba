"""The watched-interval report of a lesson video (uploaded or an embedded YouTube/Vimeo player): a small JSON POST
from courses/static/courses/video.js."""

from django.http import JsonResponse
from django.utils.translation import gettext
from django.views.decorators.http import require_POST
from wagtail.documents import get_document_model

from shixun.config.jsonbody import BadJSONBody, read_json
from shixun.config.ratelimit import rate_limited

from .models import ActivityStatus, ModulePage
from .progress import NotEnrolled
from .video_duration import document_duration
from .video_embeds import parse_length
from .video_progress import record_video_report, tracked_videos
from .video_watching import ReportRefused

MAX_BODY_BYTES = 8 * 1024  # 200 ranges of two numbers, and the duration


def _error(status: int, message: str, code: str) -> JsonResponse:
    return JsonResponse({"error": message, "code": code}, status=status)


@require_POST
@rate_limited("SHIXUN_RATE_LIMIT_VIDEO_REPORT")
def video_report(request, module_id: int, block_id: str):
    """Credit the ranges of a lesson video the learner's player has played (CSRF-protected by the middleware).

    Answers JSON only, writes no session: the learner is read from it, nothing more.
    """
    if not request.user.is_authenticated:
        return _error(403, gettext("You are no longer logged in. Log in again and reload the page."), "login")
    try:
        body = read_json(request, MAX_BODY_BYTES)
    except BadJSONBody as refused:
        return _error(refused.status, refused.message, refused.code)
    if not isinstance(body, dict):
        return _error(400, gettext("The watched parts in the report cannot be read."), "bad_ranges")
    module = ModulePage.objects.live().filter(pk=module_id).first()
    video = tracked_videos(module).get(block_id) if module is not None else None
    if video and not video.get("file"):
        # An embedded player's video: the length the trainer entered is the only one trusted (video_embeds.py).
        document, known_duration = None, float(parse_length(video.get("duration")))
    else:
        document = get_document_model().objects.filter(pk=video["file"]).first() if video else None
        if document is None:
            return _error(404, gettext("This video is no longer in the module. Reload the page."), "no_video")
        known_duration = document_duration(document)
    try:
        report = record_video_report(request.user, module, block_id, body.get("duration"), body.get("ranges"),
                                     known_duration=known_duration, embedded=document is None)
    except ReportRefused as refused:
        return _error(409 if refused.code == "busy" else 400, refused.message, refused.code)
    except NotEnrolled:
        return _error(403, gettext("You are not enrolled in this course."), "not_enrolled")
    return JsonResponse({
        "covered_seconds": report.covered_seconds,
        "duration": report.duration,
        "percent": report.percent,
        "watched": report.watched,
        "withheld_seconds": report.withheld,
        "status": report.status,
        "status_label": str(ActivityStatus(report.status).label),
        "module_completed": report.module_completed,
    })
