"""Admin wiring: course grading settings as a Wagtail snippet scoped to the trainer's courses, and links to grades."""

from django import forms
from django.urls import reverse
from django.utils.translation import gettext_lazy as _
from wagtail import hooks
from wagtail.admin.forms import WagtailAdminModelForm
from wagtail.admin.menu import MenuItem
from wagtail.admin.panels import ObjectList
from wagtail.admin.ui.menus.pages import PageMenuItem
from wagtail.snippets.models import register_snippet
from wagtail.snippets.views.snippets import SnippetViewSet

from shixun.accounts.admin_choosers import PermissionCheckedChooserViewSet
from shixun.accounts.admin_scoping import ObjectScopedViewSet

from .models import CourseCreditSettings
from .permissions import can_grade_course, courses_graded_by, may_open_grades


class CourseCreditSettingsForm(WagtailAdminModelForm):
    """Offers only the courses the user teaches, and refuses any other course posted by hand."""

    def __init__(self, *args, for_user=None, **kwargs):
        super().__init__(*args, for_user=for_user, **kwargs)
        if for_user is not None and "course" in self.fields:
            self.fields["course"].queryset = courses_graded_by(for_user).order_by("title")

    def clean_course(self):
        course = self.cleaned_data["course"]
        if self.for_user is not None and course is not None and not can_grade_course(self.for_user, course):
            raise forms.ValidationError(_("You can only configure the grading of courses you teach."))
        return course


class CourseCreditSettingsViewSet(ObjectScopedViewSet, SnippetViewSet):
    chooser_viewset_class = PermissionCheckedChooserViewSet  # Wagtail's chooser checks only admin access
    model = CourseCreditSettings
    icon = "success"
    menu_label = _("Grading and certificates")
    list_display = ["course", "pass_mark", "void_at_absent_days", "award_hours"]
    add_to_admin_menu = True
    edit_handler = ObjectList(CourseCreditSettings.panels, base_form_class=CourseCreditSettingsForm)

    def may_open(self, user, settings):
        """Another trainer's course's settings are simply not found (no hint that they exist)."""
        return can_grade_course(user, settings.course)

    def get_queryset(self, request):
        return CourseCreditSettings.objects.filter(course__in=courses_graded_by(request.user)).select_related("course")


register_snippet(CourseCreditSettingsViewSet)


class GradesMenuItem(MenuItem):
    def is_shown(self, request):
        return may_open_grades(request.user)


@hooks.register("register_admin_menu_item")
def grades_menu_item():
    return GradesMenuItem(
        _("Grades"), reverse("transcripts:grade_courses"), name="course-grades", icon_name="tasks", order=305
    )


class StudyReviewMenuItem(MenuItem):
    def is_shown(self, request):
        from .study_review import may_review

        return may_review(request.user)


@hooks.register("register_admin_menu_item")
def study_review_menu_item():
    return StudyReviewMenuItem(
        _("Study review"), reverse("transcripts:study_review"), name="study-review", icon_name="view", order=306
    )


class CourseGradesButton(PageMenuItem):
    label = _("Grades")
    icon_name = "tasks"
    url_name = "transcripts:grades"

    def is_shown(self, user):
        from shixun.courses.models import CoursePage

        if self.page.specific_class is not CoursePage:
            return False
        return can_grade_course(user, CoursePage.objects.get(pk=self.page.pk))


@hooks.register("register_page_listing_more_buttons")
def course_grades_listing_button(page, user, next_url=None):
    yield CourseGradesButton(page=page, priority=45)


@hooks.register("register_page_header_buttons")
def course_grades_header_button(page, user, view_name, next_url=None):
    yield CourseGradesButton(page=page, priority=45)
