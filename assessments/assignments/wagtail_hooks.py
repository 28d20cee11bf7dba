"""Admin wiring: the Assignment snippet's listing; the "assignment" activity kind (with its review queue)."""

from django.contrib import messages
from django.shortcuts import redirect
from django.urls import reverse
from django.utils.translation import gettext_lazy as _
from wagtail import hooks
from wagtail.snippets.models import register_snippet
from wagtail.snippets.views.snippets import SnippetViewSet

from shixun.accounts.admin_choosers import PermissionCheckedChooserViewSet
from shixun.courses.activities import ACTIVITY_KIND_HOOK, ActivityKind, PersonalData, ResultsEntry
from shixun.courses.models import ActivityStatus
from shixun.schools.personal_data import AUTHORSHIP

from .blocks import AssignmentBlock
from .models import Assignment, Submission
from .permissions import can_use_review_queue
from .personal_data import export_submissions, scrub_submissions


class AssignmentViewSet(SnippetViewSet):
    chooser_viewset_class = PermissionCheckedChooserViewSet  # Wagtail's chooser checks only admin access
    model = Assignment
    icon = "upload"
    menu_label = _("Assignments")
    list_display = ["title", "answer_mode", "due_date", "completion_rule"]
    list_filter = ["answer_mode", "completion_rule"]
    search_fields = ["title"]
    # A substring match in the database: the search backend's autocomplete matches only the start of
    # a word, and Chinese has no spaces (accounts/admin_choosers.py); the chooser matches the same way.
    search_backend_name = None


register_snippet(AssignmentViewSet)


@hooks.register("before_delete_snippet")
def keep_assignments_with_work(request, instances):
    """Teachers' work (and the credit it earned) hangs off an assignment: refuse to delete it, clearly.

    Submissions PROTECT their assignment, but Wagtail's reference index does not
    know them, so without this the delete would fail with a server error.
    """
    with_work = [obj for obj in instances if isinstance(obj, Assignment) and obj.submissions.exists()]
    if not with_work:
        return None
    messages.error(
        request,
        _("“%(title)s” cannot be deleted: teachers have handed in work for it. Remove it from the modules instead.")
        % {"title": with_work[0].title},
    )
    return redirect(reverse("wagtailsnippets_shixun_assignments_assignment:list"))


@hooks.register(ACTIVITY_KIND_HOOK)
def assignment_kind():
    return ActivityKind(
        key="assignment",
        label=_("Assignment"),
        block=AssignmentBlock,
        done=_("Done when the work is handed in, or when a trainer accepts it (the assignment's completion rule)."),
        results=ResultsEntry(
            "assignments:review_queue", _("Assignments to review"), can_use_review_queue, icon="upload", order=310,
            menu_name="assignment-review", header_label=_("Work to review"),
        ),
        personal_data=(
            PersonalData("shixun_assignments.Submission", "learner", export=export_submissions,
                         erase=scrub_submissions),
            PersonalData("shixun_assignments.SubmissionVersion", "reviewed_by", keep_reason=AUTHORSHIP),
        ),
        access_rows="tests.security.matrix.ASSIGNMENT_ROWS",
        # The step says what the hand-in page says. An assignment is in progress only when a trainer returned
        # it (services.review): handing in makes it waiting or done.
        status_labels={
            ActivityStatus.IN_PROGRESS: Submission.Status.RETURNED.label,
            ActivityStatus.WAITING: Submission.Status.SUBMITTED.label,
        },
    )


@hooks.register("register_shixun_pending_work")
def work_waiting_for_review(user):
    from django.urls import reverse
    from django.utils.translation import gettext

    from shixun.inbox.pending import PendingWork

    from .models import Submission
    from .permissions import can_use_review_queue, submissions_reviewable_by

    if not can_use_review_queue(user):
        return []
    count = submissions_reviewable_by(user).filter(status=Submission.Status.SUBMITTED).count()
    return [PendingWork(gettext("Assignments to review"), count, reverse("assignments:review_queue"), 30)]
