"""Snippet choosers that check the model's permissions, not only admin access.

Wagtail's snippet chooser views (/admin/snippets/choose/<app>/<model>/) ask
only that the user may enter the admin. Shixun lets district admins into the
admin (reports, the page explorer), so without this a district admin of any
district could list every quiz, question, assignment and H5P activity through
a chooser URL. A chooser is part of editing: whoever may add, change, delete or
view the model may use it; everyone else gets 403.

Their search box matches what is typed anywhere in the snippet viewset's
``search_fields`` (a database substring match, as the listings do with
``search_backend_name = None``), not through Wagtail's search backend: the
backend splits text into words at spaces and punctuation, so a Chinese title is
one long word and 课标 would not find 义务教育新课标解读; its autocomplete
matches only the start of a word, and a model without AutocompleteFields makes
it warn (RuntimeWarning) on every search.

Use: ``chooser_viewset_class = PermissionCheckedChooserViewSet`` on a
``SnippetViewSet``; its ``search_fields`` (plain text fields) are what the
chooser searches. Without them the chooser keeps Wagtail's own filter form.
"""

from functools import reduce
from operator import or_

from django.core.exceptions import PermissionDenied
from django.db.models import Q
from django.utils.functional import cached_property
from wagtail.admin.forms.choosers import BaseFilterForm, SearchFilterMixin
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


def substring_match(fields, text: str) -> Q:
    """Rows where `text` occurs anywhere in one of `fields` (case-insensitive for Latin letters).

    The whole text, like Wagtail's listing does without a search backend, so a
    chooser and its listing find the same rows for the same words.
    """
    return reduce(or_, (Q(**{f"{field}__icontains": text}) for field in fields))


class SubstringSearchFilterForm(BaseFilterForm):
    """A chooser's filter form whose search box is matched by `substring_match` over `search_fields`."""

    q = SearchFilterMixin.base_fields["q"]  # Wagtail's own search box: its label and translations
    search_fields: tuple[str, ...] = ()

    def filter(self, objects):
        objects = super().filter(objects)
        text = self.cleaned_data.get("q")
        if text:
            objects = objects.filter(substring_match(self.search_fields, text))
            self.is_searching = True
            self.search_query = text
        return objects


class SubstringSearchMixin:
    """Chooser views: search the snippet viewset's `search_fields` with SubstringSearchFilterForm."""

    @cached_property
    def search_fields(self) -> tuple[str, ...]:
        fields = getattr(getattr(self.model_class, "snippet_viewset", None), "search_fields", None)
        return tuple(fields) if isinstance(fields, (list, tuple)) else ()  # not declared: Wagtail's UNDEFINED

    def get_filter_form_class(self):
        if not self.search_fields or self.filter_form_class:
            return super().get_filter_form_class()
        return type("SubstringSearchFilterForm", (SubstringSearchFilterForm,), {"search_fields": self.search_fields})


class ChooseView(RequireModelPermissionMixin, SubstringSearchMixin, chooser.ChooseView):
    pass


class ChooseResultsView(RequireModelPermissionMixin, SubstringSearchMixin, chooser.ChooseResultsView):
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
