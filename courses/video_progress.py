"""Recording a learner's watched-interval reports for a lesson video, and the video's step status.

The arithmetic is in video_watching.py; this module reads and writes the
VideoWatch row and reports the step ("video:<block id>") through
progress.record_activity_status, like every other activity: IN_PROGRESS once
something is covered, DONE once the covered share reaches
SHIXUN_VIDEO_WATCHED_SHARE (which may complete the module and post its hours).

Cost of one report: the enrolment row lock, one read and one conditional
UPDATE of the learner's VideoWatch row (an INSERT for the first report), and
only when the step's status changes the progress write. No session write.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from shixun.config.conf import shixun_settings

from . import video_watching as vw
from .blocks import VIDEO_KIND, video_key
from .models import ActivityStatus, Enrolment, ModuleCompletion, ModulePage, VideoWatch
from .progress import NotEnrolled, lock_enrolment, record_activity_status
from .video_embeds import EMBED_DURATION_TOLERANCE, tracked_embed

ATTEMPTS = 3  # optimistic retries when two tabs report at the same instant


def tracked_videos(module: ModulePage) -> dict[str, dict]:
    """{block id: raw value} of the module's tracked videos, read from the stored stream data (no query).

    Uploaded videos (value["file"] is the document's id) and embeds of a time-reporting player with the
    trainer's length (video_embeds.tracked_embed).
    """
    return {
        block["id"]: block.get("value") or {}
        for block in module.body.raw_data
        if block.get("type") == VIDEO_KIND and block.get("id")
        and ((block.get("value") or {}).get("file") or tracked_embed(block.get("value") or {}))
    }


def watched_share() -> float:
    return float(shixun_settings.SHIXUN_VIDEO_WATCHED_SHARE)


def percent(covered_seconds: float, duration: float) -> int:
    """Whole percent watched, rounded down: 89.9 % shows as 89, never as the 90 that would be "done"."""
    if not duration:
        return 0
    return min(100, math.floor(100 * covered_seconds / duration + 1e-9))


@dataclass(frozen=True)
class VideoReport:
    covered_seconds: float
    duration: float
    percent: int
    watched: bool
    added: float
    withheld: float
    status: str
    module_completed: bool


def record_video_report(
    user, module: ModulePage, block_id: str, duration, ranges, *, known_duration: float | None = None, now=None,
    embedded: bool = False,
) -> VideoReport:
    """Credit one report of the learner's played ranges; ReportRefused or NotEnrolled write nothing.

    The caller has checked that `block_id` is one of the module's tracked videos, and passes the duration
    the video file declares when it could be read (video_duration.py), or for an embedded player
    (`embedded`) the length the trainer entered on the block (video_embeds.py): the report must agree with it.
    """
    duration = vw.checked_duration(duration)
    if embedded and known_duration is None:
        raise ValueError("an embedded video is measured against the trainer's length, never the report's")
    if known_duration is not None:
        tolerance = EMBED_DURATION_TOLERANCE if embedded else vw.DURATION_TOLERANCE
        if abs(known_duration - duration) > tolerance:
            raise vw.ReportRefused("duration_mismatch", _(
                "The video's length reported by the player differs from the length the trainer entered. "
                "Tell the course's trainer.") if embedded else _(
                "The video's length in the report differs from the video file. Reload the page."),
            )
        duration = round(known_duration, vw.PLACES)
    ranges = vw.checked_ranges(ranges, duration)
    now = now or timezone.now()
    with transaction.atomic():
        enrolment = lock_enrolment(user, module)
        if enrolment is None or enrolment.status != Enrolment.Status.ACTIVE:
            raise NotEnrolled(f"user {user.pk} is not enrolled in the course of module {module.pk}")
        for _attempt in range(ATTEMPTS):
            result = _credit_once(user, module, block_id, duration, ranges, now)
            if result is not None:
                break
        else:
            raise vw.ReportRefused("busy", _("Another report for this video is being saved. Try again."))
        before, watch, added, withheld = result
        watched = vw.is_watched(watch.covered, watch.duration, watched_share())
        status = ActivityStatus.DONE if watched else ActivityStatus.IN_PROGRESS
        module_completed = False
        was_watched = vw.is_watched(before, watch.duration, watched_share())
        # Progress changes only on the way: the first covered second, then the watched share.
        if (watched and not was_watched) or (watch.covered and not before):
            progress = record_activity_status(user, module, video_key(block_id), status, locked_enrolment=enrolment)
            status, module_completed = progress.status, progress.module_completed
        elif watched:
            # Reports go on after the video is watched (the player reports its end, a second tab…): say where
            # the module stands, so the page does not take back "module complete".
            module_completed = ModuleCompletion.objects.filter(user=user, module=module).exists()
    return VideoReport(
        covered_seconds=watch.covered_seconds, duration=watch.duration,
        percent=percent(watch.covered_seconds, watch.duration), watched=watched, added=added, withheld=withheld,
        status=status, module_completed=module_completed,
    )


def _credit_once(user, module, block_id, duration, ranges, now):
    """(covered before, the row as written, seconds added, seconds withheld), or None if another report won."""
    watch = VideoWatch.objects.filter(user=user, module=module, block_id=block_id).first()
    if watch is None:
        # The first report starts the clock and credits nothing (video_watching.allowance(None)).
        watch = VideoWatch(user=user, module=module, block_id=block_id, duration=duration, covered=[],
                           covered_seconds=0, reports=1, last_report_at=now)
        try:
            with transaction.atomic():
                watch.save(force_insert=True)
        except IntegrityError:
            return None  # the other tab's first report: read it and go on from there
        return [], watch, 0.0, vw.total(vw.uncovered_parts([], ranges))
    if abs(watch.duration - duration) > vw.DURATION_TOLERANCE:
        raise vw.ReportRefused(
            "duration_changed", _("The video's length in the report differs from the earlier reports. Reload the page.")
        )
    before = [tuple(pair) for pair in watch.covered]
    elapsed = (now - watch.last_report_at).total_seconds()
    credit = vw.credit(before, ranges, elapsed)
    # The clock never goes back: a report that arrives "earlier" than the stored one keeps the stored time.
    last = max(now, watch.last_report_at)
    updated = VideoWatch.objects.filter(pk=watch.pk, reports=watch.reports).update(
        covered=[list(pair) for pair in credit.covered], covered_seconds=vw.total(credit.covered),
        reports=F("reports") + 1, last_report_at=last,
    )
    if not updated:
        return None
    watch.covered, watch.covered_seconds = [list(p) for p in credit.covered], vw.total(credit.covered)
    return before, watch, credit.added, credit.withheld


def video_progress_of(user, module: ModulePage) -> dict[str, VideoWatch]:
    """{block id: VideoWatch} of the learner's watching in this module: one query."""
    return {watch.block_id: watch for watch in VideoWatch.objects.filter(user=user, module=module)}
