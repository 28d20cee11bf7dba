from django import forms
from django.utils.translation import gettext as _

from .models import Programme


class ProgrammeForm(forms.ModelForm):
    """The district's programme: dates, subjects, and the targets (pre-filled with the scheme's figures)."""

    class Meta:
        model = Programme
        fields = [
            "title", "start_date", "end_date", "subjects", "weekend_records_allowed", "min_working_days",
            "observations_per_day", "observations_total", "taught_lessons", "report_lessons",
            "research_activities", "class_activities", "reflections", "journal_min_chars", "reflection_min_chars",
            "report_min_chars", "report_due_days", "pass_mark", "absence_fail_days", "teacher_hours",
            "mentor_hours", "quota_per_school_stage", "max_age",
        ]
        widgets = {
            "start_date": forms.DateInput(attrs={"type": "date"}),
            "end_date": forms.DateInput(attrs={"type": "date"}),
            "subjects": forms.CheckboxSelectMultiple,
        }

    def clean(self):
        cleaned = super().clean()
        start, end = cleaned.get("start_date"), cleaned.get("end_date")
        if start and end and end < start:
            # On the field, so the model's own date constraint (with its English message) is not checked again.
            self.add_error("end_date", _("The last day is before the first day."))
        return cleaned
