"""The state changes of an assignment: handing in a version, and reviewing it.

Each is one function inside one transaction that locks the Submission row
first (and then, through courses.progress.record_activity_status, the
learner's enrolment: always in that order). Progress is reported only through
record_activity_status:

- handed in, a trainer must accept → WAITING
- handed in, handing in completes it → DONE
- accepted → DONE (with the score)
- returned for revision → IN_PROGRESS

The review email is enqueued after commit (django-q2 is not
transaction-aware) and carries only the version's id.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from shixun.accounts.actors import recorded_person, require
from shixun.assessments.uploads import CleanUpload
from shixun.courses.models import ActivityStatus, CoursePage, ModulePage
from shixun.courses.progress import record_activity_status

from .models import Assignment, Submission, SubmissionVersion
from .permissions import can_review_submission
from .text import count_characters, normalise_answer

logger = logging.getLogger(__name__)


class AssignmentError(Exception):
    """A hand-in or review that cannot happen; ``message`` is ready to show to the person."""

    def __init__(self, message: str, *, field: str | None = None):
        super().__init__(message)
        self.message = message
        self.field = field


@dataclass(frozen=True)
class Answer:
    """What the learner handed in, already checked: a clean upload and/or typed text."""

    upload: CleanUpload | None
    text: str


def check_answer(assignment: Assignment, *, upload: CleanUpload | None, text: str) -> Answer:
    """Apply the assignment's answer rules (which parts are needed, minimum length).

    The file itself has been checked by assessments.uploads before this.
    Raises AssignmentError naming the field to show the message next to.
    """
    text = normalise_answer(text) if assignment.accepts_text else ""
    has_text = bool(text)
    has_file = upload is not None and assignment.accepts_file
    mode = assignment.answer_mode
    if mode == "file" and not has_file:
        raise AssignmentError(_("Please choose the file to hand in."), field="file")
    if mode == "text" and not has_text:
        raise AssignmentError(_("Please type your answer in the box."), field="text")
    if mode == "file_and_text":
        if not has_file:
            raise AssignmentError(_("Please choose the file to hand in."), field="file")
        if not has_text:
            raise AssignmentError(_("Please type your answer in the box as well."), field="text")
    if mode == "file_or_text" and not (has_file or has_text):
        raise AssignmentError(_("Please choose a file or type your answer (one of the two is enough)."), field="file")
    if has_text and assignment.min_text_chars:
        length, minimum = count_characters(text), assignment.min_text_chars
        if length < minimum:
            raise AssignmentError(
                _(
                    "Your answer has %(count)d characters; this assignment asks for at least %(minimum)d. "
                    "Please add %(missing)d more and hand it in again."
                )
                % {"count": length, "minimum": minimum, "missing": minimum - length},
                field="text",
            )
    return Answer(upload=upload if has_file else None, text=text)


def submit(learner, module: ModulePage, assignment: Assignment, answer: Answer) -> SubmissionVersion:
    """Record a new version of the learner's work and report progress.

    The file is written to private storage inside the transaction and deleted
    again if anything in it fails, so there is never a row without its file
    nor a stored file without its row. Raises AssignmentError when the work
    was already accepted, and courses.progress.NotEnrolled for a learner who
    is not enrolled.
    """
    course = CoursePage.objects.get(pk=module.get_parent().pk)
    stored_name = None
    version = None
    try:
        with transaction.atomic():
            # get_or_create survives two first hand-ins racing (unique constraint + retry inside).
            submission, _created = Submission.objects.get_or_create(
                learner=learner, assignment=assignment, module=module, defaults={"course": course}
            )
            submission = (
                Submission.objects.select_for_update(of=("self",)).select_related("current_version").get(pk=submission.pk)
            )
            if not submission.can_resubmit:
                raise AssignmentError(_("This work has already been accepted; nothing more needs to be handed in."))
            latest = submission.current_version
            if latest is not None and not latest.is_reviewed and _same_work(latest, answer):
                # A double tap or a network retry of the same hand-in: nothing new to keep.
                return latest
            now = timezone.now()
            version = SubmissionVersion(
                submission=submission,
                number=submission.version_count + 1,
                text=answer.text,
                text_chars=count_characters(answer.text),
                submitted_at=now,
                is_late=assignment.is_late(now),
            )
            if answer.upload is not None:
                upload = answer.upload
                version.file.save(upload.name, upload.file, save=False)
                stored_name = version.file.name
                version.original_name = upload.name
                version.content_type = upload.content_type
                version.size = upload.size
                version.sha256 = upload.sha256
            version.save()
            submission.version_count = version.number
            submission.current_version = version
            submission.updated_at = now
            submission.status = Submission.Status.SUBMITTED if assignment.needs_review else Submission.Status.RECEIVED
            submission.save(update_fields=["version_count", "current_version", "updated_at", "status"])
            record_activity_status(
                learner, module, assignment.activity_key,
                ActivityStatus.WAITING if assignment.needs_review else ActivityStatus.DONE,
            )
    except BaseException:
        if stored_name:
            _delete_quietly(version.file.storage, stored_name)
        raise
    return version


def _same_work(version: SubmissionVersion, answer: Answer) -> bool:
    same_file = (
        version.sha256 == answer.upload.sha256 if answer.upload is not None else not version.file
    )
    return same_file and version.text == answer.text


def _delete_quietly(storage, name: str) -> None:
    try:
        storage.delete(name)
    except OSError:
        logger.exception("could not delete %s after a failed hand-in", name)


class Decision:
    ACCEPT = "accept"
    RETURN = "return"
    COMMENT = "comment"


def review(
    submission_id: int, reviewer, *, version_number: int, decision: str, score: int | None, feedback: str
) -> SubmissionVersion:
    """Accept, return or comment on the submission's latest version.

    ``version_number`` is the version the reviewer was looking at: if the
    learner has handed in a newer one meanwhile, the review is refused rather
    than applied to work the reviewer has not seen. Accepting and returning
    apply to work waiting for review; commenting (score and feedback only) to
    work that handing in completed. ``reviewer`` must be allowed to review
    the submission (permissions.can_review_submission; accounts.actors.SYSTEM
    skips the check), else NotPermitted and nothing is written.
    """
    feedback = (feedback or "").strip()
    if score is not None and not 0 <= score <= 100:
        raise AssignmentError(_("The score must be between 0 and 100."), field="score")
    if decision == Decision.RETURN and not feedback:
        raise AssignmentError(_("Please write what the teacher should change."), field="feedback")
    with transaction.atomic():
        submission = (
            Submission.objects.select_for_update()
            .select_related("assignment", "module", "learner")
            .get(pk=submission_id)
        )
        require(
            reviewer, lambda user: can_review_submission(user, submission), _("You do not review this course's work.")
        )
        if submission.version_count != version_number:
            raise AssignmentError(
                _("The teacher has handed in a newer version since you opened this page. Please look at it first.")
            )
        allowed = (
            {Decision.ACCEPT, Decision.RETURN}
            if submission.status == Submission.Status.SUBMITTED
            else {Decision.COMMENT} if submission.status == Submission.Status.RECEIVED else set()
        )
        if decision not in allowed:
            raise AssignmentError(_("This work is not waiting for this decision any more. Please reload the page."))
        version = SubmissionVersion.objects.select_for_update().get(pk=submission.current_version_id)
        version.decision = {
            Decision.ACCEPT: SubmissionVersion.Decision.ACCEPTED,
            Decision.RETURN: SubmissionVersion.Decision.RETURNED,
            Decision.COMMENT: SubmissionVersion.Decision.COMMENTED,
        }[decision]
        version.score = score
        version.feedback = feedback
        version.reviewed_by = recorded_person(reviewer)
        version.reviewed_at = timezone.now()
        version.notified_at = None
        version.save(update_fields=["decision", "score", "feedback", "reviewed_by", "reviewed_at", "notified_at"])
        if decision == Decision.ACCEPT:
            submission.status = Submission.Status.ACCEPTED
            record_activity_status(
                submission.learner, submission.module, submission.assignment.activity_key, ActivityStatus.DONE,
                score=score,
            )
        elif decision == Decision.RETURN:
            submission.status = Submission.Status.RETURNED
            record_activity_status(
                submission.learner, submission.module, submission.assignment.activity_key, ActivityStatus.IN_PROGRESS
            )
        elif score is not None:
            # Work completed by handing in: the score is still worth recording.
            record_activity_status(
                submission.learner, submission.module, submission.assignment.activity_key, ActivityStatus.DONE,
                score=score,
            )
        submission.updated_at = version.reviewed_at
        submission.save(update_fields=["status", "updated_at"])
        transaction.on_commit(lambda: _enqueue_review_email(version.pk))
    return version


def _enqueue_review_email(version_id: int) -> None:
    from django_q.tasks import async_task

    async_task("shixun.assessments.assignments.tasks.send_review_email", version_id)
