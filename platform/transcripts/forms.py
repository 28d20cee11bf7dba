from django import forms
from django.forms import inlineformset_factory
from django.utils.translation import gettext_lazy as _

from .models import CategoryMinimum, PeriodKind, RequirementRule


class RequirementRuleForm(forms.ModelForm):
    class Meta:
        model = RequirementRule
        fields = [
            "name",
            "teacher_categories",
            "period_kind",
            "cycle_start_year",
            "cycle_years",
            "minimum_hours",
            "counted_category",
            "active",
            "sort_order",
        ]
        widgets = {"teacher_categories": forms.CheckboxSelectMultiple}

    def __init__(self, *args, district, **kwargs):
        super().__init__(*args, **kwargs)
        # The district is the admin's own, never a form field.
        self.instance.district = district

    def clean(self):
        cleaned = super().clean()
        if cleaned.get("period_kind") == PeriodKind.CYCLE:
            if not cleaned.get("cycle_start_year"):
                self.add_error("cycle_start_year", _("A multi-year cycle needs the year its first cycle starts."))
            if not cleaned.get("cycle_years"):
                self.add_error("cycle_years", _("A multi-year cycle needs its length in years."))
        else:
            cleaned["cycle_start_year"] = cleaned["cycle_years"] = None
        name = cleaned.get("name")
        if name and (
            RequirementRule.objects.filter(district=self.instance.district, name=name)
            .exclude(pk=self.instance.pk)
            .exists()
        ):
            self.add_error("name", _("Your district already has a rule with this name."))
        return cleaned

    def validate_unique(self):
        # district is not a form field; the duplicate-name case is checked in clean().
        pass


CategoryMinimumFormSet = inlineformset_factory(
    RequirementRule, CategoryMinimum, fields=["category", "minimum_hours"], extra=2, can_delete=True
)


class ReversalForm(forms.Form):
    reason = forms.CharField(
        label=_("Reason"),
        widget=forms.Textarea(attrs={"rows": 3}),
        max_length=1000,
        help_text=_("Why these hours are taken back. The teacher sees this on their transcript."),
    )
