"""Admin wiring: district evaluation templates as a snippet scoped to the admin's district; the "evaluation" kind."""

from django import forms
from django.contrib import messages
from django.shortcuts import redirect
from django.urls import reverse
from django.utils.translation import gettext_lazy as _
from wagtail import hooks
from wagtail.admin.forms import WagtailAdminModelForm
from wagtail.admin.panels import FieldPanel, ObjectList
from wagtail.snippets.models import register_snippet
from wagtail.snippets.views.snippets import SnippetViewSet

from shixun.accounts.admin_choosers import PermissionCheckedChooserViewSet
from shixun.accounts.admin_scoping import ObjectScopedViewSet
from shixun.accounts.people import profile_of
from shixun.courses.activities import ACTIVITY_KIND_HOOK, ActivityKind, PersonalData, ResultsEntry
from shixun.courses.models import ActivityStatus
from shixun.schools.personal_data import LEARNING_RECORD, rows

from .blocks import EvaluationBlock
from .models import EvaluationTemplate
from .permissions import can_keep_template, can_see_results, template_districts


class EvaluationTemplateForm(WagtailAdminModelForm):
    """Offers only the districts the user keeps, and refuses any other district posted by hand."""

    def __init__(self, *args, for_user=None, **kwargs):
        super().__init__(*args, for_user=for_user, **kwargs)
        if for_user is not None and "district" in self.fields:
            districts = template_districts(for_user).order_by("name")
            self.fields["district"].queryset = districts
            if districts.count() == 1:
                self.fields["district"].initial = districts.first().pk

    def clean_district(self):
        district = self.cleaned_data["district"]
        if self.for_user is not None and not template_districts(self.for_user).filter(pk=district.pk).exists():
            raise forms.ValidationError(_("You can only keep your own district's evaluation templates."))
        return district


PANELS = [
    FieldPanel("district"),
    FieldPanel("title"),
    FieldPanel("intro"),
    FieldPanel("content_question"),
    FieldPanel("trainer_question"),
    FieldPanel("organisation_question"),
    FieldPanel("usefulness_question"),
    FieldPanel("comment_question"),
]


class EvaluationTemplateViewSet(ObjectScopedViewSet, SnippetViewSet):
    chooser_viewset_class = PermissionCheckedChooserViewSet  # Wagtail's chooser checks only admin access
    model = EvaluationTemplate
    icon = "pick"
    menu_label = _("Evaluation forms")
    menu_name = "evaluation-templates"
    menu_order = 330
    add_to_admin_menu = True
    list_display = ["title", "district"]
    search_fields = ["title"]
    search_backend_name = None
    edit_handler = ObjectList(PANELS, base_form_class=EvaluationTemplateForm)

    def may_open(self, user, template):
        """For a district admin, another district's template is simply not found (no hint that it exists).

        Trainers and reviewers only read templates (they place one in a module: the
        chooser lists them all); Wagtail's model permissions keep them from changing any.
        """
        return user.is_superuser or not profile_of(user).is_district_admin or can_keep_template(user, template)

    def get_queryset(self, request):
        templates = EvaluationTemplate.objects.select_related("district")
        user = request.user
        if not user.is_superuser and profile_of(user).is_district_admin:
            return templates.filter(district__in=template_districts(user))
        return templates  # read-only for trainers and reviewers (view permission); others are refused


register_snippet(EvaluationTemplateViewSet)


@hooks.register("before_delete_snippet")
def keep_templates_with_answers(request, instances):
    """Answers PROTECT their template; Wagtail's reference index does not know them: refuse clearly."""
    answered = [obj for obj in instances if isinstance(obj, EvaluationTemplate) and obj.responses.exists()]
    if not answered:
        return None
    messages.error(
        request,
        _("“%(title)s” cannot be deleted: learners have answered it. Remove it from the modules instead.")
        % {"title": answered[0].title},
    )
    return redirect(reverse("wagtailsnippets_shixun_evaluations_evaluationtemplate:list"))


@hooks.register(ACTIVITY_KIND_HOOK)
def evaluation_kind():
    return ActivityKind(
        key="evaluation",
        label=_("Course evaluation"),
        block=EvaluationBlock,
        done=_("Done when the learner has answered the evaluation (possible once the rest of the course is done)."),
        status_labels={ActivityStatus.DONE: _("Answered, thank you"), ActivityStatus.NOT_STARTED: _("Not answered")},
        results=ResultsEntry(
            "evaluations:results", _("Course evaluation results"), can_see_results, icon="pick", order=335,
            menu_name="evaluation-results", header_label=_("Evaluation results"),
        ),
        # Only the "has answered" record names a person; the answers themselves name nobody.
        personal_data=(
            PersonalData("shixun_evaluations.Answered", "user", export=rows(), keep_reason=LEARNING_RECORD),
        ),
        access_rows="tests.evaluations.access_rows.ROWS",
    )


@hooks.register("register_shixun_report_satisfaction")
def report_satisfaction():
    """The annual report's 学员满意度 (shixun.reports.providers): courses and trainers of the district's learners
    in the year, the overall average of the four ratings, only where the anonymity threshold is met."""
    from .results import satisfaction

    def rows(district, year):
        result = satisfaction(year=year, district=district)
        for course in result.courses:
            if course.shown:
                yield {"kind": "course", "name": course.title, "responses": course.responses,
                       "score": course.averages.overall}
        for trainer in result.trainers:
            if trainer.averages is not None:
                yield {"kind": "trainer", "name": trainer.name, "responses": trainer.responses,
                       "score": trainer.averages.overall}

    return rows
