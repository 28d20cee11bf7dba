"""Admin wiring: the question bank and quizzes as snippets under one "Quizzes" menu, and the results link."""

import django_filters
from django import forms
from django.urls import reverse
from django.utils.text import capfirst
from django.utils.translation import gettext_lazy as _
from taggit.models import Tag
from wagtail import hooks
from wagtail.admin.filters import WagtailFilterSet
from wagtail.admin.menu import MenuItem
from wagtail.snippets.models import register_snippet
from wagtail.snippets.views.snippets import SnippetViewSet, SnippetViewSetGroup

from accounts.admin_choosers import PermissionCheckedChooserViewSet

from .models import Question, QuestionCategory, QuestionTag, Quiz
from .permissions import can_use_quiz_results


def _question_tags(request):
    return Tag.objects.filter(pk__in=QuestionTag.objects.values("tag_id")).order_by("name")


class QuestionFilterSet(WagtailFilterSet):
    """Category, type and tags. django-filter cannot build a filter for a tag manager from
    `list_filter`, so the tag filter is declared: questions with any of the chosen tags."""

    tags = django_filters.ModelMultipleChoiceFilter(
        label=capfirst(_("tags")), queryset=_question_tags, method="filter_tags",
        widget=forms.CheckboxSelectMultiple,
    )

    class Meta:
        model = Question
        fields = {"category": ["exact"], "kind": ["exact"]}

    def filter_tags(self, queryset, name, value):
        # A subquery rather than a join, so a question with two of the chosen tags is listed once.
        if not value:
            return queryset
        return queryset.filter(pk__in=QuestionTag.objects.filter(tag__in=value).values("content_object_id"))


class QuestionViewSet(SnippetViewSet):
    chooser_viewset_class = PermissionCheckedChooserViewSet  # Wagtail's chooser checks only admin access
    model = Question
    icon = "help"
    menu_label = _("Question bank")
    list_display = ["__str__", "kind", "category", "points"]
    filterset_class = QuestionFilterSet
    search_fields = ["text"]
    # A substring match in the database: the search index's SQLite backend cannot limit a search
    # to one field (a server error), and a full-text index splits Chinese into no useful words.
    search_backend_name = None
    list_per_page = 50
    copy_view_enabled = True


class QuestionCategoryViewSet(SnippetViewSet):
    chooser_viewset_class = PermissionCheckedChooserViewSet  # Wagtail's chooser checks only admin access
    model = QuestionCategory
    icon = "folder-open-inverse"
    menu_label = _("Question categories")
    list_display = ["name", "sort_order"]


class QuizViewSet(SnippetViewSet):
    chooser_viewset_class = PermissionCheckedChooserViewSet  # Wagtail's chooser checks only admin access
    model = Quiz
    icon = "list-ol"
    menu_label = _("Quizzes")
    list_display = ["title", "selection_mode", "pass_mark_percent", "attempts_allowed", "time_limit_minutes"]
    search_fields = ["title"]


class QuizzesGroup(SnippetViewSetGroup):
    items = (QuizViewSet, QuestionViewSet, QuestionCategoryViewSet)
    menu_icon = "list-ol"
    menu_label = _("Quizzes")
    menu_name = "quizzes"
    menu_order = 250


register_snippet(QuizzesGroup)


class ResultsMenuItem(MenuItem):
    def is_shown(self, request):
        return can_use_quiz_results(request.user)


@hooks.register("register_admin_menu_item")
def register_results_menu_item():
    return ResultsMenuItem(
        _("Quiz results and grading"), reverse("quizzes:manage"), name="quiz-results", icon_name="tasks",
        order=260,
    )
