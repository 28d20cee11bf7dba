"""The course's edit form in the Wagtail admin."""

from django import forms
from django.contrib.auth import get_user_model
from django.db.models import Q
from django.utils.translation import gettext
from django.utils.translation import gettext as _
from wagtail.admin.forms import WagtailAdminPageForm

from shixun.accounts.models import Role
from shixun.accounts.people import profile_of


class TrainerChoiceField(forms.ModelMultipleChoiceField):
    """Trainers by name with their school (or district) and role, so two 王芳 can be told apart."""

    def label_from_instance(self, user):
        profile = profile_of(user)
        place = profile.school or profile.district
        names = sorted(group.name for group in user.groups.all())  # prefetched: no query per person
        roles = gettext(", ").join(str(Role(name).label) for name in names if name in Role.values)
        return " · ".join(part for part in (profile.display_name, str(place) if place else "", roles) if part)


def trainer_choices(current=()):
    """People with the trainer role, and whoever the course already names (kept, not silently dropped)."""
    User = get_user_model()
    return (
        User.objects.filter(Q(groups__name=Role.TRAINER) | Q(pk__in=list(current)), is_active=True)
        .distinct()
        .select_related("shixun_profile__school", "shixun_profile__district")
        .prefetch_related("groups")
        .order_by("shixun_profile__full_name", "username")
    )


class CoursePageForm(WagtailAdminPageForm):
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if "trainers" in self.fields:
            current = self.instance.trainers.values_list("pk", flat=True) if self.instance.pk else ()
            field = self.fields["trainers"]
            self.fields["trainers"] = TrainerChoiceField(
                queryset=trainer_choices(current), required=False, label=field.label,
                widget=forms.CheckboxSelectMultiple,
                help_text=_("Trainers of this course: they grade it, see its results and run its sessions."),
            )
