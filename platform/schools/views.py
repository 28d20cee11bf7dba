"""School administration pages. Thin: the rules live in roster.py, first_login.py, personal_data.py."""

import csv

from django.contrib import messages
from django.contrib.auth import get_user_model
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import FileResponse, Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from shixun.accounts.first_login import issue_one_time_password
from shixun.accounts.models import District, School
from shixun.accounts.people import profile_of
from shixun.accounts.permissions import can_administer_district, can_administer_school
from shixun.inbox.pending import pending_work_for

from . import dashboard, printable_passwords, roster
from .charts import bar_chart_svg
from .forms import RosterUploadForm, TokenForm
from .models import ExportJob, ExternalTraining, RosterImport
from .permissions import may_erase_people_of, staff_account_ids
from .stored_uploads import StoredUploadInvalid, discard_upload, load_upload, store_upload

User = get_user_model()

ROSTER = "roster"


def administered_school(request, code) -> School:
    school = get_object_or_404(School.objects.select_related("district"), code=code)
    if not can_administer_school(request.user, school):
        raise PermissionDenied
    return school


@login_required
@require_http_methods(["GET", "POST"])
def roster_upload(request, code):
    """Step 1: upload, then see every row's outcome before anything is written."""
    school = administered_school(request, code)
    form = RosterUploadForm(request.POST or None, request.FILES or None)
    context = {"school": school, "form": form, "recent_imports": RosterImport.objects.filter(school=school)[:5]}
    if request.method == "POST" and form.is_valid():
        upload = form.cleaned_data["file"]
        data = upload.read()
        try:
            table = roster.read_table(data, upload.name)
        except roster.RosterFileError as error:
            form.add_error("file", error.message)
        else:
            plan = roster.plan_roster(school, table)
            token = store_upload(data, upload.name, purpose=ROSTER, school_id=school.pk, user_id=request.user.pk)
            context.update(plan=plan, confirm_form=TokenForm(initial={"token": token}), filename=upload.name)
    return render(request, "schools/roster_upload.html", context)


@login_required
@require_POST
def roster_import(request, code):
    """Step 2: import the previewed file, all or nothing."""
    school = administered_school(request, code)
    form = TokenForm(request.POST)
    try:
        if not form.is_valid():
            raise StoredUploadInvalid
        name, data, filename = load_upload(
            form.cleaned_data["token"], purpose=ROSTER, school_id=school.pk, user_id=request.user.pk
        )
    except StoredUploadInvalid:
        messages.error(request, _("That preview has expired or is not yours. Upload the file again."))
        return redirect("schools:roster", code=school.code)
    try:
        table = roster.read_table(data, filename)
        result = roster.import_roster(school, table, imported_by=request.user, request=request, preview=name)
    except roster.RosterAlreadyImported:
        messages.info(request, _("This file has already been imported."))
        return redirect("schools:roster", code=school.code)
    except roster.RosterHasErrors as refused:
        messages.error(request, _("Nothing was imported: the file has errors now. Correct them and upload it again."))
        return render(
            request,
            "schools/roster_upload.html",
            {"school": school, "form": RosterUploadForm(), "plan": refused.plan, "filename": filename},
        )
    except roster.RosterFileError as error:
        messages.error(request, error.message)
        return redirect("schools:roster", code=school.code)
    discard_upload(name)
    record = result.record
    if result.one_time_passwords:
        printable_passwords.keep(request.session, record.pk, [(u.pk, pw) for u, pw in result.one_time_passwords])
    messages.success(
        request,
        _("Import done: %(created)d new, %(updated)d updated, %(unchanged)d unchanged.")
        % {"created": len(result.created), "updated": len(result.updated), "unchanged": record.unchanged_count},
    )
    return render(
        request,
        "schools/roster_done.html",
        {"school": school, "result": result, "record": record},
    )


@login_required
@require_GET
def one_time_passwords(request, code, import_id):
    """The printable sheet of one-time passwords of one import (printable_passwords says how long it is kept)."""
    school = administered_school(request, code)
    record = get_object_or_404(RosterImport, pk=import_id, school=school)
    passwords = printable_passwords.still_needed(request.session, record.pk)
    people = (
        User.objects.filter(pk__in=passwords, shixun_profile__school=school)
        .select_related("shixun_profile")
        .order_by("shixun_profile__staff_number")
    )
    rows = [(person, passwords[person.pk]) for person in people]
    response = render(request, "schools/one_time_passwords.html", {
        "school": school, "rows": rows, "record": record,
        "minutes": int(printable_passwords.kept_for().total_seconds() // 60),
    })
    response["Cache-Control"] = "no-store"  # not in the browser's cache or history either
    return response


@login_required
@require_http_methods(["GET", "POST"])
def first_logins(request, code):
    """Teachers who have not chosen their own password yet; print new one-time passwords for some."""
    school = administered_school(request, code)
    pending = (
        User.objects.filter(shixun_profile__school=school, is_active=True)
        .filter(first_login__must_change_password=True)
        .select_related("shixun_profile")
        .order_by("shixun_profile__staff_number")
    )
    if request.method == "POST":
        chosen = pending.filter(pk__in=[v for v in request.POST.getlist("person") if v.isdigit()])
        rows = [(person, issue_one_time_password(person)) for person in chosen]
        if not rows:
            messages.error(request, _("Choose at least one teacher."))
            return redirect("schools:first_logins", code=school.code)
        return render(request, "schools/one_time_passwords.html", {"school": school, "rows": rows})
    return render(request, "schools/first_logins.html", {"school": school, "pending": pending})


@login_required
@require_GET
def roster_template(request, code):
    """An empty roster with the Chinese headers, as UTF-8 CSV with BOM so Excel opens it correctly."""
    school = administered_school(request, code)
    response = HttpResponse(content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="roster-{school.code}.csv"'
    response.write("\ufeff")
    writer = csv.writer(response)
    writer.writerow(["姓名", "工号", "手机", "邮箱", "类别", "学科", "入职日期"])
    writer.writerow(
        ["王秀英", "T0001", "13912345678", "wangxy@example.edu.cn", "在职教师、班主任", "语文", "2015-09-01"]
    )
    return response



# --- Dashboards -----------------------------------------------------------------


@login_required
@require_GET
def school_dashboard(request, code):
    from shixun.accounts.models import Subject, TeacherCategory

    from . import dashboard

    school = administered_school(request, code)
    filters = dashboard.Filters.from_query(request.GET)
    data = dashboard.school_dashboard(school, timezone.localdate(), filters, page_number=request.GET.get("page", 1))
    return render(
        request,
        "schools/school_dashboard.html",
        {
            "school": school,
            "dashboard": data,
            "filters": filters,
            "rule_columns": data.rules,
            "rows": [(row, _progress_cells(row, data.rules)) for row in dashboard.add_pending_hours(data.page_rows)],
            "page": data.page,
            "categories": TeacherCategory.objects.all(),
            "subjects": Subject.objects.filter(profiles__school=school).distinct(),
            "statuses": dashboard.STATUS_LABELS,
            "status_badges": dashboard.STATUS_BADGES,
            "sorts": dashboard.SORTS,
            "can_erase": may_erase_people_of(request.user, school),
            # Staff accounts get no erase link unless a superuser looks (one query for the whole table).
            "staff_ids": set() if request.user.is_superuser else staff_account_ids(school),
            "pending_work": pending_work_for(request.user),
            "pending_external": ExternalTraining.objects.filter(
                teacher__shixun_profile__school=school, status=ExternalTraining.Status.SUBMITTED
            ).count(),
            "chart": bar_chart_svg(
                data.courses,
                title=_("Completion by course"),
                detail=lambda bar: f"{bar.percent}% ({bar.completed}/{bar.enrolled})",
            ),
        },
    )


def _progress_cells(row, rules):
    """(rule, cell) per rule column: the rule names the value on a phone, where the table is cards."""
    cells = []
    for rule in rules:
        progress = row.progress_by_rule.get(rule.id)
        if progress is None:
            cells.append((rule, None))
        else:
            cells.append(
                (rule, (progress, dashboard.STATUS_LABELS[progress.status], dashboard.STATUS_BADGES[progress.status]))
            )
    return cells


@login_required
@require_GET
def district_dashboard(request, code):
    from . import dashboard

    district = get_object_or_404(District, code=code)
    if not can_administer_district(request.user, district):
        raise PermissionDenied
    data = dashboard.district_dashboard(district, timezone.localdate())
    chart = bar_chart_svg(
        data.schools,
        title=_("Teachers not behind, per school"),
        value=lambda figures: figures.compliance_percent,
        label=lambda figures: figures.school.name,
        detail=lambda figures: f"{figures.compliance_percent}%",
    )
    return render(request, "schools/district_dashboard.html", {
        "district": district, "dashboard": data, "chart": chart, "pending_work": pending_work_for(request.user),
    })


# --- Exports ----------------------------------------------------------------------


def _export_page(request, *, district, school, schools):
    from datetime import date

    from . import exports, jobs
    from .forms import ExportForm

    today = timezone.localdate()
    form = ExportForm(
        request.POST or None, schools=schools, initial={"start": date(today.year, 1, 1), "end": today}
    )
    if request.method == "POST" and form.is_valid():
        chosen = form.cleaned_data.get("school") or school
        if chosen is not None and not can_administer_school(request.user, chosen):
            raise PermissionDenied
        scope = exports.Scope(district=district, school=chosen)
        job, created = jobs.request_export(
            request.user, scope, form.cleaned_data["start"], form.cleaned_data["end"], form.cleaned_data["format"]
        )
        if not created:
            messages.info(request, _("This export is already being prepared; here is its progress."))
        return redirect("schools:export_job", job_id=job.pk)
    recent = ExportJob.objects.filter(requested_by=request.user, district=district)
    recent = recent.filter(school=school) if school else recent
    return render(
        request,
        "schools/export_form.html",
        {"form": form, "district": district, "school": school, "recent": recent.select_related("school")[:10]},
    )


@login_required
@require_http_methods(["GET", "POST"])
def school_exports(request, code):
    school = administered_school(request, code)
    return _export_page(request, district=school.district, school=school, schools=None)


@login_required
@require_http_methods(["GET", "POST"])
def district_exports(request, code):
    district = get_object_or_404(District, code=code)
    if not can_administer_district(request.user, district):
        raise PermissionDenied
    return _export_page(request, district=district, school=None, schools=district.schools.order_by("name"))


def _job_or_404(request, job_id) -> ExportJob:
    job = get_object_or_404(ExportJob.objects.select_related("district", "school"), pk=job_id)
    # Only the admin who asked, and only while they still administer what it covers.
    allowed = job.requested_by_id == request.user.pk and (
        can_administer_school(request.user, job.school)
        if job.school_id
        else can_administer_district(request.user, job.district)
    )
    if not allowed:
        raise Http404
    return job


@login_required
@require_GET
def export_job(request, job_id):
    job = _job_or_404(request, job_id)
    return render(request, "schools/export_job.html", _export_job_context(job))


def _export_job_context(job) -> dict:
    from .jobs import retention

    again = (
        reverse("schools:school_exports", args=[job.school.code])
        if job.school_id
        else reverse("schools:district_exports", args=[job.district.code])
    )
    return {"job": job, "retention_days": retention().days, "request_again_url": again}


@login_required
@require_GET
def export_download(request, job_id):
    from django.core.files.storage import storages

    from . import exports

    job = _job_or_404(request, job_id)
    if job.status in ExportJob.GONE or job.expired:
        # Gone for good (retention or an erasure): say so, rather than a bare "not found".
        return render(request, "schools/export_job.html", _export_job_context(job), status=410)
    if job.status != ExportJob.Status.DONE or not job.file:
        raise Http404
    storage = storages["private"]
    if not storage.exists(job.file):
        raise Http404
    scope = exports.Scope(district=job.district, school=job.school)
    return FileResponse(
        storage.open(job.file, "rb"),
        as_attachment=True,
        filename=exports.file_name(scope, job.start, job.end, job.format),
        content_type=exports.get_format(job.format).content_type,
    )


# --- Personal data -------------------------------------------------------------------


@login_required
@require_GET
def my_data(request):
    """Everything Shixun holds about the signed-in person, as a JSON file."""
    import json

    from .personal_data import export_person

    data = export_person(request.user)
    response = HttpResponse(
        json.dumps(data, ensure_ascii=False, indent=2), content_type="application/json; charset=utf-8"
    )
    response["Content-Disposition"] = f'attachment; filename="shixun-personal-data-{request.user.pk}.json"'
    return response


@login_required
@require_http_methods(["GET", "POST"])
def erase_person_view(request, person_id):
    from .permissions import can_erase_person, may_open_erasure_page
    from .personal_data import erase_person

    person = get_object_or_404(
        User.objects.select_related("shixun_profile__school", "shixun_profile__district"), pk=person_id
    )
    profile = profile_of(person)
    if not may_open_erasure_page(request.user, person):
        raise PermissionDenied
    allowed = can_erase_person(request.user, person)
    if request.method == "POST" and not allowed:
        raise PermissionDenied  # a staff account: the page explains who can erase it
    if not person.is_active and profile.full_name.startswith("已删除用户"):
        messages.info(request, _("This person's data has already been erased."))
    elif request.method == "POST":
        typed = request.POST.get("confirm", "").strip()
        if typed != (profile.staff_number or person.username):
            messages.error(request, _("Type the staff number exactly to confirm."))
        else:
            school, district = profile.school, profile.district
            erase_person(person, erased_by=request.user)
            messages.success(
                request, _("The person's personal data has been erased. Their credit records are kept anonymously.")
            )
            if school is not None:
                return redirect("schools:school_dashboard", code=school.code)
            if district is not None:  # e.g. a trainer, erased by a superuser who has no district
                return redirect("schools:district_dashboard", code=district.code)
            return redirect("/")
    return render(request, "schools/erase_person.html", {"person": person, "can_erase": allowed})


# --- Offline and external training (学分登记) ---------------------------------------------


@login_required
@require_http_methods(["GET", "POST"])
def my_external_training(request):
    """A teacher registers training done elsewhere and sees what became of earlier ones."""
    from shixun.assessments.uploads import FileKind, UploadRefused, validate_upload

    from . import offline
    from .forms import TeacherExternalTrainingForm

    form = TeacherExternalTrainingForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        data = dict(form.cleaned_data)
        upload = data.pop("certificate")
        try:
            if upload:
                with validate_upload(
                    upload, allowed_kinds=[FileKind.PDF, FileKind.IMAGE], max_bytes=offline.CERTIFICATE_MAX_BYTES
                ) as clean:
                    offline.submit(request.user, certificate=clean, **data)
            else:
                offline.submit(request.user, **data)
        except UploadRefused as refusal:
            form.add_error("certificate", refusal.message)
        except offline.ExternalTrainingError as error:
            form.add_error(None, error.message)
        else:
            messages.success(request, _("Registered. Your school will check it; the hours appear once approved."))
            return redirect("schools:my_external_training")
    records = ExternalTraining.objects.filter(teacher=request.user).select_related("category")
    return render(request, "schools/my_external_training.html", {"form": form, "records": records})


@login_required
@require_GET
def external_certificate(request, record_id):

    record = get_object_or_404(ExternalTraining.objects.select_related("teacher"), pk=record_id)
    from shixun.accounts.permissions import can_view_person

    if not can_view_person(request.user, record.teacher) or not record.certificate:
        raise Http404
    response = FileResponse(
        record.certificate.open("rb"),
        as_attachment=True,
        filename=record.certificate.name.rsplit("/", 1)[-1],
        content_type=record.certificate_content_type or "application/octet-stream",
    )
    response["X-Content-Type-Options"] = "nosniff"
    return response


@login_required
@require_GET
def external_queue(request, code):
    from .forms import RejectForm

    school = administered_school(request, code)
    pending = ExternalTraining.objects.filter(
        teacher__shixun_profile__school=school, status=ExternalTraining.Status.SUBMITTED
    ).select_related("teacher", "category").order_by("submitted_at")
    decided = ExternalTraining.objects.filter(teacher__shixun_profile__school=school).exclude(
        status=ExternalTraining.Status.SUBMITTED
    ).select_related("teacher", "decided_by").order_by("-decided_at")[:20]
    return render(
        request,
        "schools/external_queue.html",
        {"school": school, "pending": pending, "decided": decided, "reject_form": RejectForm()},
    )


@login_required
@require_POST
def external_decide(request, code, record_id):
    from . import offline
    from .forms import RejectForm

    school = administered_school(request, code)
    record = get_object_or_404(ExternalTraining, pk=record_id, teacher__shixun_profile__school=school)
    try:
        if request.POST.get("decision") == "approve":
            offline.approve(record, request.user)
            messages.success(request, _("Approved: the hours are on the teacher's transcript."))
        else:
            form = RejectForm(request.POST)
            offline.reject(record, request.user, form.data.get("reason", ""))
            messages.success(request, _("Not approved; the teacher sees your reason."))
    except offline.ExternalTrainingError as error:
        messages.error(request, error.message)
    return redirect("schools:external_queue", code=school.code)


@login_required
@require_http_methods(["GET", "POST"])
def group_credit(request, code):
    from . import offline
    from .forms import GroupCreditForm

    school = administered_school(request, code)
    form = GroupCreditForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        data = dict(form.cleaned_data)
        text = data.pop("staff_numbers") or ""
        upload = data.pop("staff_file")
        if upload:
            if upload.size > 1024 * 1024:
                form.add_error("staff_file", _("The file is too large (at most 1 MB)."))
            else:
                try:
                    text += "\n" + roster.decode_csv(upload.read())
                except roster.RosterFileError as error:
                    form.add_error("staff_file", error.message)
        if not form.errors:
            try:
                result = offline.register_group(
                    request.user, school.district, staff_numbers=offline.parse_staff_numbers(text), **data
                )
            except offline.ExternalTrainingError as error:
                form.add_error(None, error.message)
            else:
                messages.success(
                    request,
                    _("%(hours)s hours registered for %(count)d teachers.")
                    % {"hours": result.group.hours, "count": len(result.teachers)},
                )
                return redirect("schools:external_queue", code=school.code)
    return render(request, "schools/group_credit.html", {"school": school, "form": form})


# --- Reminder opt-out ----------------------------------------------------------------------


@csrf_exempt  # the signed token is the credential; mail clients' one-click POST carries no CSRF token
@require_http_methods(["GET", "POST"])
def unsubscribe(request, token):
    """One-click unsubscribe from a reminder email. GET only asks (link scanners must not unsubscribe anyone)."""
    from .reminders import DIGEST, opt_out, read_unsubscribe_token

    found = read_unsubscribe_token(token)
    if found is None:
        return render(request, "schools/unsubscribe.html", {"invalid": True}, status=400)
    user_id, kind = found
    done = request.method == "POST"
    if done:
        opt_out(user_id, kind)
    return render(request, "schools/unsubscribe.html", {"done": done, "digest": kind == DIGEST})
