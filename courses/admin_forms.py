"""The course page's Wagtail edit form (imported by models.py, so it imports no model at load time)."""

from django.utils.text import format_lazy
from django.utils.translation import gettext_lazy as _
from wagtail.admin.forms import WagtailAdminPageForm


class CoursePageForm(WagtailAdminPageForm):
    """The course's edit form: says, beside the credit policy, what a change does once learners have progressed."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
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
