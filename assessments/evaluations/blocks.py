"""The module block that places a course evaluation (declared as the "evaluation" activity kind)."""

from django.utils.translation import gettext_lazy as _
from wagtail.snippets.blocks import SnippetChooserBlock

from shixun.courses.blocks import ActivityBlock


class EvaluationBlock(ActivityBlock):
    kind = "evaluation"
    target_field = "evaluation_template"
    evaluation_template = SnippetChooserBlock("shixun_evaluations.EvaluationTemplate", label=_("Evaluation form"))

    class Meta:
        icon = "pick"
        label = _("Course evaluation")
        template = "evaluations/blocks/evaluation.html"
