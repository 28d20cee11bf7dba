from django import forms
from django.utils.translation import gettext_lazy as _

from shixun.courses.models import CoursePage

from .models import Submission
from .services import Decision


class HandInForm(forms.Form):
    """The learner's form. Only shape is checked here; the file and the answer rules are checked in the view."""

    file = forms.FileField(label=_("Your file"), required=False)
    text = forms.CharField(label=_("Your answer"), required=False, widget=forms.Textarea(attrs={"rows": 10}))

    def __init__(self, *args, assignment, **kwargs):
        super().__init__(*args, **kwargs)
        self.assignment = assignment
        if not assignment.accepts_file:
            del self.fields["file"]
        else:
            extensions = ",".join(f".{ext}" for kind in assignment.file_kinds for ext in kind.extensions)
            self.fields["file"].widget.attrs["accept"] = extensions
        if not assignment.accepts_text:
            del self.fields["text"]
        elif assignment.min_text_chars:
            self.fields["text"].widget.attrs["data-min-chars"] = assignment.min_text_chars


class ReviewForm(forms.Form):
    version = forms.IntegerField(widget=forms.HiddenInput, min_value=1)
    score = forms.IntegerField(label=_("Score (0-100)"), min_value=0, max_value=100, required=False)
    feedback = forms.CharField(
        label=_("Feedback for the teacher"), required=False, widget=forms.Textarea(attrs={"rows": 6}),
        max_length=5000,
    )
    decision = forms.ChoiceField(
        choices=[
            (Decision.ACCEPT, _("Accept")),
            (Decision.RETURN, _("Return for revision")),
            (Decision.COMMENT, _("Save feedback")),
        ]
    )


class QueueFilterForm(forms.Form):
    course = forms.ModelChoiceField(queryset=CoursePage.objects.none(), required=False, label=_("Course"),
                                    empty_label=_("All courses"))
    school = forms.ModelChoiceField(queryset=None, required=False, label=_("School"), empty_label=_("All schools"))
    status = forms.ChoiceField(required=False, label=_("Status"))

    def __init__(self, *args, courses, schools, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["course"].queryset = courses
        self.fields["school"].queryset = schools
        self.fields["status"].choices = [("", _("Every status")), *Submission.Status.choices]
