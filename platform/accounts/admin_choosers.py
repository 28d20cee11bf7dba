"""Snippet choosers that check the model's permissions, not only admin access.

Wagtail's snippet chooser views (/admin/snippets/choose/<app>/<model>/) ask
only that the user may enter the admin. Shixun lets district admins into the
admin (reports, the page explorer), so without this a district admin of any
district could list every quiz, question, assignment and H5P activity through
a chooser URL. A chooser is part of editing: whoever may add, change, delete or
view the model may use it; everyone else gets 403.

Use: ``chooser_viewset_class = PermissionCheckedChooserViewSet`` on a
``SnippetViewSet``.
"""

from django.core.exceptions import PermissionDenied
from wagtail.permission_policies import ModelPermissionPolicy
from wagtail.snippets.views import chooser

CHOOSER_ACTIONS = ("add", "change", "delete", "view")


def may_choose(user, model) -> bool:
    return ModelPermissionPolicy(model).user_has_any_permission(user, CHOOSER_ACTIONS)


class RequireModelPermissionMixin:
    def dispatch(self, request, *args, **kwargs):
        if not may_choose(request.user, self.model_class):
            raise PermissionDenied
        return super().dispatch(request, *args, **kwargs)


class ChooseView(RequireModelPermissionMixin, chooser.ChooseView):
    pass


class ChooseResultsView(RequireModelPermissionMixin, chooser.ChooseResultsView):
    pass


class ChosenView(RequireModelPermissionMixin, chooser.SnippetChosenView):
    pass


class ChosenMultipleView(RequireModelPermissionMixin, chooser.SnippetChosenMultipleView):
    pass


class CreateView(RequireModelPermissionMixin, chooser.SnippetCreateView):
    pass


class PermissionCheckedChooserViewSet(chooser.SnippetChooserViewSet):
    choose_view_class = ChooseView
    choose_results_view_class = ChooseResultsView
    chosen_view_class = ChosenView
    chosen_multiple_view_class = ChosenMultipleView
    create_view_class = CreateView
