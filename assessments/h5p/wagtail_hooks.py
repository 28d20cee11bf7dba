"""Admin wiring: H5P activities as snippets; the "h5p" activity kind (with its results page)."""

from django.utils.translation import gettext_lazy as _
from wagtail import hooks
from wagtail.admin.panels import FieldPanel, MultiFieldPanel, ObjectList
from wagtail.snippets.models import register_snippet
from wagtail.snippets.views.snippets import SnippetViewSet

from shixun.accounts.admin_choosers import PermissionCheckedChooserViewSet
from shixun.courses.activities import ACTIVITY_KIND_HOOK, ActivityKind, PersonalData, ResultsEntry
from shixun.schools.personal_data import AUTHORSHIP, LEARNING_RECORD, delete_rows, rows

from .blocks import H5PBlock
from .forms import H5PActivityForm
from .models import H5PActivity
from .permissions import may_open_results


class H5PActivityViewSet(SnippetViewSet):
    chooser_viewset_class = PermissionCheckedChooserViewSet  # Wagtail's chooser checks only admin access
    model = H5PActivity
    icon = "pick"
    menu_label = _("H5P activities")
    list_display = ["title", "completion_rule", "pass_mark", "current_content"]
    search_fields = ["title"]
    edit_handler = ObjectList(
        [
            FieldPanel("title"),
            FieldPanel("package"),
            MultiFieldPanel(
                [FieldPanel("completion_rule"), FieldPanel("pass_mark"), FieldPanel("score_may_complete")],
                heading=_("When is it done?"),
            ),
        ],
        base_form_class=H5PActivityForm,
    )


register_snippet(H5PActivityViewSet)


@hooks.register(ACTIVITY_KIND_HOOK)
def h5p_kind():
    return ActivityKind(
        key="h5p",
        label=_("H5P activity"),
        block=H5PBlock,
        done=_("Done when the player reports the activity completed, or passed (the activity's completion rule)."),
        results=ResultsEntry(
            "h5p:results", _("H5P results"), may_open_results, icon="pick", order=900, menu_name="h5p-results"
        ),
        personal_data=(
            PersonalData("shixun_h5p.H5PContent", "uploaded_by", keep_reason=AUTHORSHIP),
            # xAPI statements carry the actor's name and email: they go.
            PersonalData("shixun_h5p.H5PStatement", "user", export=rows(), erase=delete_rows()),
            PersonalData("shixun_h5p.H5PResult", "user", export=rows(), keep_reason=LEARNING_RECORD),
        ),
        access_rows="tests.security.matrix.H5P_ROWS",
    )
