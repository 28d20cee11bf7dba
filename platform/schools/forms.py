from django import forms
from django.utils.translation import gettext_lazy as _

from . import exports, roster


class RosterUploadForm(forms.Form):
    file = forms.FileField(
        label=_("Teacher list"),
        help_text=_("CSV or Excel (.xlsx). The first row holds the column headers."),
        widget=forms.ClearableFileInput(attrs={"accept": ".csv,.xlsx,.txt"}),
    )

    def clean_file(self):
        upload = self.cleaned_data["file"]
        if upload.size > roster.MAX_FILE_BYTES:
            raise forms.ValidationError(
                _("The file is too large (at most %(mb)d MB).") % {"mb": roster.MAX_FILE_BYTES // (1024 * 1024)}
            )
        return upload


class TokenForm(forms.Form):
    token = forms.CharField(widget=forms.HiddenInput, max_length=2000)


class ExportForm(forms.Form):
    start = forms.DateField(label=_("From"), widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"))
    end = forms.DateField(label=_("To"), widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"))
    format = forms.ChoiceField(
        label=_("Format"),
        choices=exports.format_choices,  # a callable: read when the form is built, so a registered format shows
        widget=forms.RadioSelect,
        initial="xlsx",
    )

    def __init__(self, *args, schools=None, **kwargs):
        super().__init__(*args, **kwargs)
        if schools is not None:
            self.fields["school"] = forms.ModelChoiceField(
                label=_("School"), queryset=schools, required=False, empty_label=_("The whole district")
            )
            self.order_fields(["school", "start", "end", "format"])

    def clean(self):
        cleaned = super().clean()
        start, end = cleaned.get("start"), cleaned.get("end")
        if start and end and end < start:
            self.add_error("end", _("The end date is before the start date."))
        if start and end and (end - start).days > 366 * 10:
            self.add_error("end", _("Choose a period of at most ten years."))
        return cleaned


def _category_field():
    from shixun.courses.models import CourseCategory

    return forms.ModelChoiceField(
        label=_("Category"), queryset=CourseCategory.objects.all(), required=False,
        help_text=_("Leave empty if none fits."),
    )


class ExternalTrainingForm(forms.Form):
    title = forms.CharField(label=_("Training"), max_length=200)
    organiser = forms.CharField(label=_("Organiser"), max_length=200)
    level = forms.ChoiceField(label=_("Level"))
    start_date = forms.DateField(label=_("From"), widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"))
    end_date = forms.DateField(label=_("To"), widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"))
    hours = forms.DecimalField(label=_("Hours"), min_value=0.1, max_value=500, decimal_places=1)

    def __init__(self, *args, **kwargs):
        from .models import TrainingLevel

        super().__init__(*args, **kwargs)
        self.fields["level"].choices = TrainingLevel.choices
        self.fields["category"] = _category_field()

    def clean(self):
        cleaned = super().clean()
        if cleaned.get("start_date") and cleaned.get("end_date") and cleaned["end_date"] < cleaned["start_date"]:
            self.add_error("end_date", _("The end date is before the start date."))
        return cleaned


class TeacherExternalTrainingForm(ExternalTrainingForm):
    certificate = forms.FileField(
        label=_("Certificate"), required=False,
        help_text=_("A photo or PDF of the certificate (at most 10 MB)."),
        widget=forms.ClearableFileInput(attrs={"accept": ".pdf,.jpg,.jpeg,.png"}),
    )


class GroupCreditForm(ExternalTrainingForm):
    staff_numbers = forms.CharField(
        label=_("Staff numbers"), required=False, widget=forms.Textarea(attrs={"rows": 5}),
        help_text=_("One per line, or separated by commas."),
    )
    staff_file = forms.FileField(
        label=_("…or a file"), required=False, help_text=_("CSV or text file with one staff number per line.")
    )


class RejectForm(forms.Form):
    reason = forms.CharField(label=_("Reason"), widget=forms.Textarea(attrs={"rows": 2}), max_length=1000)
