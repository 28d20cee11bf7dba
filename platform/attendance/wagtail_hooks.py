"""Admin wiring: sessions as a Wagtail snippet scoped to the trainer's courses; the "attendance" activity kind."""

from django import forms
from django.utils.translation import gettext_lazy as _
from wagtail import hooks
from wagtail.admin.forms import WagtailAdminModelForm
from wagtail.admin.panels import ObjectList
from wagtail.snippets.models import register_snippet
from wagtail.snippets.views.snippets import SnippetViewSet

from shixun.accounts import admin_choosers
from shixun.accounts.admin_choosers import PermissionCheckedChooserViewSet
from shixun.accounts.admin_scoping import ObjectScopedViewSet
from shixun.courses.activities import ACTIVITY_KIND_HOOK, ActivityKind, PersonalData, ResultsEntry
from shixun.courses.dashboard_panels import DASHBOARD_PANEL_HOOK
from shixun.schools.personal_data import AUTHORSHIP, LEARNING_RECORD, rows

from .blocks import AttendanceBlock
from .models import Session
from .permissions import can_run_course_sessions, courses_run_by, may_run_sessions


class SessionForm(WagtailAdminModelForm):
    """Offers only the courses the user runs, and refuses any other course posted by hand."""

    def __init__(self, *args, for_user=None, **kwargs):
        super().__init__(*args, for_user=for_user, **kwargs)
        if for_user is not None and "course" in self.fields:
            self.fields["course"].queryset = courses_run_by(for_user).order_by("title")
        for name in ("sign_in_opens", "sign_in_closes"):
            if name in self.fields:
                self.fields[name].required = False
                self.fields[name].help_text = _("Empty: 30 minutes before and after the start.")

    def clean_course(self):
        course = self.cleaned_data["course"]
        if self.for_user is not None and course is not None and not can_run_course_sessions(self.for_user, course):
            raise forms.ValidationError(_("You can only schedule sessions of courses you teach."))
        return course



class _ScopedChoices:
    """A trainer chooses among their own courses' sessions only (a module places its own course's session)."""

    def get_object_list(self):
        return super().get_object_list().filter(course__in=courses_run_by(self.request.user))


class ScopedChooseView(_ScopedChoices, admin_choosers.ChooseView):
    pass


class ScopedChooseResultsView(_ScopedChoices, admin_choosers.ChooseResultsView):
    pass


class SessionChooserViewSet(PermissionCheckedChooserViewSet):
    choose_view_class = ScopedChooseView
    choose_results_view_class = ScopedChooseResultsView


class SessionViewSet(ObjectScopedViewSet, SnippetViewSet):
    chooser_viewset_class = SessionChooserViewSet  # model permission checked, and scoped to the trainer's courses
    model = Session
    icon = "group"
    menu_label = _("Sessions")
    menu_order = 270
    list_display = ["__str__", "course", "kind", "hours"]
    add_to_admin_menu = True
    edit_handler = ObjectList(Session.panels, base_form_class=SessionForm)

    def may_open(self, user, session):
        """Another trainer's course's session is simply not found."""
        return can_run_course_sessions(user, session.course)

    def get_queryset(self, request):
        return Session.objects.filter(course__in=courses_run_by(request.user)).select_related("course")


register_snippet(SessionViewSet)


@hooks.register(ACTIVITY_KIND_HOOK)
def attendance_kind():
    return ActivityKind(
        key="attendance",
        label=_("Attendance"),
        block=AttendanceBlock,
        done=_(
            "Done when the teacher attended the session (present or late). Approved leave excuses the absence "
            "but does not count as attendance: the module stays open until the trainer records attendance."
        ),
        results=ResultsEntry(
            "attendance:trainer_home", _("Sessions and attendance"), may_run_sessions, icon="group", order=270,
            menu_name="attendance", header_label=_("Sessions"),
        ),
        personal_data=(
            PersonalData("shixun_attendance.Attendance", "learner", export=rows(), keep_reason=LEARNING_RECORD),
            PersonalData("shixun_attendance.LeaveRequest", "learner", export=rows(), keep_reason=LEARNING_RECORD),
            PersonalData("shixun_attendance.AttendanceChange", "changed_by", keep_reason=AUTHORSHIP),
            PersonalData("shixun_attendance.LeaveRequest", "decided_by", keep_reason=AUTHORSHIP),
            PersonalData("shixun_attendance.Session", "trainers", keep_reason=AUTHORSHIP),
        ),
        access_rows="tests.attendance.access_rows.ROWS",
    )


@hooks.register(DASHBOARD_PANEL_HOOK)
def sessions_panel(request, today):
    """Trainers: today's sessions first. Teachers: the next sessions, with a reminder for tomorrow's."""
    from .dashboard import sessions_panel_html

    return sessions_panel_html(request, today)


@hooks.register("register_shixun_pending_work")
def work_waiting(user):
    """Leave waiting for this school admin's decision; today's sessions for their trainers."""
    from django.urls import reverse
    from django.utils import timezone
    from django.utils.translation import gettext

    from shixun.accounts.people import profile_of
    from shixun.inbox.pending import PendingWork

    from .models import LeaveRequest, LeaveStatus

    items = []
    profile = profile_of(user)
    if profile.is_school_admin and profile.school_id:
        count = LeaveRequest.objects.filter(
            status=LeaveStatus.PENDING, learner__shixun_profile__school_id=profile.school_id
        ).count()
        items.append(PendingWork(gettext("Leave requests to decide"), count, reverse("attendance:leave_requests"), 25))
    if profile.is_trainer:
        from django.db.models import Q

        today = (
            Session.objects.filter(Q(trainers=user) | Q(course__trainers=user), date=timezone.localdate())
            .distinct().count()
        )
        items.append(PendingWork(gettext("Sessions today"), today, reverse("attendance:trainer_home"), 5))
    return items
