"""The course page's Wagtail edit form (imported by models.py: it imports no courses model at load time)."""

from django import forms
from django.contrib.auth import get_user_model
from django.db.models import Q
from django.utils.text import format_lazy
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
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
    """The course's edit form: trainers listed as trainers; beside the credit policy, what a change does
    once learners have progressed."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self._limit_trainers()
        self._explain_policy_change()

    def _limit_trainers(self):
        if "trainers" not in self.fields:
            return
        # A draft's instance comes from its revision: its relation is modelcluster's in-memory set, which
        # knows .all() but not values_list("pk").
        current = [user.pk for user in self.instance.trainers.all()] if self.instance.pk else ()
        field = self.fields["trainers"]
        self.fields["trainers"] = TrainerChoiceField(
            queryset=trainer_choices(current), required=False, label=field.label,
            widget=forms.CheckboxSelectMultiple,
            help_text=_("Trainers of this course: they grade it, see its results and run its sessions."),
        )

    def _explain_policy_change(self):
        field = self.fields.get("credit_policy")
        if field is None or not self.instance.pk:
            return
        from .models import ModuleCompletion

        learners = ModuleCompletion.objects.filter(course_id=self.instance.pk).values("user_id").distinct().count()
        if learners:
            # Not a refusal: a change is safe (each completion keeps the
            # policy it was made under), but the trainer should know that it
            # does not re-decide what learners have already completed.
            field.help_text = format_lazy(
                "{} {}",
                field.help_text,
                _(
                    "%(count)s learner(s) have already completed modules of this course: a change applies only "
                    "to modules completed after it is published."
                )
                % {"count": learners},
            )
