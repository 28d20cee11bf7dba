from django import forms

from .models import ReportCriteria


class CriteriaForm(forms.ModelForm):
    class Meta:
        model = ReportCriteria
        fields = ["minimum_hours", "all_requirements_met", "minimum_grade"]
