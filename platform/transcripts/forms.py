import uuid
from decimal import Decimal

from django import forms
from django.forms import inlineformset_factory
from django.utils import timezone
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


class ManualAdjustmentForm(forms.Form):
    title = forms.CharField(
        label=_("What the hours are for"),
        max_length=200,
        help_text=_("Shown on the teacher's transcript, e.g. “2023 summer face-to-face training (paper sign-in)”."),
    )
    hours = forms.DecimalField(
        label=_("Hours"),
        min_value=Decimal("0.5"),
        max_value=Decimal("500"),
        decimal_places=1,
        max_digits=5,
        error_messages={
            "min_value": _("Enter at least 0.5 hours. To take hours back, reverse an entry instead."),
            "max_value": _("More than 500 hours at once is not plausible: split it or check the number."),
            "max_decimal_places": _("Hours can have at most one decimal place."),
        },
    )
    category = forms.ModelChoiceField(
        label=_("Category"),
        queryset=None,
        required=False,
        empty_label=_("No particular category"),
        help_text=_("Choose one if the hours count towards a topic requirement (e.g. class-teacher training)."),
    )
    earned_on = forms.DateField(
        label=_("Date earned"),
        widget=forms.DateInput(attrs={"type": "date"}),
        help_text=_("The hours count in the period of this date."),
    )
    reason = forms.CharField(
        label=_("Reason"),
        widget=forms.Textarea(attrs={"rows": 3}),
        max_length=1000,
        help_text=_("Why these hours are added and what proves them. The teacher sees this on their transcript."),
    )
    # One key per opened form: a double click or a resent form posts the same key.
    request_key = forms.UUIDField(
        widget=forms.HiddenInput,
        initial=uuid.uuid4,
        error_messages={
            "required": _("This form has expired. Open it again and re-enter the adjustment."),
            "invalid": _("This form has expired. Open it again and re-enter the adjustment."),
        },
    )

    def __init__(self, *args, **kwargs):
        from shixun.courses.models import CourseCategory

        super().__init__(*args, **kwargs)
        self.fields["category"].queryset = CourseCategory.objects.order_by("sort_order", "name")

    def clean_earned_on(self):
        earned_on = self.cleaned_data["earned_on"]
        if earned_on > timezone.localdate():
            raise forms.ValidationError(_("The date earned cannot be in the future."))
        return earned_on
