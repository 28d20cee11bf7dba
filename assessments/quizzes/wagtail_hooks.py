"""Admin wiring: the question bank and quizzes as snippets under one "Quizzes" menu; the "quiz" activity kind."""

import django_filters
from django import forms
from django.utils.text import capfirst
from django.utils.translation import gettext_lazy as _
from taggit.models import Tag
from wagtail import hooks
from wagtail.admin.filters import WagtailFilterSet
from wagtail.snippets.models import register_snippet
from wagtail.snippets.views.snippets import SnippetViewSet, SnippetViewSetGroup

from shixun.accounts.admin_choosers import PermissionCheckedChooserViewSet
from shixun.courses.activities import ACTIVITY_KIND_HOOK, ActivityKind, PersonalData, ResultsEntry
from shixun.schools.personal_data import AUTHORSHIP, LEARNING_RECORD, rows

from .blocks import QuizBlock
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

    def get_queryset(self, request):
        # The listing shows each question's category: fetched with the page, not one query per row.
        return Question.objects.select_related("category")


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
    # A substring match in the database, like the question bank's: the search backend's autocomplete
    # matches only the start of a word, and Chinese has no spaces (accounts/admin_choosers.py).
    search_backend_name = None


class QuizzesGroup(SnippetViewSetGroup):
    items = (QuizViewSet, QuestionViewSet, QuestionCategoryViewSet)
    menu_icon = "list-ol"
    menu_label = _("Quizzes")
    menu_name = "quizzes"
    menu_order = 250


register_snippet(QuizzesGroup)


@hooks.register(ACTIVITY_KIND_HOOK)
def quiz_kind():
    return ActivityKind(
        key="quiz",
        label=_("Quiz"),
        block=QuizBlock,
        done=_("Done when a graded attempt reaches the quiz's pass mark."),
        results=ResultsEntry(
            "quizzes:manage", _("Quiz results and grading"), can_use_quiz_results, icon="tasks", order=260,
            menu_name="quiz-results",
        ),
        personal_data=(
            PersonalData("shixun_quizzes.Attempt", "learner", export=rows(), keep_reason=LEARNING_RECORD),
            PersonalData("shixun_quizzes.AttemptQuestion", "graded_by", keep_reason=AUTHORSHIP),
        ),
        access_rows="tests.security.matrix.QUIZ_ROWS",
    )


@hooks.register("register_shixun_pending_work")
def answers_waiting_for_grading(user):
    from django.urls import reverse
    from django.utils.translation import gettext

    from shixun.inbox.pending import PendingWork

    from .permissions import can_use_quiz_results
    from .reports import grading_queue

    if not can_use_quiz_results(user):
        return []
    return [PendingWork(gettext("Quiz answers to grade"), grading_queue(user).count(), reverse("quizzes:grading_queue"),
                        31)]
