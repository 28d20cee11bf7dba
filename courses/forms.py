from django import forms
from django.utils.translation import gettext_lazy as _

from shixun.accounts.models import District, TeacherCategory
from shixun.accounts.permissions import schools_visible_to

from .models import CourseCategory
from .permissions import assignable_teachers

HOURS_RANGES = {
    # value: (label, at least, less than)
    "lt10": (_("Under 10 hours"), None, 10),
    "10to20": (_("10 to 20 hours"), 10, 20),
    "20plus": (_("20 hours or more"), 20, None),
}


class ListedModelChoiceIterator(forms.models.ModelChoiceIterator):
    """Reads a short list of choices with one plain query.

    Django's default iterates the queryset with .iterator(), which on
    PostgreSQL is a server-side cursor (DECLARE, FETCH, CLOSE: three round
    trips) for a dozen rows, on every catalogue view.
    """

    def __iter__(self):
        if self.field.empty_label is not None:
            yield ("", self.field.empty_label)
        for obj in list(self.queryset):
            yield self.choice(obj)


class ListedModelChoiceField(forms.ModelChoiceField):
    iterator = ListedModelChoiceIterator


class CatalogueFilterForm(forms.Form):
    q = forms.CharField(label=_("Search"), required=False, max_length=100)
    category = ListedModelChoiceField(
        label=_("Category"), queryset=CourseCategory.objects.all(), to_field_name="slug", required=False,
        empty_label=_("All categories"),
    )
    audience = ListedModelChoiceField(
        label=_("For"), queryset=TeacherCategory.objects.all(), to_field_name="code", required=False,
        empty_label=_("All teachers"),
    )
    hours = forms.ChoiceField(
        label=_("Hours"), required=False,
        choices=[("", _("Any length"))] + [(value, label) for value, (label, _lo, _hi) in HOURS_RANGES.items()],
    )


class ApplicationForm(forms.Form):
    motivation = forms.CharField(
        label=_("Why do you want to take this course? (optional)"), required=False, max_length=500,
        widget=forms.Textarea(attrs={"rows": 3}),
    )


class DecisionForm(forms.Form):
    decision = forms.ChoiceField(choices=[("yes", _("Yes")), ("no", _("No"))])
    reason = forms.CharField(label=_("Reason (needed when refusing)"), required=False, max_length=500)


class AssignTeachersForm(forms.Form):
    teachers = forms.ModelMultipleChoiceField(
        label=_("Teachers"), queryset=None, widget=forms.CheckboxSelectMultiple,
        error_messages={"required": _("Choose at least one teacher.")},
    )

    def __init__(self, actor, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["teachers"].queryset = assignable_teachers(actor).select_related("school").order_by(
            "school__name", "full_name"
        )


class AssignGroupForm(forms.Form):
    """A whole school, or the whole district, optionally one teacher category, optionally standing."""

    WHOLE_DISTRICT = "district"

    target = forms.ChoiceField(label=_("Who"))
    category = forms.ModelChoiceField(
        label=_("Only teachers in this category"), queryset=TeacherCategory.objects.all(), required=False,
        empty_label=_("Every teacher"),
    )
    include_future = forms.BooleanField(
        label=_("Also teachers added later"), required=False,
        help_text=_("Teachers who join later (or join the category later) are enrolled automatically."),
    )

    def __init__(self, actor, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.actor = actor
        self.schools = {str(s.pk): s for s in schools_visible_to(actor)}
        choices = []
        if actor.is_superuser or actor.is_district_admin:
            choices += [(f"{self.WHOLE_DISTRICT}:{d.pk}", _("Every school in %(district)s") % {"district": d.name})
                        for d in self._districts()]
        choices += [(f"school:{pk}", school.name) for pk, school in self.schools.items()]
        self.fields["target"].choices = choices

    def _districts(self):
        if self.actor.is_superuser:
            return list(District.objects.all())
        return [self.actor.district]

    def target_scope(self):
        """(school, district): exactly one is set."""
        kind, _sep, pk = self.cleaned_data["target"].partition(":")
        if kind == "school":
            return self.schools[pk], None
        return None, District.objects.get(pk=pk)
