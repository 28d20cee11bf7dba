"""Thin views over attendance.services: trainers run sessions, teachers sign in and ask for leave, schools decide.

Object permission on every view: another course's session, another school's request answer 404.
A GET never writes: the scanned URL shows a confirm button; signing in is a POST.
"""

import segno
from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_http_methods, require_POST

from shixun.accounts.actors import NotPermitted
from shixun.config.compiled import CompiledValues
from shixun.courses.models import CoursePage, Enrolment

from . import exports, rules, services
from .models import AttendanceStatus, LeaveRequest, LeaveStatus, Session
from .permissions import (
    can_decide_leave,
    can_run_course_sessions,
    courses_run_by,
    leave_requests_for,
    may_decide_leave,
    may_run_sessions,
)


def _run_course_or_404(request, course_id) -> CoursePage:
    course = get_object_or_404(CoursePage, pk=course_id)
    if not can_run_course_sessions(request.user, course):
        raise Http404
    return course


def _run_session_or_404(request, session_id) -> Session:
    session = get_object_or_404(Session.objects.select_related("course"), pk=session_id)
    if not can_run_course_sessions(request.user, session.course):
        raise Http404
    return session


# --- Trainers ---------------------------------------------------------------------------------


@login_required
def trainer_home(request):
    """The trainer's sessions: today's first, then upcoming, then the last ones."""
    if not may_run_sessions(request.user):
        raise Http404
    today = timezone.localdate()
    sessions = Session.objects.filter(course__in=courses_run_by(request.user)).select_related("course")
    return render(request, "shixun/attendance/trainer_home.html", {
        "today_sessions": list(sessions.filter(date=today)),
        "upcoming": list(sessions.filter(date__gt=today)[:20]),
        "past": list(sessions.filter(date__lt=today).order_by("-date", "-starts_at")[:20]),
        "courses": courses_run_by(request.user).order_by("title"),
    })


@login_required
def course_sessions(request, course_id):
    course = _run_course_or_404(request, course_id)
    return render(request, "shixun/attendance/course_sessions.html", {
        "course": course, "sessions": Session.objects.filter(course=course),
    })


class SessionForm(forms.ModelForm):
    meeting_link = forms.URLField(label=gettext_lazy("meeting link"), required=False, assume_scheme="https")

    class Meta:
        model = Session
        fields = ["title", "kind", "venue", "meeting_link", "date", "starts_at", "ends_at", "hours",
                  "sign_in_opens", "sign_in_closes", "sign_out_opens", "sign_out_closes", "code_seconds"]
        widgets = {
            "date": forms.DateInput(attrs={"type": "date"}),
            **{name: forms.TimeInput(attrs={"type": "time"}, format="%H:%M")
               for name in ("starts_at", "ends_at", "sign_in_opens", "sign_in_closes", "sign_out_opens",
                            "sign_out_closes")},
        }
        help_texts = {"sign_in_opens": gettext_lazy("Empty: 30 minutes before and after the start.")}


@login_required
@require_http_methods(["GET", "POST"])
def session_form(request, course_id=None, session_id=None):
    if session_id is not None:
        session = _run_session_or_404(request, session_id)
        course = session.course
    else:
        course = _run_course_or_404(request, course_id)
        session = Session(course=course)
    form = SessionForm(request.POST or None, instance=session)
    if request.method == "POST" and form.is_valid():
        try:
            services.save_session(request.user, form.instance,
                                  trainers=None if session_id else [request.user])
        except ValidationError as error:
            form.add_error(None, error)
        else:
            messages.success(request, _("The session is saved."))
            return redirect("attendance:course_sessions", course.pk)
    return render(request, "shixun/attendance/session_form.html", {"form": form, "course": course,
                                                                   "session": session if session.pk else None})


@login_required
def show_code(request, session_id):
    """The rotating QR code (and short code) for the projector or the trainer's phone; reloads at each step."""
    session = _run_session_or_404(request, session_id)
    now = timezone.now()
    step = rules.current_step(session, now)
    url = request.build_absolute_uri(reverse("attendance:scan", args=[rules.token_for(session, step)]))
    qr = segno.make(url, error="m")
    response = render(request, "shixun/attendance/show_code.html", {
        "session": session,
        "svg": qr.svg_inline(scale=8, border=2, omitsize=True),
        "scan_url": url,
        "short_code": rules.short_code_for(session, step),
        "refresh": rules.seconds_to_next_step(session, now),
        "window": rules.window_now(session, now),
        "type_code_url": request.build_absolute_uri(reverse("attendance:type_code")),
    })
    response["Cache-Control"] = "no-store"  # a cached page would show an expired code
    return response


@login_required
@require_http_methods(["GET", "POST"])
def class_list_view(request, session_id):
    session = _run_session_or_404(request, session_id)
    errors = {}
    if request.method == "POST":
        learner_id = request.POST.get("learner", "")
        learner = next((row.learner for row in services.class_list(session)
                        if str(row.learner.pk) == learner_id), None)
        if learner is None:
            raise Http404
        try:
            services.mark(request.user, session, learner, request.POST.get("status", ""),
                          reason=request.POST.get("reason", ""), paper=request.POST.get("paper") == "1")
        except (services.AttendanceError, NotPermitted) as error:
            errors[learner.pk] = error.message
        else:
            messages.success(request, _("Attendance saved."))
            return redirect(reverse("attendance:class_list", args=[session.pk]) + f"#l{learner.pk}")
    rows = services.class_list(session)
    counts = {}
    for row in rows:
        counts[row.standing.status] = counts.get(row.standing.status, 0) + 1
    return render(request, "shixun/attendance/class_list.html", {
        "session": session, "rows": rows, "errors": errors, "statuses": AttendanceStatus.choices,
        "ended": rules.has_ended(session), "counts": [(label, counts.get(value, 0))
                                                      for value, label in AttendanceStatus.choices],
        "unmarked": counts.get(None, 0),
    }, status=400 if errors else 200)


@login_required
def sign_in_sheet(request, session_id):
    session = _run_session_or_404(request, session_id)
    pdf = exports.sign_in_sheet_pdf(session, services.enrolled_learners(session.course_id))
    response = HttpResponse(pdf, content_type="application/pdf")
    response["Content-Disposition"] = f'inline; filename="sign-in-{session.pk}.pdf"'
    return response


@login_required
def course_export(request, course_id, fmt):
    course = _run_course_or_404(request, course_id)
    if fmt == "csv":
        body, content_type = exports.course_csv(course), "text/csv; charset=utf-8"
    elif fmt == "xlsx":
        body = exports.course_xlsx(course)
        content_type = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    else:
        raise Http404
    response = HttpResponse(body, content_type=content_type)
    response["Content-Disposition"] = f'attachment; filename="attendance-{course.pk}.{fmt}"'
    return response


# --- Teachers ---------------------------------------------------------------------------------


@login_required
@require_http_methods(["GET", "POST"])
def scan(request, token):
    """The URL in the QR code: GET shows the session and a big sign-in button; POST signs in."""
    error = None
    session = None
    try:
        session, _step, _mac = services.session_for_token(token)
    except services.AttendanceError as problem:
        error = problem.message
    if request.method == "POST" and session is not None:
        try:
            result = services.sign_in_with_token(request.user, token)
        except services.AttendanceError as problem:
            error = problem.message
        else:
            return _signed_in(request, result)
    elif session is not None:
        # Tell before the button is pressed what will go wrong (nothing is written by a GET).
        try:
            rules.check_token(session, _step, _mac)
            services.check_can_sign_in(request.user, session)
        except rules.CodeProblem as problem:
            error = str(problem)
        except services.AttendanceError as problem:
            error = problem.message
    return render(request, "shixun/attendance/scan.html", {
        "session": session, "error": error, "token": token,
    }, status=400 if error and request.method == "POST" else 200)


def _signed_in(request, result):
    if result.action == rules.SIGN_OUT:
        messages.success(request, _("Signed out of “%(title)s” at %(time)s.") % {
            "title": result.attendance.session.title,
            "time": f"{timezone.localtime(result.attendance.signed_out_at):%H:%M}"})
    else:
        messages.success(request, _("Signed in to “%(title)s” at %(time)s.") % {
            "title": result.attendance.session.title,
            "time": f"{timezone.localtime(result.attendance.signed_in_at):%H:%M}"})
    return redirect("attendance:my_sessions")


@login_required
@require_http_methods(["GET", "POST"])
def type_code(request):
    """Six digits typed by hand (a phone that cannot scan, or a scan that expired)."""
    error = None
    session = None
    session_id = request.GET.get("session") or request.POST.get("session")
    if session_id and session_id.isdigit():
        # Only a session of the teacher's own courses (another course's session names nothing here).
        session = Session.objects.filter(
            pk=int(session_id), course__enrolments__user=request.user,
            course__enrolments__status=Enrolment.Status.ACTIVE,
        ).select_related("course").first()
    if request.method == "POST":
        try:
            result = services.sign_in_with_short_code(request.user, request.POST.get("code", ""), session=session)
        except services.AttendanceError as problem:
            error = problem.message
        else:
            return _signed_in(request, result)
    return render(request, "shixun/attendance/type_code.html", {"session": session, "error": error},
                  status=400 if error else 200)


def _sessions_of(user_id):
    return (
        Session.objects.filter(course__enrolments__user_id=user_id, course__enrolments__status=Enrolment.Status.ACTIVE)
        .select_related("course")
        .order_by("date", "starts_at")
    )


# The learner's sessions with their course pages (~50 columns through two tables): the ORM built this SQL on
# every view of the page (issue 18); compiled once per connection, the same instances.
_MY_SESSIONS = CompiledValues(_sessions_of, user_id=-2_073_180_311)


@login_required
def my_sessions(request):
    today = timezone.localdate()
    sessions = _MY_SESSIONS.models(user_id=request.user.pk)
    marks = {a.session_id: a for a in request.user.attendances.filter(session__in=sessions)}
    leaves = {}
    for leave in request.user.leave_requests.filter(session__in=sessions).order_by("pk"):
        leaves[leave.session_id] = leave
    rows = [{"session": s, "attendance": marks.get(s.pk), "leave": leaves.get(s.pk),
             "can_ask_leave": not rules.has_started(s) and (
                 leaves.get(s.pk) is None or leaves[s.pk].status in (LeaveStatus.REFUSED, LeaveStatus.WITHDRAWN))}
            for s in sessions]
    return render(request, "shixun/attendance/my_sessions.html", {
        "upcoming": [r for r in rows if r["session"].date >= today],
        "past": [r for r in rows if r["session"].date < today][::-1],
    })


def _enrolled_session_or_404(request, session_id) -> Session:
    session = get_object_or_404(Session.objects.select_related("course"), pk=session_id)
    if not Enrolment.objects.filter(user=request.user, course=session.course, status=Enrolment.Status.ACTIVE).exists():
        raise Http404
    return session


@login_required
@require_http_methods(["GET", "POST"])
def leave_form(request, session_id):
    session = _enrolled_session_or_404(request, session_id)
    error = None
    if request.method == "POST":
        try:
            services.request_leave(request.user, session, request.POST.get("reason", ""))
        except services.AttendanceError as problem:
            error = problem.message
        else:
            messages.success(request, _("Your leave request was sent to your school."))
            return redirect("attendance:my_sessions")
    return render(request, "shixun/attendance/leave_form.html", {
        "session": session, "error": error, "reason": request.POST.get("reason", ""),
    }, status=400 if error else 200)


@login_required
@require_POST
def leave_withdraw(request, leave_id):
    leave = get_object_or_404(LeaveRequest, pk=leave_id, learner=request.user)
    try:
        services.withdraw_leave(request.user, leave)
    except services.AttendanceError as problem:
        messages.error(request, problem.message)
    else:
        messages.success(request, _("Your leave request was withdrawn."))
    return redirect("attendance:my_sessions")


# --- School admins ----------------------------------------------------------------------------


@login_required
def leave_requests(request):
    if not may_decide_leave(request.user):
        raise Http404
    requests = leave_requests_for(request.user).select_related(
        "session__course", "learner__shixun_profile__school", "decided_by__shixun_profile").order_by("-requested_at")
    return render(request, "shixun/attendance/leave_requests.html", {
        "pending": [r for r in requests if r.status == LeaveStatus.PENDING],
        "decided": [r for r in requests if r.status != LeaveStatus.PENDING][:50],
    })


@login_required
@require_POST
def leave_decide(request, leave_id):
    leave = get_object_or_404(LeaveRequest.objects.select_related("learner__shixun_profile"), pk=leave_id)
    if not can_decide_leave(request.user, leave):
        raise Http404
    decision = request.POST.get("decision")
    if decision not in ("approve", "refuse"):
        messages.error(request, _("Choose approve or refuse."))
        return redirect("attendance:leave_requests")
    try:
        services.decide_leave(request.user, leave, approve=decision == "approve", note=request.POST.get("note", ""))
    except services.AttendanceError as problem:
        messages.error(request, problem.message)
    else:
        messages.success(request, _("Leave approved.") if decision == "approve" else _("Leave refused."))
    return redirect("attendance:leave_requests")
