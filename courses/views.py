"""Learner and admin pages of the courses app. Thin: rules live in enrolment.py, progress.py, permissions.py."""

import functools

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.db.models import Exists, OuterRef, Q
from django.http import Http404, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.template.loader import render_to_string
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST
from wagtail.admin.views.pages import workflow as wagtail_workflow
from wagtail.models import Site

from shixun.accounts.people import profile_of
from shixun.config.compiled import CompiledValues

from . import enrolment as services
from .certificate_links import certificates_for
from .dashboard_panels import dashboard_panels
from .deadlines import DueState, due_state, enrolment_date
from .forms import (
    ApplicationForm,
    AssignGroupForm,
    AssignTeachersForm,
    DecisionForm,
)
from .hours import hours_earned_in_year, pending_hours_for
from .models import (
    ApplicationStatus,
    AssignmentRule,
    CataloguePage,
    CoursePage,
    CreditPolicy,
    Enrolment,
    EnrolmentApplication,
    ModuleCompletion,
    ModulePage,
)
from .moderation import confirm_review_action
from .page_views import _child_urls, courses_with_totals, module_progress
from .permissions import (
    applications_to_decide,
    applications_visible_to,
    assignment_rules_visible_to,
    can_assign_courses,
)

# --- Learner dashboard (我的学习) -----------------------------------------------------


DASHBOARD_MODULE_FIELDS = ("pk", "title", "path", "url_path", "due_date", "done")


def _dashboard_modules(user_id, **where):
    """The live modules of n courses (`path0`, `depth0`, … the courses' paths and their children's depth)."""
    condition = Q()
    for i in range(len(where) // 2):
        condition |= Q(path__startswith=where[f"path{i}"], depth=where[f"depth{i}"])
    return (
        ModulePage.objects.filter(live=True)
        .filter(condition)
        .annotate(done=Exists(ModuleCompletion.objects.filter(user_id=user_id, module_id=OuterRef("pk"))))
        .order_by("path")
        .values(*DASHBOARD_MODULE_FIELDS)
    )


# Compiled once per connection for each number of courses a learner has (shixun.config.compiled): building
# its OR of path conditions and its EXISTS was most of the read's cost on every dashboard (issue 18). A
# learner in more courses than this is read through the ORM as before.
COMPILED_COURSE_COUNTS = 30
_DASHBOARD_MODULES: dict[int, CompiledValues] = {}


def _dashboard_modules_read(count: int) -> CompiledValues:
    compiled = _DASHBOARD_MODULES.get(count)
    if compiled is None:
        stand_ins = {}
        for i in range(count):
            stand_ins[f"path{i}"] = f"~compiled-dashboard-course-{i}~"
            stand_ins[f"depth{i}"] = 2_073_180_300 + i
        compiled = _DASHBOARD_MODULES.setdefault(
            count, CompiledValues(_dashboard_modules, user_id=-2_073_180_299, **stand_ins)
        )
    return compiled


def _modules_of(courses, learner):
    """Live modules of several courses in one query, grouped by course id, as dicts with `done` for the learner."""
    if not courses:
        return {}
    by_path = {c.path: c.pk for c in courses}
    where = {}
    for i, course in enumerate(courses):
        where[f"path{i}"], where[f"depth{i}"] = course.path, course.depth + 1
    if len(courses) <= COMPILED_COURSE_COUNTS:
        modules = _dashboard_modules_read(len(courses)).values(user_id=learner.pk, **where)
    else:
        modules = _dashboard_modules(learner.pk, **where)
    grouped = {c.pk: [] for c in courses}
    steplen = ModulePage.steplen
    for module in modules:
        grouped[by_path[module["path"][:-steplen]]].append(module)
    return grouped


def _active_enrolments(user_id):
    return (
        Enrolment.objects.filter(user_id=user_id, status=Enrolment.Status.ACTIVE, course__live=True)
        .select_related("course")
        .order_by("enrolled_at")
    )


# The dashboard's enrolments with their courses (a course page's ~50 columns through two tables): the ORM built
# this SQL on every dashboard, ~a fifth of its CPU (issue 18); compiled once per connection, the same instances.
_ACTIVE_ENROLMENTS = CompiledValues(_active_enrolments, user_id=-2_073_180_307)


def dashboard_courses(user, today, request=None):
    enrolments = _ACTIVE_ENROLMENTS.models(user_id=user.pk)
    courses = [e.course for e in enrolments]
    modules = _modules_of(courses, user)
    rows = []
    for enrolment in enrolments:
        course_modules = modules[enrolment.course_id]
        remaining = [m for m in course_modules if not m["done"]]
        due_dates = sorted(m["due_date"] for m in remaining if m["due_date"])
        done = len(course_modules) - len(remaining)
        due_now = due_state(
            due_dates[0] if due_dates else None,
            done=False, enrolled_on=enrolment_date(enrolment.enrolled_at), today=today,
        )
        course_url = enrolment.course.get_url(request)
        next_module = remaining[0] if remaining else None
        if next_module is not None:
            # Built from the course's URL as the course page builds its modules' links (no page instance).
            next_module = {
                **next_module,
                "url": _child_urls(course_url, enrolment.course.url_path, [next_module], request)[next_module["pk"]],
            }
        rows.append({
            "course": enrolment.course,
            "course_url": course_url,
            "enrolment": enrolment,
            "module_count": len(course_modules),
            "done_count": done,
            "percent": round(100 * done / len(course_modules)) if course_modules else 0,
            "next_module": next_module,
            "complete": bool(course_modules) and not remaining,
            "due": due_dates[0] if due_dates else None,
            "overdue": due_now == DueState.OVERDUE,
            "due_before_enrolment": due_now == DueState.BEFORE_ENROLMENT,
        })
    # Overdue first (oldest first), then by the next due date, then undated; finished courses last.
    rows.sort(key=lambda r: (r["complete"], not r["overdue"], r["due"] is None, r["due"] or today, r["course"].title))
    return rows


@login_required
def dashboard(request):
    today = timezone.localdate()
    rows = dashboard_courses(request.user, today, request)
    # Most learners have no open application: a compiled check first (shixun.config.compiled), the list and its
    # courses only when there is one. Building the list's query cost more than the dashboard's other reads.
    applications = (
        list(_open_applications(request.user.pk).select_related("course").order_by("-submitted_at")[:10])
        if _OPEN_APPLICATION.values(user_id=request.user.pk)
        else []
    )
    first_todo = next((r for r in rows if not r["complete"] and r["next_module"]), None)
    certificates = certificates_for(request.user, [r["course"].pk for r in rows if r["complete"]])
    # Hours held until the course is passed (待考核): asked only for courses
    # under that policy with a module done, so other dashboards cost no query.
    pending = pending_hours_for(
        request.user,
        [r["course"].pk for r in rows if r["done_count"] and r["course"].credit_policy == CreditPolicy.ON_PASS],
    )
    for row in rows:
        row["certificate"] = certificates.get(row["course"].pk)
        row["pending_hours"] = pending.get(row["course"].pk)
    # Looked up only if the template shows it (nothing to do, or no course yet), at most once.
    catalogue = functools.cache(_catalogue_url)
    return render(request, "courses/dashboard.html", {
        "rows": rows,
        "first_todo": first_todo,
        "applications": applications,
        "hours_this_year": hours_earned_in_year(request.user, today.year),
        "year": today.year,
        "catalogue_url": catalogue,
        "panels": dashboard_panels(request, today),
    })


def _open_applications(user_id):
    return EnrolmentApplication.objects.filter(user_id=user_id).exclude(
        status__in=[ApplicationStatus.WITHDRAWN, ApplicationStatus.APPROVED]
    )


_OPEN_APPLICATION = CompiledValues(lambda user_id: _open_applications(user_id).values("pk")[:1], user_id=-2_073_180_298)


def _catalogue_url():
    from .models import CataloguePage

    catalogue = CataloguePage.objects.live().order_by("path").first()
    return catalogue.url if catalogue else None


# --- Enrolment actions (POST) ----------------------------------------------------------


def catalogue(request):
    """The header's 课程中心 link: the first live catalogue of this site.

    A redirect, so the header (built on every page) costs no query to find it.
    """
    site = Site.find_for_request(request)
    pages = CataloguePage.objects.live().order_by("path")
    if site is not None:
        pages = pages.descendant_of(site.root_page, inclusive=True)
    page = pages.first()
    if page is None:
        raise Http404(_("There is no course catalogue yet."))
    return redirect(page.get_url(request))


def _live_course(pk):
    return get_object_or_404(CoursePage.objects.live(), pk=pk)


def _refused(request, error, course):
    messages.error(request, error.message)
    return redirect(course.url)


@login_required
@require_POST
def enrol(request, course_id):
    course = _live_course(course_id)
    try:
        services.enrol_self(request.user, course)
    except services.EnrolmentRefused as error:
        return _refused(request, error, course)
    messages.success(request, _("You are enrolled. Start with the first module."))
    return redirect(course.url)


@login_required
@require_http_methods(["GET", "POST"])
def withdraw(request, course_id):
    """GET asks first and changes nothing; the POST from that page withdraws."""
    course = _live_course(course_id)
    enrolment = services.active_enrolment(request.user, course)
    if enrolment is None:
        messages.info(request, _("You are not enrolled in this course."))
        return redirect(course.url)
    if request.method == "GET":
        # Hours already earned are never taken back: say so, so leaving a finished course is not feared or mistaken.
        earned = ModuleCompletion.objects.filter(user=request.user, course=course).exists()
        return render(request, "courses/withdraw_confirm.html", {"course": course, "earned": earned})
    try:
        services.withdraw(enrolment, actor=request.user)
    except services.EnrolmentRefused as error:
        return _refused(request, error, course)
    messages.success(request, _("You have left the course. Your progress is kept if you enrol again."))
    return redirect(course.url)


@login_required
@require_POST
def apply(request, course_id):
    course = _live_course(course_id)
    form = ApplicationForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Your reason is too long: keep it under 500 characters."))
        return redirect(course.url)
    try:
        services.apply(request.user, course, form.cleaned_data["motivation"])
    except services.EnrolmentRefused as error:
        return _refused(request, error, course)
    messages.success(request, _("Your application has been sent to your school."))
    return redirect(course.url)


@login_required
@require_POST
def withdraw_application(request, pk):
    application = get_object_or_404(EnrolmentApplication.objects.select_related("course"), pk=pk, user=request.user)
    try:
        services.withdraw_application(request.user, application)
    except services.EnrolmentRefused as error:
        return _refused(request, error, application.course)
    messages.success(request, _("Your application has been withdrawn."))
    return redirect(application.course.url)


# --- Admin pages: assigning and the application queue ------------------------------


def _require_admin(request):
    if not can_assign_courses(request.user):
        raise PermissionDenied


@login_required
def manage(request):
    _require_admin(request)
    courses = courses_with_totals(CoursePage.objects.live().select_related("category")).order_by("path")
    waiting = applications_to_decide(request.user).count()
    return render(request, "courses/manage.html", {"courses": courses, "waiting": waiting})


@login_required
def assign(request, course_id):
    _require_admin(request)
    course = _live_course(course_id)
    teachers_form = AssignTeachersForm(request.user, prefix="t")
    group_form = AssignGroupForm(request.user, prefix="g")
    if request.method == "POST":
        try:
            if "assign_teachers" in request.POST:
                teachers_form = AssignTeachersForm(request.user, request.POST, prefix="t")
                if teachers_form.is_valid():
                    result = services.assign_to_teachers(request.user, course, teachers_form.cleaned_data["teachers"])
                    _report_assignment(request, result)
                    return redirect("courses:assign", course_id=course.pk)
            elif "assign_group" in request.POST:
                group_form = AssignGroupForm(request.user, request.POST, prefix="g")
                if group_form.is_valid():
                    school, district = group_form.target_scope()
                    _rule, result = services.assign_to_group(
                        request.user, course, school=school, district=district,
                        category=group_form.cleaned_data["category"],
                        include_future=group_form.cleaned_data["include_future"],
                    )
                    _report_assignment(request, result)
                    return redirect("courses:assign", course_id=course.pk)
        except services.EnrolmentRefused as error:
            messages.error(request, error.message)
    visible = services.assignable_teachers(request.user)
    enrolled = (
        Enrolment.objects.filter(course=course, status=Enrolment.Status.ACTIVE, user__in=visible)
        .select_related("user", "user__shixun_profile__school")
        .order_by("user__shixun_profile__school__name", "user__shixun_profile__full_name")
    )
    rules = assignment_rules_visible_to(
        request.user,
        AssignmentRule.objects.filter(course=course, active=True).select_related("school", "district", "category"),
    )
    return render(request, "courses/assign.html", {
        "course": course, "teachers_form": teachers_form, "group_form": group_form,
        "enrolled": enrolled, "rules": rules,
    })


def _report_assignment(request, result):
    messages.success(
        request,
        _("%(new)s teachers enrolled; %(already)s were enrolled already.")
        % {"new": len(result.enrolled), "already": len(result.already)},
    )


@login_required
def applications(request):
    _require_admin(request)
    waiting = list(applications_to_decide(request.user).order_by("course__title", "submitted_at"))
    for application in waiting:
        application.step = "school" if application.status == ApplicationStatus.SUBMITTED else "district"
    history = (
        applications_visible_to(request.user)
        .exclude(status__in=[ApplicationStatus.SUBMITTED])
        .order_by("-submitted_at")[:50]
    )
    return render(request, "courses/applications.html", {
        "waiting": waiting, "history": history, "form": DecisionForm(),
    })


@login_required
@require_POST
def decide_application(request, pk):
    _require_admin(request)
    application = get_object_or_404(applications_visible_to(request.user), pk=pk)
    form = DecisionForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Choose whether to accept or refuse."))
        return redirect("courses:applications")
    accept = form.cleaned_data["decision"] == "yes"
    reason = form.cleaned_data["reason"]
    name = profile_of(application.user).display_name
    try:
        if application.status == ApplicationStatus.SUBMITTED:
            if accept:
                services.recommend(request.user, application)
                messages.success(request, _("%(name)s is recommended to the district.") % {"name": name})
            else:
                services.refuse_at_school(request.user, application, reason)
                messages.success(request, _("%(name)s's application is refused.") % {"name": name})
        elif application.status == ApplicationStatus.RECOMMENDED:
            if accept:
                services.approve(request.user, application)
                messages.success(request, _("%(name)s is approved and enrolled.") % {"name": name})
            else:
                services.refuse_at_district(request.user, application, reason)
                messages.success(request, _("%(name)s's application is refused.") % {"name": name})
        else:
            messages.info(request, _("This application has already been decided or withdrawn."))
    except services.EnrolmentRefused as error:
        messages.error(request, error.message)
    return redirect("courses:applications")


# Wagtail 8 renamed the page workflow action view; the 7.4 LTS calls it WorkflowAction.
_WagtailWorkflowAction = getattr(wagtail_workflow, "WorkflowActionView", None) or wagtail_workflow.WorkflowAction


class WorkflowActionView(_WagtailWorkflowAction):
    """Wagtail's workflow action (the dashboard's approve buttons), plus a confirmation for the reviewer."""

    def post(self, request, *args, **kwargs):
        response = super().post(request, *args, **kwargs)
        self.task_state.refresh_from_db()
        if self.task_state.status == self.task_state.STATUS_APPROVED:  # not when the modal form had errors
            confirm_review_action(request, self.object, self.action_name)
        return response


# --- A module's steps, for the page to update in place (courses/static/courses/steps.js) ----


def module_steps_json(request, module_id):
    """The enrolled learner's step list and next-step card of one module (GET, JSON; records nothing).

    Asked by the module page after an activity reports a result (H5P, video…)
    and when the learner comes back to the page, so the list and the next step
    are current without a reload. Someone else's module, or one the learner is
    not enrolled in, answers 404 like any foreign object.
    """
    if request.method != "GET":
        response = JsonResponse({"error": _("This address only answers GET.")}, status=405)
        response["Allow"] = "GET"
        return response
    if not request.user.is_authenticated:
        return JsonResponse({"error": _("You are no longer logged in. Log in again and reload the page.")}, status=403)
    not_found = JsonResponse(
        {"error": _("This module does not exist or you are not enrolled in its course.")}, status=404
    )
    module = ModulePage.objects.live().filter(pk=module_id).first()
    if module is None:
        return not_found
    course = module.get_course()
    if services.active_enrolment(request.user, course) is None:
        return not_found
    progress = module_progress(module, course, request.user, request)
    # The request goes in the context for {% pageurl %} only: no context processors (the header's
    # queries) for a fragment of the page.
    card = render_to_string("courses/includes/next_step.html", {**progress, "page": module, "request": request})
    response = JsonResponse({
        "module_completed": progress["module_completed"],
        "next_step": progress["next_step"]["key"] if progress["next_step"] else None,
        "steps": [
            {key: step[key] for key in ("key", "status", "status_label", "badge", "done")}
            for step in progress["steps"]
        ],
        "next_step_html": card,
    })
    response["Cache-Control"] = "no-store"  # always the current progress, never a cached one
    return response
