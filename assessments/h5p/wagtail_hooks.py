from django.urls import reverse
from django.utils.translation import gettext_lazy as _
from wagtail import hooks
from wagtail.admin.menu import MenuItem
from wagtail.admin.panels import FieldPanel, MultiFieldPanel, ObjectList
from wagtail.snippets.models import register_snippet
from wagtail.snippets.views.snippets import SnippetViewSet

from accounts.admin_choosers import PermissionCheckedChooserViewSet

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


class ResultsMenuItem(MenuItem):
    def is_shown(self, request):
        return may_open_results(request.user)


@hooks.register("register_admin_menu_item")
def register_results_menu_item():
    return ResultsMenuItem(_("H5P results"), reverse("h5p:results"), icon_name="pick", order=900)
