"""The one place the "checklist" kind is declared; its snippet admin sits beside it."""

from wagtail import hooks
from wagtail.snippets.models import register_snippet
from wagtail.snippets.views.snippets import SnippetViewSet

from shixun.accounts.admin_choosers import PermissionCheckedChooserViewSet
from shixun.courses.activities import ACTIVITY_KIND_HOOK, ActivityKind, PersonalData
from shixun.courses.models import ActivityStatus
from shixun.schools.personal_data import delete_rows, rows

from .blocks import ChecklistBlock
from .models import Checklist


class ChecklistViewSet(SnippetViewSet):
    chooser_viewset_class = PermissionCheckedChooserViewSet
    model = Checklist


register_snippet(ChecklistViewSet)


@hooks.register(ACTIVITY_KIND_HOOK)
def checklist_kind():
    return ActivityKind(
        key="checklist",
        label="Checklist",
        block=ChecklistBlock,
        done="Done when the learner signs the checklist.",
        status_labels={ActivityStatus.DONE: "Signed", ActivityStatus.NOT_STARTED: "Not signed yet"},
        personal_data=(PersonalData("activity_kind_app.Signature", "user", export=rows(), erase=delete_rows()),),
        access_rows="tests.activity_kind_app.access_rows.ROWS",
    )
