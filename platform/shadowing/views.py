"""Shadowing pages. Thin: permissions.py decides who sees what, services.py changes things.

Every page that shows a participation or a programme looks it up through
permissions (`participants_visible_to`, `can_view_programme`): anything
else answers 404, so a foreign record's existence is not revealed. A POST
whose service refuses re-renders the page with the message and the typed
text kept (status 400, or 403 when the role may look but not act).
"""

import csv
import io
from datetime import date

from django.contrib import messages
from django.contrib.auth import get_user_model
from django.contrib.auth.decorators import login_required
from django.db.models import Q
from django.http import FileResponse, Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.dateparse import parse_date
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from shixun.accounts.models import School, Subject
from shixun.accounts.people import profile_of
from shixun.spreadsheets.formulas import neutralise

from . import permissions as perm
from . import rules, services
from .models import (
    Activity,
    Attendance,
    BaseSchool,
    JournalDay,
    Leave,
    Observation,
    Participant,
    Programme,
    Stage,
    TaughtLesson,
    Writing,
)
from .services import ShadowingError, ShadowingNotPermitted

User = get_user_model()


def _participant(request, pk) -> Participant:
    queryset = Participant.objects.select_related(
        "programme", "programme__district", "teacher__shixun_profile", "mentor__shixun_profile",
        "base_school__school", "nominating_school", "subject",
    )
    return get_object_or_404(perm.participants_visible_to(request.user, queryset), pk=pk)


def _programme(request, pk) -> Programme:
    programme = get_object_or_404(Programme.objects.select_related("district"), pk=pk)
    if not perm.can_view_programme(request.user, programme):
        raise Http404
    return programme


def _day(value) -> date | None:
    try:
        return parse_date(value or "")
    except ValueError:
        return None


@login_required
@require_GET
def home(request):
    """Where each role starts: my own training, the teachers I guide, the programmes I run."""
    visible = perm.participants_visible_to(request.user, Participant.objects.select_related(
        "programme", "teacher__shixun_profile", "base_school__school"))
    mine = [p for p in visible if p.teacher_id == request.user.pk]
    guided = [p for p in visible if p.mentor_id == request.user.pk]
    programmes = [p for p in Programme.objects.select_related("district") if perm.can_view_programme(request.user, p)]
    profile = profile_of(request.user)
    can_open = profile.is_district_admin
    if len(mine) == 1 and not guided and not programmes and not can_open:
        return redirect("shadowing:workspace", pk=mine[0].pk)
    return render(request, "shixun/shadowing/home.html", {
        "mine": mine, "guided": guided, "programmes": programmes, "can_open": can_open,
    })


def _records(participant):
    return {
        "journal": list(JournalDay.objects.filter(participant=participant).order_by("-day")),
        "observations": list(Observation.objects.filter(participant=participant).order_by("-day", "-pk")),
        "lessons": list(TaughtLesson.objects.filter(participant=participant).order_by("-day", "-pk")),
        "activities": list(Activity.objects.filter(participant=participant).order_by("-day", "-pk")),
        "writings": list(Writing.objects.filter(participant=participant).order_by("-submitted_on", "-pk")),
        "leaves": list(Leave.objects.filter(participant=participant).order_by("-day")),
        "attendance": list(Attendance.objects.filter(participant=participant).order_by("-day")),
    }


def _workspace_context(request, participant, **extra):
    programme = participant.programme
    today = timezone.localdate()
    records = _records(participant)
    # Counted from the rows the page lists: six grouped queries and two more for the absences fewer.
    counts = services.counts_of_records(records)
    today_observations = sum(1 for o in records["observations"] if o.day == today)
    context = {
        "participant": participant,
        "programme": programme,
        "certificate": services.certificate_of(participant) if programme.is_closed and participant.passed else None,
        "is_holder": request.user.pk == participant.teacher_id,
        "teacher_profile": profile_of(participant.teacher),
        "targets": rules.progress(programme, counts),
        "unexcused": services.unexcused_of_records(records),
        "today": today,
        "today_ok": rules.record_day_error(programme, today) == "",
        "today_observations": today_observations,
        "today_journal": next((j for j in records["journal"] if j.day == today), None),
        "report_due": rules.report_due(programme),
        "is_teacher": perm.can_record(request.user, participant) and not programme.is_closed,
        "is_mentor": perm.can_guide(request.user, participant) and not programme.is_closed,
        "is_base_admin": perm.can_approve_leave_as_school(request.user, participant) and not programme.is_closed,
        "activity_kinds": Activity.Kind.choices,
        "posted": {},
        "error_form": "",
        "saved": request.GET.get("saved", ""),
        **records,
        **extra,
    }
    return context


@login_required
@require_GET
def workspace(request, pk):
    participant = _participant(request, pk)
    return render(request, "shixun/shadowing/workspace.html", _workspace_context(request, participant))


def _act(request, participant, form, action):
    """Run a service; on refusal re-render the workspace with the message and the typed values."""
    try:
        action()
    except ShadowingError as error:
        status = 403 if isinstance(error, ShadowingNotPermitted) else 400
        context = _workspace_context(
            request, participant, posted=request.POST, error_form=form, error_message=error.message
        )
        return render(request, "shixun/shadowing/workspace.html", context, status=status)
    messages.success(request, _("Saved."))
    return redirect(f"{reverse('shadowing:workspace', args=[participant.pk])}?saved={form}#{form}")


@login_required
@require_POST
def record(request, pk, form):
    """The visiting teacher's quick entries and the mentor's actions, one URL per form."""
    participant = _participant(request, pk)
    post, files, user = request.POST, request.FILES, request.user
    day = _day(post.get("day"))
    actions = {
        "journal": lambda: services.save_journal(user, participant, day=day, text=post.get("text")),
        "observation": lambda: services.add_observation(
            user, participant, day=day, class_name=post.get("class_name"), subject=post.get("subject"),
            observed_teacher=post.get("observed_teacher"), notes=post.get("notes"), photo=files.get("photo"),
        ),
        "lesson": lambda: services.add_lesson(
            user, participant, day=day, class_name=post.get("class_name"), topic=post.get("topic"),
            is_report_lesson=bool(post.get("is_report_lesson")), lesson_plan=files.get("lesson_plan"),
        ),
        "activity": lambda: services.add_activity(
            user, participant, day=day, kind=post.get("kind"), description=post.get("description")
        ),
        "writing": lambda: services.save_writing(
            user, participant, kind=post.get("kind"), title=post.get("title"), text=post.get("text")
        ),
        "leave": lambda: services.request_leave(user, participant, day=day, reason=post.get("reason")),
        "attendance": lambda: services.record_attendance(user, participant, day=day, status=post.get("status")),
        "comment": lambda: services.comment(
            user, participant, kind=post.get("kind"), record_id=post.get("record_id") or 0, text=post.get("text")
        ),
        "appraisal": lambda: services.appraise(
            user, participant, score=post.get("score"), appraisal=post.get("appraisal")
        ),
        "plan": lambda: services.save_plan(user, participant, text=post.get("text")),
        "guidance": lambda: services.save_guidance(user, participant, text=post.get("text")),
        "approve_leave": lambda: services.approve_leave(
            user, get_object_or_404(Leave, participant=participant, pk=post.get("leave_id") or 0)
        ),
    }
    if form not in actions:
        raise Http404
    return _act(request, participant, form, actions[form])


@login_required
@require_GET
def record_file(request, pk, kind, record_id):
    """An observation photo or a lesson plan, to those who may see the participation (never a public URL)."""
    participant = _participant(request, pk)
    if kind == "photo":
        record = get_object_or_404(Observation, participant=participant, pk=record_id)
        field, content_type = record.photo, record.photo_content_type
    elif kind == "plan":
        record = get_object_or_404(TaughtLesson, participant=participant, pk=record_id)
        field, content_type = record.lesson_plan, record.lesson_plan_content_type
    else:
        raise Http404
    if not field:
        raise Http404
    response = FileResponse(field.open("rb"), as_attachment=True, filename=field.name.rsplit("/", 1)[-1],
                            content_type=content_type or "application/octet-stream")
    response["X-Content-Type-Options"] = "nosniff"
    return response


@login_required
@require_GET
def mentor_home(request):
    """The mentor's workspace: the teachers they guide, each with the counters and what is still missing."""
    guided = list(Participant.objects.filter(mentor=request.user).select_related(
        "programme", "teacher__shixun_profile", "nominating_school"))
    counts = services.counts_for(guided)
    unexcused = services.unexcused_for(guided)
    rows = [
        {"participant": p, "targets": rules.progress(p.programme, counts[p.pk]), "unexcused": unexcused[p.pk],
         "pending_leave": Leave.objects.filter(participant=p, mentor_approved_by__isnull=True).count()}
        for p in guided
    ]
    return render(request, "shixun/shadowing/mentor.html", {"rows": rows})


# --- Programme (district and schools) --------------------------------------------------


def progress_rows(programme, participants):
    counts = services.counts_for(participants)
    unexcused = services.unexcused_for(participants)
    return [
        {"participant": p, "targets": rules.progress(programme, counts[p.pk]), "unexcused": unexcused[p.pk]}
        for p in participants
    ]


def _programme_participants(request, programme):
    queryset = Participant.objects.filter(programme=programme).select_related(
        "teacher__shixun_profile", "mentor__shixun_profile", "base_school__school", "nominating_school", "subject"
    )
    return list(perm.participants_visible_to(request.user, queryset))


@login_required
@require_GET
def programme_view(request, pk):
    programme = _programme(request, pk)
    participants = _programme_participants(request, programme)
    rows = progress_rows(programme, participants)
    workload: dict = {}
    for p in participants:
        if p.mentor_id:
            entry = workload.setdefault(p.mentor_id, {"mentor": p.mentor, "teachers": 0, "appraised": 0})
            entry["teachers"] += 1
            entry["appraised"] += p.appraised_at is not None
    profile = profile_of(request.user)
    return render(request, "shixun/shadowing/programme.html", {
        "programme": programme,
        "rows": rows,
        "labels": [t.label for t in rules.progress(programme, rules.Counts())],
        "workload": sorted(workload.values(), key=lambda w: -w["teachers"]),
        "missing_appraisals": [p for p in participants if p.mentor_id and p.appraised_at is None],
        "unplaced": [p for p in participants if p.mentor_id is None],
        "can_manage": perm.can_manage_programme(request.user, programme),
        "base_schools": [b for b in services.base_schools_of(programme) if perm.can_place(request.user, b)],
        "can_nominate": profile.is_school_admin and profile.school_id is not None
        and profile.school.district_id == programme.district_id and not programme.is_closed,
        "report_due": rules.report_due(programme),
        "base_report_due": rules.base_report_due(programme),
        "checklist": services.checklist(programme) if perm.can_manage_programme(request.user, programme) else [],
        "district_schools": School.objects.filter(district=programme.district_id).order_by("name"),
        "all_subjects": Subject.objects.all(),
        "places": services.places_of(programme),
    })


@login_required
@require_http_methods(["GET", "POST"])
def new_programme(request):
    """A district admin opens a programme (targets pre-filled with the scheme's figures)."""
    from shixun.accounts.permissions import can_administer_district

    from .forms import ProgrammeForm

    district = profile_of(request.user).district
    if district is None or not can_administer_district(request.user, district):
        raise Http404
    form = ProgrammeForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        fields = {name: value for name, value in form.cleaned_data.items()}
        try:
            programme = services.create_programme(request.user, district, **fields)
        except ShadowingError as error:
            form.add_error(None, error.message)
        else:
            messages.success(request, _("Programme opened. Now name its base schools and places."))
            return redirect("shadowing:programme", pk=programme.pk)
    return render(request, "shixun/shadowing/new_programme.html", {"form": form, "district": district},
                  status=400 if form.errors else 200)


@login_required
@require_POST
def add_place(request, pk):
    programme = _programme(request, pk)
    school = School.objects.filter(pk=request.POST.get("school") or 0).first()
    subject = Subject.objects.filter(pk=request.POST.get("subject") or 0).first()
    try:
        places = int(request.POST.get("places") or "")
    except ValueError:
        places = 0
    try:
        if school is None or subject is None:
            raise ShadowingError(_("Choose a school and a subject."))
        services.add_place(request.user, programme, school=school, subject=subject, places=places)
    except ShadowingError as error:
        messages.error(request, error.message)
    else:
        messages.success(request, _("Saved."))
    return redirect("shadowing:programme", pk=programme.pk)


@login_required
@require_POST
def close(request, pk):
    programme = _programme(request, pk)
    try:
        services.close_programme(request.user, programme)
    except ShadowingError as error:
        messages.error(request, error.message)
    else:
        messages.success(request, _("The programme is closed; hours have been credited to those who passed."))
    return redirect("shadowing:programme", pk=programme.pk)


def export_rows(programme, rows):
    header = [_("Teacher"), _("Nominating school"), _("Base school"), _("Mentor")]
    header += [str(t.label) for t in rules.progress(programme, rules.Counts())]
    header += [_("Unexcused absence (days)"), _("Score"), _("Appraisal written"), _("Result")]
    yield header
    for row in rows:
        p = row["participant"]
        values = [
            profile_of(p.teacher).display_name, str(p.nominating_school),
            str(p.base_school.school) if p.base_school_id else "",
            profile_of(p.mentor).display_name if p.mentor_id else "",
        ]
        values += [f"{t.done}/{t.target}" for t in row["targets"]]
        values += [row["unexcused"], "" if p.score is None else p.score, _("yes") if p.appraised_at else _("no"),
                   "" if p.passed is None else (_("passed") if p.passed else _("not passed"))]
        yield [neutralise(v) if isinstance(v, str) else v for v in values]


@login_required
@require_GET
def export(request, pk, fmt):
    if fmt not in ("csv", "xlsx"):
        raise Http404
    programme = _programme(request, pk)
    rows = progress_rows(programme, _programme_participants(request, programme))
    filename = f"shadowing-{programme.pk}"
    if fmt == "csv":
        response = HttpResponse(content_type="text/csv; charset=utf-8")
        response["Content-Disposition"] = f'attachment; filename="{filename}.csv"'
        response.write("\ufeff")  # Excel opens UTF-8 CSV as Chinese only with the BOM
        writer = csv.writer(response)
        for values in export_rows(programme, rows):
            writer.writerow(values)
        return response
    from shixun.spreadsheets.xlsx_stream import Workbook

    out = io.BytesIO()
    workbook = Workbook(out)
    sheet = workbook.add_sheet(_("Progress"))
    sheet.extend(export_rows(programme, rows))
    workbook.close()
    response = HttpResponse(out.getvalue(),
                            content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
    response["Content-Disposition"] = f'attachment; filename="{filename}.xlsx"'
    return response


@login_required
@require_http_methods(["GET", "POST"])
def nominate(request, pk):
    """A school admin nominates a teacher of their school (quota per stage and age limit in services)."""
    programme = _programme(request, pk)
    profile = profile_of(request.user)
    school = School.objects.filter(pk=profile.school_id).first() if profile.is_school_admin else None
    if school is None or school.district_id != programme.district_id:
        raise Http404
    teachers = User.objects.filter(shixun_profile__school=school).select_related("shixun_profile")
    error = ""
    if request.method == "POST":
        teacher = teachers.filter(pk=request.POST.get("teacher") or 0).first()
        subject = programme.subjects.filter(pk=request.POST.get("subject") or 0).first()
        if teacher is None or subject is None:
            error = _("Choose a teacher of your school and a subject of the programme.")
        else:
            try:
                services.nominate(request.user, programme, teacher=teacher, school=school,
                                  stage=request.POST.get("stage"), subject=subject,
                                  birth_date=_day(request.POST.get("birth_date")))
            except ShadowingError as refusal:
                error = refusal.message
            else:
                messages.success(request, _("Nominated."))
                return redirect("shadowing:programme", pk=programme.pk)
    return render(request, "shixun/shadowing/nominate.html", {
        "programme": programme, "school": school, "teachers": teachers, "subjects": programme.subjects.all(),
        "stages": Stage.choices, "error": error, "posted": request.POST,
    }, status=400 if error else 200)


@login_required
@require_http_methods(["GET", "POST"])
def place(request, pk, base_pk):
    """The base school (or the district) places nominated teachers and names each one's mentor."""
    programme = _programme(request, pk)
    base = get_object_or_404(BaseSchool.objects.select_related("school", "programme"), pk=base_pk, programme=programme)
    if not perm.can_place(request.user, base):
        raise Http404
    mentors = User.objects.filter(shixun_profile__school=base.school_id).select_related("shixun_profile")
    # Nominated teachers not yet placed, and those placed here: other base schools' placements are theirs.
    candidates = Participant.objects.filter(
        Q(base_school__isnull=True) | Q(base_school=base), programme=programme
    ).select_related(
        "teacher__shixun_profile", "mentor__shixun_profile", "nominating_school", "subject", "base_school")
    error = ""
    if request.method == "POST":
        participant = candidates.filter(pk=request.POST.get("participant") or 0).first()
        mentor = mentors.filter(pk=request.POST.get("mentor") or 0).first()
        if participant is None or mentor is None:
            error = _("Choose a nominated teacher and a mentor of the base school.")
        else:
            try:
                services.assign_mentor(request.user, participant, base, mentor)
            except ShadowingError as refusal:
                error = refusal.message
            else:
                messages.success(request, _("Mentor assigned."))
                return redirect("shadowing:place", pk=programme.pk, base_pk=base.pk)
    return render(request, "shixun/shadowing/place.html", {
        "programme": programme, "base": base, "mentors": mentors, "candidates": candidates,
        "places": base.places.select_related("subject"), "error": error,
    }, status=400 if error else 200)


@login_required
@require_http_methods(["GET", "POST"])
def base_report(request, pk, base_pk):
    """The base school's report (基地校总结): its admin writes it; the district reads it."""
    programme = _programme(request, pk)
    base = get_object_or_404(BaseSchool.objects.select_related("school", "programme", "report_submitted_by"),
                             pk=base_pk, programme=programme)
    can_write = perm.can_report_as_base_school(request.user, base)
    if not (can_write or perm.can_manage_programme(request.user, programme)):
        raise Http404
    error, text, status = "", base.report, 200
    if request.method == "POST":
        text = request.POST.get("text", "")
        try:
            services.submit_base_report(request.user, base, text=text)
        except ShadowingError as refusal:
            error = refusal.message
            status = 403 if isinstance(refusal, ShadowingNotPermitted) else 400
        else:
            messages.success(request, _("The report has been submitted."))
            return redirect("shadowing:base_report", pk=programme.pk, base_pk=base.pk)
    window_error = rules.base_report_error(programme, timezone.localdate())
    return render(request, "shixun/shadowing/base_report.html", {
        "programme": programme, "base": base, "can_write": can_write and not window_error,
        "window_error": window_error if can_write else "", "due": rules.base_report_due(programme),
        "error": error, "text": text,
    }, status=status)
