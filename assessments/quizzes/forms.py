"""Admin forms of the question bank and quiz settings, and the trainer's grading form.

The admin forms check the whole question (the question and its inline options
together), so a trainer learns at once that a single-choice question has two
correct options, instead of a learner finding out.
"""

from django import forms
from django.utils.translation import gettext_lazy as _
from wagtail.admin.forms import WagtailAdminModelForm


def _live_inline_rows(formset) -> list[dict]:
    """The cleaned rows of an inline formset that will be kept (not deleted, not left empty)."""
    if not formset.is_valid():
        return []
    rows = []
    for form in formset.forms:
        data = getattr(form, "cleaned_data", None) or {}
        if not data or data.get("DELETE"):
            continue
        rows.append(data)
    return rows


class QuestionAdminForm(WagtailAdminModelForm):
    def clean(self):
        cleaned = super().clean()
        kind = cleaned.get("kind")
        options = [row for row in _live_inline_rows(self.formsets["options"]) if (row.get("text") or "").strip()]
        correct = sum(1 for row in options if row.get("is_correct"))
        if kind == "single":
            if len(options) < 2:
                self.add_error("kind", _("A single-choice question needs at least two options."))
            elif correct != 1:
                self.add_error("kind", _("A single-choice question needs exactly one correct option."))
        elif kind == "multiple":
            if len(options) < 2:
                self.add_error("kind", _("A multiple-choice question needs at least two options."))
            elif correct < 1:
                self.add_error("kind", _("Tick at least one correct option."))
        elif options:
            self.add_error("kind", _("Only choice questions have options: remove the options or change the type."))
        if kind == "true_false" and cleaned.get("true_false_answer") is None:
            self.add_error("true_false_answer", _("Say whether the statement is true or false."))
        if kind == "fill_blank" and not (cleaned.get("accepted_answers") or "").strip():
            self.add_error("accepted_answers", _("Enter at least one accepted answer."))
        return cleaned


class QuizAdminForm(WagtailAdminModelForm):
    def clean(self):
        cleaned = super().clean()
        mode = cleaned.get("selection_mode")
        fixed = _live_inline_rows(self.formsets["fixed_questions"])
        pools = _live_inline_rows(self.formsets["pools"])
        if mode == "fixed" and not fixed:
            self.add_error("selection_mode", _("Add at least one question, or choose random questions from pools."))
        if mode == "random" and not pools:
            self.add_error("selection_mode", _("Add at least one pool to draw questions from."))
        seen = set()
        for row in fixed:
            question = row.get("question")
            if question is not None and question.pk in seen:
                message = _("The question “%(question)s” is listed twice.") % {"question": question}
                self.add_error("selection_mode", message)
            if question is not None:
                seen.add(question.pk)
        return cleaned


class GradeForm(forms.Form):
    """A trainer's grade for one short answer: points up to the question's maximum, and a comment."""

    points = forms.DecimalField(label=_("Points"), min_value=0, decimal_places=1, max_digits=5)
    comment = forms.CharField(
        label=_("Comment for the learner"), required=False, widget=forms.Textarea(attrs={"rows": 3})
    )

    def __init__(self, *args, max_points, **kwargs):
        super().__init__(*args, **kwargs)
        self.max_points = max_points
        self.fields["points"].max_value = max_points
        self.fields["points"].widget.attrs.update(max=str(max_points), step="0.5")
        self.fields["points"].help_text = _("From 0 to %(max)s.") % {"max": max_points}

    def clean_points(self):
        points = self.cleaned_data["points"]
        if points > self.max_points:
            raise forms.ValidationError(_("At most %(max)s points.") % {"max": self.max_points})
        return points
