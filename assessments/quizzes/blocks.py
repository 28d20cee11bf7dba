"""The module block that places a quiz (declared as the "quiz" activity kind in wagtail_hooks.py)."""

from django.utils.translation import gettext_lazy as _
from wagtail.snippets.blocks import SnippetChooserBlock

from shixun.courses.blocks import ActivityBlock


class QuizBlock(ActivityBlock):
    kind = "quiz"
    target_field = "quiz"
    quiz = SnippetChooserBlock("shixun_quizzes.Quiz", label=_("Quiz"))

    class Meta:
        icon = "list-ol"
        label = _("Quiz")
        template = "quizzes/blocks/quiz.html"
