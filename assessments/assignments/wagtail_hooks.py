"""Admin wiring: the Assignment snippet's listing, and the review queue in the admin menu."""

from django.contrib import messages
from django.shortcuts import redirect
from django.urls import reverse
from django.utils.translation import gettext_lazy as _
from wagtail import hooks
from wagtail.admin.menu import MenuItem
from wagtail.snippets.models import register_snippet
from wagtail.snippets.views.snippets import SnippetViewSet

from accounts.admin_choosers import PermissionCheckedChooserViewSet

from .models import Assignment
from .permissions import can_use_review_queue


class AssignmentViewSet(SnippetViewSet):
    chooser_viewset_class = PermissionCheckedChooserViewSet  # Wagtail's chooser checks only admin access
    model = Assignment
    icon = "upload"
    menu_label = _("Assignments")
    list_display = ["title", "answer_mode", "due_date", "completion_rule"]
    list_filter = ["answer_mode", "completion_rule"]
    search_fields = ["title"]


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


class ReviewQueueMenuItem(MenuItem):
    def is_shown(self, request):
        return can_use_review_queue(request.user)


@hooks.register("register_admin_menu_item")
def review_queue_menu_item():
    return ReviewQueueMenuItem(
        _("Assignments to review"), reverse("assignments:review_queue"), name="assignment-review", icon_name="upload",
        order=310,
    )
