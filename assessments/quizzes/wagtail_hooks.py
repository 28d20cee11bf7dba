"""Admin wiring: the question bank and quizzes as snippets under one "Quizzes" menu, and the results link."""

from django.urls import reverse
from django.utils.translation import gettext_lazy as _
from wagtail import hooks
from wagtail.admin.menu import MenuItem
from wagtail.snippets.models import register_snippet
from wagtail.snippets.views.snippets import SnippetViewSet, SnippetViewSetGroup

from accounts.admin_choosers import PermissionCheckedChooserViewSet

from .models import Question, QuestionCategory, Quiz
from .permissions import can_use_quiz_results


class QuestionViewSet(SnippetViewSet):
    chooser_viewset_class = PermissionCheckedChooserViewSet  # Wagtail's chooser checks only admin access
    model = Question
    icon = "help"
    menu_label = _("Question bank")
    list_display = ["__str__", "kind", "category", "points"]
    list_filter = {"category": ["exact"], "kind": ["exact"], "tags": ["exact"]}
    search_fields = ["text"]
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
