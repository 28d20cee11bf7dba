"""Admin wiring: H5P activities as snippets; the "h5p" activity kind (with its results page); library approval."""

from django.urls import include, path, reverse
from django.utils.html import format_html
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from wagtail import hooks
from wagtail.admin.menu import MenuItem
from wagtail.admin.panels import FieldPanel, HelpPanel, MultiFieldPanel, ObjectList
from wagtail.snippets.models import register_snippet
from wagtail.snippets.views.snippets import SnippetViewSet

from shixun.accounts.admin_choosers import PermissionCheckedChooserViewSet
from shixun.courses.activities import ACTIVITY_KIND_HOOK, ActivityKind, PersonalData, ResultsEntry
from shixun.schools.personal_data import AUTHORSHIP, LEARNING_RECORD, delete_rows, rows

from .blocks import H5PBlock
from .forms import H5PActivityForm
from .models import H5PActivity, H5PLibraryRequest
from .permissions import may_open_results

# Wagtail imports every wagtail_hooks module when any process starts: the library views and the package
# machinery (which loads pyh5p and the archive checks) are imported where a hook or panel first runs.


class LibraryApprovalPanel(HelpPanel):
    """Tells the trainer when the activity's last package waits for, or was refused, library approval."""

    class BoundPanel(HelpPanel.BoundPanel):
        def __init__(self, **kwargs):
            super().__init__(**kwargs)
            from .packages import pending_request

            held = pending_request(self.instance) if self.instance.pk else None
            if held is None:
                self.content = ""
            elif held.status == H5PLibraryRequest.Status.PENDING:
                self.content = format_html(
                    '<p class="help-block help-warning" data-library-request="pending">{}</p>',
                    gettext(
                        "The package “%(file)s” is waiting for approval of the library %(libraries)s by an "
                        "administrator. Until then learners see the previous package, or a “not yet available” "
                        "notice."
                    ) % {"file": held.file_name, "libraries": held.library_list},
                )
            else:
                self.content = format_html(
                    '<p class="help-block help-critical" data-library-request="refused">{}</p>',
                    gettext(
                        "An administrator refused the library %(libraries)s of the package “%(file)s”; the file "
                        "was deleted. Upload a package that uses the site's installed libraries, or ask an "
                        "administrator."
                    ) % {"file": held.file_name, "libraries": held.library_list}
                    + (f" {held.note}" if held.note else ""),
                )

        def is_shown(self):
            return bool(self.content)


class H5PActivityViewSet(SnippetViewSet):
    chooser_viewset_class = PermissionCheckedChooserViewSet  # Wagtail's chooser checks only admin access
    model = H5PActivity
    icon = "pick"
    menu_label = _("H5P activities")
    list_display = ["title", "completion_rule", "pass_mark", "current_content"]
    search_fields = ["title"]
    edit_handler = ObjectList(
        [
            LibraryApprovalPanel(heading=_("Library approval")),
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


@hooks.register("register_admin_urls")
def library_approval_urls():
    from . import library_views

    patterns = [
        path("", library_views.index, name="index"),
        path("<int:pk>/approve/", library_views.approve, name="approve"),
        path("<int:pk>/refuse/", library_views.refuse, name="refuse"),
    ]
    return [path("h5p-libraries/", include((patterns, "h5p_libraries"), namespace="h5p_libraries"))]


class LibraryApprovalMenuItem(MenuItem):
    def is_shown(self, request):
        from .packages import may_install_libraries

        return may_install_libraries(request.user)


@hooks.register("register_admin_menu_item")
def library_approval_menu_item():
    return LibraryApprovalMenuItem(
        _("H5P libraries"), reverse("h5p_libraries:index"), name="h5p-libraries", icon_name="pick", order=910
    )


@hooks.register("register_log_actions")
def library_approval_log_actions(actions):
    from . import library_views

    actions.register_action(library_views.APPROVED_ACTION, _("Approve H5P library"), _("H5P library approved"))
    actions.register_action(library_views.REFUSED_ACTION, _("Refuse H5P library"), _("H5P library refused"))


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
            # Who asked for a library and who decided: an audit of shared code, like an upload.
            PersonalData("shixun_h5p.H5PLibraryRequest", "requested_by", keep_reason=AUTHORSHIP),
            PersonalData("shixun_h5p.H5PLibraryRequest", "decided_by", keep_reason=AUTHORSHIP),
            # xAPI statements carry the actor's name and email: they go.
            PersonalData("shixun_h5p.H5PStatement", "user", export=rows(), erase=delete_rows()),
            PersonalData("shixun_h5p.H5PResult", "user", export=rows(), keep_reason=LEARNING_RECORD),
        ),
        access_rows="tests.security.matrix.H5P_ROWS",
    )
