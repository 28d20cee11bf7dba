"""Background jobs (django-q2). Each takes ids, re-fetches, and is safe to run twice."""

from __future__ import annotations

import logging

from django.conf import settings
from django.core.mail import send_mail
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone, translation

from shixun.inbox import notices

from .models import SubmissionVersion

logger = logging.getLogger(__name__)


def module_path(version) -> str:
    """The module page's URL (a path on a one-site install). A module outside every site has no URL;
    the hand-in page (which links back) stands in."""
    submission = version.submission
    return submission.module.get_url() or reverse(
        "assignments:hand_in", args=[submission.module_id, submission.assignment_id]
    )


def module_link(version) -> str:
    """An absolute link to the module page for an email (the site's base URL + the page's path)."""
    url = module_path(version)
    if url.startswith("/"):
        url = settings.WAGTAILADMIN_BASE_URL.rstrip("/") + url
    return url


def send_review_email(version_id: int) -> bool:
    """Tell the teacher their work was reviewed. Returns True if an email was sent by this call.

    Delivery of tasks is at least once, so the version's ``notified_at`` is
    claimed with a conditional UPDATE before sending: a second run (or a
    second worker) finds it set and does nothing. If sending fails, the claim
    is released so the retry can send.
    """
    claimed = SubmissionVersion.objects.filter(
        pk=version_id, notified_at__isnull=True, reviewed_at__isnull=False
    ).update(notified_at=timezone.now())
    if not claimed:
        return False
    version = SubmissionVersion.objects.select_related(
        "submission__learner", "submission__assignment", "submission__module"
    ).get(pk=version_id)
    learner = version.submission.learner
    # The inbox first (teachers rarely read email); its key makes a retried task post it once.
    notices.work_reviewed(version, module_path(version))
    if not learner.email:
        logger.info("no email address for user %s; review of version %s not mailed", learner.pk, version_id)
        return False
    context = {
        "learner": learner,
        "version": version,
        "submission": version.submission,
        "assignment": version.submission.assignment,
        "module": version.submission.module,
        "module_url": module_link(version),
        "site_name": settings.WAGTAIL_SITE_NAME,
    }
    # Teachers have no language preference of their own yet: write in the site's language (Chinese).
    with translation.override(settings.LANGUAGE_CODE):
        subject = " ".join(render_to_string("assignments/email/reviewed_subject.txt", context).split())
        body = render_to_string("assignments/email/reviewed.txt", context)
    try:
        send_mail(subject, body, None, [learner.email])
    except Exception:
        SubmissionVersion.objects.filter(pk=version_id).update(notified_at=None)
        raise
    return True
