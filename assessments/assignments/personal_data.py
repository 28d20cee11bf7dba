"""A teacher's hand-ins as personal data: exported with the person, scrubbed when the person is erased.

Declared with the "assignment" activity kind (wagtail_hooks.py).
"""

from django.db import transaction

from shixun.schools.personal_data import model_to_record

from .models import SubmissionVersion


def export_submissions(user) -> list[dict]:
    versions = SubmissionVersion.objects.filter(submission__learner=user).order_by("submission_id", "number")
    return [model_to_record(v) for v in versions]


def scrub_submissions(user) -> None:
    """Remove the person's uploads and typed answers; keep the graded versions' decision and score.

    The Submission rows stay (the completion they justified stays), but what
    the teacher wrote or uploaded is personal content and goes.
    """
    versions = SubmissionVersion.objects.filter(submission__learner=user)
    doomed = [(v.file.storage, v.file.name) for v in versions.only("pk", "file") if v.file and v.file.name]
    versions.update(file="", original_name="", text="", text_chars=0, sha256="")
    transaction.on_commit(lambda: [storage.delete(name) for storage, name in doomed])
