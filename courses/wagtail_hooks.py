"""Wagtail admin wiring for courses."""

from django.contrib import messages
from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied
from django.shortcuts import redirect
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from wagtail import hooks
from wagtail.admin.menu import MenuItem

from shixun.config.media_files import remote_file_redirect

from .activities import ACTIVITY_KIND_HOOK, ActivityKind, activity_kinds
from .blocks import LESSON_KEY, VIDEO_KIND
from .documents import may_download_document
from .models import ModuleCompletion, ModulePage
from .moderation import confirm_review_action


def completions_under(page) -> int:
    """Completions recorded for a module or for any module of a course or catalogue below this page."""
    module_ids = ModulePage.objects.filter(path__startswith=page.path).values("pk")
    return ModuleCompletion.objects.filter(module_id__in=module_ids).count()


@hooks.register("before_delete_page")
def refuse_to_delete_completed_learning(request, page):
    """Completions are learners' credit: a module or course someone completed is unpublished, never deleted.

    Covers modules, courses and any page above them (a catalogue); the PROTECT
    foreign keys would refuse anyway, but with a database error instead of advice.
    """
    count = completions_under(page)
    if not count:
        return None
    messages.error(
        request,
        _(
            "“%(title)s” cannot be deleted: learners have completed it %(count)s times and those hours are on "
            "their transcripts. Unpublish it instead."
        )
        % {"title": page.title, "count": count},
    )
    return redirect("wagtailadmin_explore", page.get_parent().pk)


@hooks.register("before_serve_document")
def only_readers_download_lesson_documents(document, request):
    """/documents/<id>/<name> follows the module's reading rule (courses/documents.py), not "anyone with the link".

    Once allowed, a file on object storage is a redirect to a short-lived presigned URL (the store answers
    Range requests itself); a local file goes on to Wagtail's view and shixun.config.media_files.
    """
    if may_download_document(request.user, document):
        return remote_file_redirect(document.file, content_type=document.content_type,
                                    disposition=document.content_disposition)
    if not request.user.is_authenticated:
        return redirect_to_login(request.get_full_path())
    raise PermissionDenied


@hooks.register(ACTIVITY_KIND_HOOK)
def lesson_kind():
    """The lesson content of every module: implicit (no block), always required."""
    return ActivityKind(
        key=LESSON_KEY,
        label=gettext_lazy("Lesson"),
        done=gettext_lazy("Done when the learner opens the module."),
        access_rows="tests.security.matrix.LESSON_ROWS",
    )


@hooks.register(ACTIVITY_KIND_HOOK)
def video_kind():
    """Each tracked lesson video (a VideoBlock with a file, or a YouTube/Vimeo embed with its length): implicit
    (the block is content, not an activity block), always required, "video:<block id>" (video_progress.py)."""
    return ActivityKind(
        key=VIDEO_KIND,
        label=gettext_lazy("Video"),
        done=gettext_lazy("Done when the learner has watched the configured share of the video's timeline."),
        access_rows="tests.security.matrix.VIDEO_ROWS",
    )


@hooks.register("construct_main_menu")
def add_activity_results(request, menu_items):
    """Each activity kind's results page for trainers (ActivityKind.results), for those it is shown to."""
    for kind in activity_kinds():
        entry = kind.results
        if entry is not None and entry.shown_to(request.user):
            menu_items.append(
                MenuItem(entry.label, reverse(entry.url_name), name=entry.menu_name, icon_name=entry.icon,
                         order=entry.order)
            )


@hooks.register("after_edit_page")
def confirm_approval_from_the_editor(request, page):
    """Approving from the editor's action menu: Wagtail says only that the page was updated."""
    post = request.POST
    if post.get("action-workflow-action") and not post.get("action-publish") and not post.get("action-submit"):
        confirm_review_action(request, page, post.get("workflow-action-name", ""))


@hooks.register("register_shixun_pending_work")
def applications_waiting(user):
    """Applications waiting for this school admin's recommendation or this district admin's approval."""
    from shixun.accounts.people import profile_of
    from shixun.inbox.pending import PendingWork

    from .models import ApplicationStatus, EnrolmentApplication

    profile = profile_of(user)
    items = []
    if profile.is_school_admin and profile.school_id:
        count = EnrolmentApplication.objects.filter(
            school_id=profile.school_id, status=ApplicationStatus.SUBMITTED
        ).count()
        items.append(PendingWork(_("Course applications to recommend"), count, reverse("courses:applications"), 10))
    if profile.is_district_admin and profile.district_id:
        count = EnrolmentApplication.objects.filter(
            school__district_id=profile.district_id, status=ApplicationStatus.RECOMMENDED
        ).count()
        items.append(PendingWork(_("Course applications to approve"), count, reverse("courses:applications"), 10))
    return items
