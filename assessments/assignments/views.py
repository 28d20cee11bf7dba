"""Thin views: the hand-in page, private file downloads, and the trainer's review queue.

Every view checks object-level permission (permissions.py) on the server;
every state change is a POST with CSRF and goes through services.py.
"""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.db.models import Prefetch
from django.http import FileResponse, Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import csrf_exempt, csrf_protect
from django.views.decorators.http import require_GET, require_http_methods

from shixun.accounts.models import School
from shixun.assessments.uploads import UploadRefused, limit_upload_size, validate_upload
from shixun.courses.activities import module_places
from shixun.courses.models import CoursePage, ModulePage
from shixun.courses.progress import is_enrolled

from . import services
from .archive import build_submissions_zip
from .forms import HandInForm, QueueFilterForm, ReviewForm
from .models import Assignment, Submission, SubmissionVersion
from .permissions import (
    can_review_assignment,
    can_review_submission,
    can_use_review_queue,
    can_view_submission,
    queue_courses,
    submissions_reviewable_by,
)

QUEUE_PAGE_SIZE = 50


def _placement_or_404(module_id: int, assignment_id: int) -> tuple[ModulePage, Assignment, CoursePage]:
    module = get_object_or_404(ModulePage.objects.live(), pk=module_id)
    assignment = get_object_or_404(Assignment, pk=assignment_id)
    if not module_places(module, "assignment", assignment.pk):
        raise Http404("this module does not place this assignment")
    course = CoursePage.objects.get(pk=module.get_parent().pk)
    return module, assignment, course


# --- Learner -------------------------------------------------------------------


@csrf_exempt  # the CSRF check runs in _hand_in, after the size-limiting upload handler is installed
@login_required
@require_http_methods(["GET", "POST"])
@never_cache
def hand_in(request, module_id: int, assignment_id: int):
    module, assignment, course = _placement_or_404(module_id, assignment_id)
    size_guard = None
    if request.method == "POST":
        # Must happen before anything reads request.POST / request.FILES (including the CSRF check):
        # an oversized file is then dropped while it streams in, never written to disk whole.
        # A typed-answer-only assignment takes no file at all: a limit of 0 drops any that is sent.
        size_guard = limit_upload_size(request, assignment.max_bytes if assignment.accepts_file else 0)
    return _hand_in(request, module, assignment, course, size_guard)


@csrf_protect
def _hand_in(request, module, assignment, course, size_guard):
    if not is_enrolled(request.user, course):
        messages.warning(request, _("Please enrol in the course first; then you can hand in this assignment."))
        return redirect(course.url or "/")
    submission = (
        Submission.objects.filter(learner=request.user, assignment=assignment, module=module)
        .prefetch_related(Prefetch("versions", queryset=SubmissionVersion.objects.order_by("-number")))
        .first()
    )
    bound = request.method == "POST"
    form = HandInForm(
        request.POST if bound else None,
        request.FILES if bound else None,
        assignment=assignment,
        initial=_revision_start(submission, assignment),
    )
    if request.method == "POST":
        if submission is not None and not submission.can_resubmit:
            messages.info(request, _("This work has already been accepted; nothing more needs to be handed in."))
            return redirect(request.path)
        version = _accept_hand_in(request, form, module, assignment, size_guard)
        if version is not None:
            if assignment.needs_review:
                messages.success(request, _("Handed in. Your trainer will review it; you will get an email."))
            else:
                messages.success(request, _("Handed in. This assignment is complete."))
            return redirect(request.path)
    return render(
        request,
        "assignments/hand_in.html",
        {
            "module": module,
            "course": course,
            "assignment": assignment,
            "submission": submission,
            "versions": list(submission.versions.all()) if submission else [],
            "form": form,
            "allowed_kinds": assignment.file_kinds,
            "overdue": assignment.is_late(timezone.now()),
        },
    )


def _revision_start(submission, assignment) -> dict:
    """A returned typed answer is revised, not retyped (on a phone): the form starts from its last version.

    Only when returned: work waiting for review leaves the box empty, as nothing needs handing in again.
    """
    if submission is None or submission.status != Submission.Status.RETURNED or not assignment.accepts_text:
        return {}
    latest = next(iter(submission.versions.all()), None)  # prefetched, newest first
    return {"text": latest.text} if latest is not None and latest.text else {}


def _accept_hand_in(request, form, module, assignment, size_guard) -> SubmissionVersion | None:
    """Validate the form, the file and the answer rules; hand in. Errors go onto the form's fields."""
    if size_guard is not None and "file" in size_guard.refusals and "file" in form.fields:
        form.add_error("file", size_guard.refusals["file"].message)
        return None
    if not form.is_valid():
        return None
    upload = form.cleaned_data.get("file")
    clean = None
    if upload:
        try:
            clean = validate_upload(upload, allowed_kinds=assignment.file_kinds, max_bytes=assignment.max_bytes)
        except UploadRefused as refusal:
            form.add_error("file", refusal.message)
            return None
    try:
        answer = services.check_answer(assignment, upload=clean, text=form.cleaned_data.get("text", ""))
        return services.submit(request.user, module, assignment, answer)
    except services.AssignmentError as error:
        form.add_error(error.field if error.field in form.fields else None, error.message)
        return None
    finally:
        if clean is not None:
            clean.close()


@login_required
@require_GET
def download(request, version_id: int):
    version = get_object_or_404(
        SubmissionVersion.objects.select_related("submission__learner", "submission__course"), pk=version_id
    )
    if not can_view_submission(request.user, version.submission):
        raise PermissionDenied
    if not version.file:
        raise Http404("this version has no file")
    # Uploads are untrusted: always a download (never rendered by the browser),
    # never sniffed into another type, never kept in a shared cache.
    response = FileResponse(
        version.file.open("rb"),
        as_attachment=True,
        filename=version.original_name or "upload",
        content_type=version.content_type or "application/octet-stream",
    )
    response["X-Content-Type-Options"] = "nosniff"
    response["Cache-Control"] = "private, no-store"
    return response


# --- Trainer ---------------------------------------------------------------------


def _require_queue(user):
    if not can_use_review_queue(user):
        raise PermissionDenied


def _filtered_queue(request, *, default_status: str = ""):
    """The reviewer's submissions narrowed by the GET filters, and the bound filter form."""
    reviewable = submissions_reviewable_by(request.user)
    courses = queue_courses(request.user, reviewable).order_by("title")
    schools = School.objects.filter(pk__in=reviewable.values("learner__shixun_profile__school")).order_by("name")
    data = request.GET if request.GET else {"status": default_status}
    form = QueueFilterForm(data, courses=courses, schools=schools)
    submissions = reviewable
    if form.is_valid():
        if form.cleaned_data["course"]:
            submissions = submissions.filter(course=form.cleaned_data["course"])
        if form.cleaned_data["school"]:
            submissions = submissions.filter(learner__shixun_profile__school=form.cleaned_data["school"])
        if form.cleaned_data["status"]:
            submissions = submissions.filter(status=form.cleaned_data["status"])
    return form, submissions


@login_required
@require_GET
def review_queue(request):
    _require_queue(request.user)
    # What needs doing first: work waiting for review, oldest first.
    form, submissions = _filtered_queue(request, default_status=Submission.Status.SUBMITTED)
    submissions = submissions.select_related(
        "learner__shixun_profile__school", "course", "module", "assignment", "current_version"
    ).order_by("updated_at", "pk")
    page = Paginator(submissions, QUEUE_PAGE_SIZE).get_page(request.GET.get("page"))
    assignments = Assignment.objects.filter(pk__in=submissions.values("assignment")).order_by("title")
    query = request.GET.copy()
    query.pop("page", None)
    return render(
        request,
        "assignments/review_queue.html",
        {"form": form, "page": page, "assignments": assignments, "filter_query": query.urlencode()},
    )


@login_required
@require_http_methods(["GET", "POST"])
def review_submission(request, submission_id: int):
    submission = get_object_or_404(
        Submission.objects.select_related(
            "learner__shixun_profile__school", "learner__shixun_profile__district", "course", "module", "assignment"
        ),
        pk=submission_id,
    )
    if not can_review_submission(request.user, submission):
        raise PermissionDenied
    versions = list(submission.versions.select_related("reviewed_by").order_by("-number"))
    form = ReviewForm(request.POST if request.method == "POST" else None, initial={"version": submission.version_count})
    if request.method == "POST" and form.is_valid():
        try:
            services.review(
                submission.pk,
                request.user,
                version_number=form.cleaned_data["version"],
                decision=form.cleaned_data["decision"],
                score=form.cleaned_data["score"],
                feedback=form.cleaned_data["feedback"],
            )
        except services.AssignmentError as error:
            form.add_error(error.field if error.field in form.fields else None, error.message)
        else:
            messages.success(request, _("Saved. The teacher will get an email."))
            return redirect(reverse("assignments:review_queue"))
    return render(
        request,
        "assignments/review_submission.html",
        {"submission": submission, "versions": versions, "form": form},
    )


@login_required
@require_GET
def download_zip(request, assignment_id: int):
    """Every file (and typed answer) of one assignment the reviewer may see, as one zip."""
    _require_queue(request.user)
    assignment = get_object_or_404(Assignment, pk=assignment_id)
    if not can_review_assignment(request.user, assignment):
        # Not even an empty zip: its file name would give the title away.
        raise Http404
    _form, submissions = _filtered_queue(request)
    submissions = (
        submissions.filter(assignment=assignment)
        .select_related("learner__shixun_profile__school", "module")
        .prefetch_related(Prefetch("versions", queryset=SubmissionVersion.objects.order_by("number")))
        .order_by(
            "learner__shixun_profile__school__name",
            "learner__shixun_profile__staff_number",
            "learner__shixun_profile__full_name",
            "pk",
        )
    )
    archive = build_submissions_zip(submissions)
    response = FileResponse(
        archive, as_attachment=True, filename=f"{assignment.title}.zip", content_type="application/zip"
    )
    response["X-Content-Type-Options"] = "nosniff"
    response["Cache-Control"] = "private, no-store"
    return response
