from django.contrib import messages
from django.contrib.auth import get_user_model
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpResponse
from django.http.response import HttpResponseBase
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from shixun.accounts.models import District
from shixun.accounts.people import load_school, profile_of

from . import certificates, grades, grades_csv, pdf
from .forms import CategoryMinimumFormSet, ManualAdjustmentForm, RequirementRuleForm, ReversalForm
from .ledger import LedgerError, post_manual_adjustment, reverse_entry
from .models import Certificate, LedgerEntry, RequirementRule
from .permissions import (
    can_adjust_credit,
    can_grade_course,
    can_manage_rules,
    can_reverse_credit,
    can_view_transcript,
    courses_graded_by,
    may_open_grades,
    rule_is_visible_to,
)
from .rules import save_rule
from .transcript import STATUS_BADGES, build_transcript, pending_explanation, transcript_csv


def _learner_or_403(request, user_id):
    if user_id is None:
        return request.user
    learners = get_user_model().objects.select_related("shixun_profile__school", "shixun_profile__district")
    learner = get_object_or_404(learners, pk=user_id)
    if not can_view_transcript(request.user, learner):
        raise PermissionDenied
    return learner


def _download_name(learner, extension: str) -> str:
    # ASCII file name: a learner's Chinese name in a header trips some phone browsers.
    return f"transcript-{learner.pk}-{timezone.localdate():%Y%m%d}.{extension}"


@login_required
def transcript(request, user_id=None):
    learner = _learner_or_403(request, user_id)
    data = build_transcript(learner)
    own = learner.pk == request.user.pk
    load_school(profile_of(learner))  # the page names it (another's transcript has it selected already)
    base = reverse("transcripts:mine") if own else reverse("transcripts:person", args=[learner.pk])
    return render(
        request,
        "transcripts/transcript.html",
        {
            "learner": learner,
            "transcript": data,
            "own": own,
            "progress_rows": [(p, data.status_label(p.status), STATUS_BADGES[p.status]) for p in data.progress],
            "pending_rows": [(p, pending_explanation(p), data.modules_of(p)) for p in data.pending],
            "can_reverse": can_reverse_credit(request.user, learner),
            "can_adjust": can_adjust_credit(request.user, learner),
            "pdf_url": base + "pdf/",
            "csv_url": base + "csv/",
            "file_url": base + "file/",
        },
    )


@login_required
def transcript_pdf(request, user_id=None):
    learner = _learner_or_403(request, user_id)
    response = HttpResponse(pdf.render_transcript(build_transcript(learner)), content_type="application/pdf")
    response["Content-Disposition"] = f'attachment; filename="{_download_name(learner, "pdf")}"'
    return response


@login_required
def transcript_csv_download(request, user_id=None):
    learner = _learner_or_403(request, user_id)
    response = HttpResponse(transcript_csv(build_transcript(learner)), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{_download_name(learner, "csv")}"'
    return response


@login_required
@require_http_methods(["GET", "POST"])
def reverse_credit(request, user_id, entry_id):
    learner = _learner_or_403(request, user_id)
    if not can_reverse_credit(request.user, learner):
        raise PermissionDenied
    entry = get_object_or_404(LedgerEntry, pk=entry_id, learner=learner)
    form = ReversalForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            reverse_entry(entry, reason=form.cleaned_data["reason"], actor=request.user)
        except LedgerError as error:
            form.add_error(None, str(error))
        else:
            messages.success(request, _("The entry has been reversed. The teacher's totals are updated."))
            return redirect("transcripts:person", learner.pk)
    return render(request, "transcripts/reverse.html", {"learner": learner, "entry": entry, "form": form})


@login_required
def certificate_pdf(request, code) -> HttpResponseBase:
    certificate = get_object_or_404(Certificate.objects.select_related("learner"), code=code)
    if not can_view_transcript(request.user, certificate.learner):
        raise PermissionDenied
    if not certificate.is_valid:
        # A revoked certificate is refused with a page that says so, rather
        # than served with a REVOKED stamp: the school admin checking papers
        # should never hold a printable copy of it, and a stamp can be cut off
        # a printout. The page says when and why, and what to do next.
        return render(request, "transcripts/certificate_revoked.html", {"certificate": certificate}, status=410)
    try:
        body = certificates.stored_pdf_bytes(certificate)
    except certificates.CertificateFileCorrupt:
        return render(request, "transcripts/certificate_unavailable.html", {"certificate": certificate}, status=503)
    response = HttpResponse(body, content_type="application/pdf")
    response["Content-Disposition"] = f'attachment; filename="certificate-{certificate.code}.pdf"'
    return response


def mask_name(name: str) -> str:
    """王秀英 → 王*英, 李明 → 李*: enough to match the paper, not enough to learn a name from a code."""
    if len(name) <= 1:
        return name
    if len(name) == 2:
        return name[0] + "*"
    return name[0] + "*" * (len(name) - 2) + name[-1]


def verify(request, code):
    """Public: is this certificate genuine, and what does it certify. Nothing else about the person."""
    certificate = Certificate.objects.filter(code=code.strip().upper()).first()
    context = {"code": code, "certificate": certificate}
    if certificate is not None:
        context["holder"] = mask_name(certificate.learner_name)
        context["title"] = pdf.certificate_title(certificate.kind)
    response = render(request, "transcripts/verify.html", context, status=200 if certificate else 404)
    response["X-Robots-Tag"] = "noindex"
    response["Referrer-Policy"] = "no-referrer"
    return response


def _rules_district_or_403(request, rule=None) -> District:
    """The district whose rules are shown: the admin's own; a superuser chooses (`?district=`)."""
    user = request.user
    if rule is not None:
        district = rule.district
    elif user.is_superuser:
        chosen = request.GET.get("district") or request.POST.get("district")
        districts = District.objects.order_by("name")
        district = None
        if chosen and str(chosen).isdigit():
            district = get_object_or_404(districts, pk=chosen)
        district = district or profile_of(user).district or districts.first()
        if district is None:
            raise Http404(_("There is no district yet. Add one first."))
    else:
        district = profile_of(user).district
    if district is None or not can_manage_rules(user, district):
        raise PermissionDenied
    return district


@login_required
def rules(request):
    district = _rules_district_or_403(request)
    rule_list = (
        RequirementRule.objects.filter(district=district)
        .select_related("counted_category")
        .prefetch_related("teacher_categories", "category_minimums__category")
    )
    districts = District.objects.order_by("name") if request.user.is_superuser else None
    return render(request, "transcripts/rules.html", {"district": district, "rules": rule_list, "districts": districts})


def _rules_url(district) -> str:
    return f"{reverse('transcripts:rules')}?district={district.pk}"


@login_required
@require_http_methods(["GET", "POST"])
def rule_edit(request, rule_id=None):
    rule = None
    if rule_id is not None:
        rule = get_object_or_404(RequirementRule.objects.select_related("district"), pk=rule_id)
        if not rule_is_visible_to(request.user, rule):
            # Another district's rule is simply not found: no hint that it exists.
            raise Http404
    district = _rules_district_or_403(request, rule)
    form = RequirementRuleForm(request.POST or None, instance=rule, district=district)
    minimums = CategoryMinimumFormSet(request.POST or None, instance=form.instance, prefix="minimums")
    if request.method == "POST" and form.is_valid() and minimums.is_valid():
        saved = save_rule(form, minimums, actor=request.user)
        messages.success(request, _("The rule “%(name)s” has been saved.") % {"name": saved.name})
        return redirect(_rules_url(district))
    return render(
        request, "transcripts/rule_form.html", {"district": district, "form": form, "minimums": minimums, "rule": rule}
    )


# --- Manual adjustments -------------------------------------------------------------


@login_required
@require_http_methods(["GET", "POST"])
def adjust_credit(request, user_id):
    learner = _learner_or_403(request, user_id)
    if not can_adjust_credit(request.user, learner):
        raise PermissionDenied
    form = ManualAdjustmentForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            posting = post_manual_adjustment(
                learner=learner,
                hours=data["hours"],
                title=data["title"],
                reason=data["reason"],
                earned_on=data["earned_on"],
                category_id=data["category"].pk if data["category"] else None,
                actor=request.user,
                request_key=data["request_key"],
            )
        except LedgerError as error:
            form.add_error(None, str(error))
        else:
            if posting.created:
                messages.success(request, _("The hours have been added to the transcript."))
            else:
                messages.info(request, _("This adjustment was already recorded; it has not been added twice."))
            return redirect("transcripts:person", learner.pk)
    return render(request, "transcripts/adjust.html", {"learner": learner, "form": form})


# --- Grades (trainers) --------------------------------------------------------------


@login_required
def grade_courses(request):
    """The trainer's courses, each with a link to its grade sheet."""
    courses = courses_graded_by(request.user).order_by("title")
    if not may_open_grades(request.user):
        raise PermissionDenied
    return render(request, "transcripts/grade_courses.html", {"courses": courses})


@login_required
@require_http_methods(["GET", "POST"])
def grade_sheet(request, course_id):
    course = _gradable_course_or_403(request, course_id)
    sheet = grades.build_sheet(course)
    errors: dict[str, str] = {}
    posted = None
    if request.method == "POST":
        changes, errors = grades.parse_changes(sheet, request.POST)
        if errors:
            posted = request.POST
            messages.error(
                request,
                _("Nothing was saved: %(count)s value(s) need correcting (marked in red below).")
                % {"count": len(errors)},
            )
        else:
            summary = grades.save_changes(course, changes, actor=request.user)
            if summary.values:
                messages.success(
                    request,
                    _(
                        "Saved %(values)s value(s) for %(learners)s learner(s). "
                        "Certificates issued: %(issued)s, revoked: %(revoked)s."
                    )
                    % summary.__dict__,
                )
            else:
                messages.info(request, _("Nothing had changed, so nothing was saved."))
            return redirect("transcripts:grades", course.pk)
    return render(
        request,
        "transcripts/grades.html",
        {"course": course, "sheet": sheet, "rows": _sheet_rows(sheet, errors, posted)},
    )


def _gradable_course_or_403(request, course_id):
    from shixun.courses.models import CoursePage

    course = get_object_or_404(CoursePage, pk=course_id)
    if not can_grade_course(request.user, course):
        raise PermissionDenied
    return course


@login_required
def grades_template(request, course_id):
    """The grade sheet as a CSV to fill in (current values; UTF-8 with BOM for Excel)."""
    course = _gradable_course_or_403(request, course_id)
    body = grades_csv.template_csv(grades.build_sheet(course))
    response = HttpResponse(body, content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="grades-{course.pk}.csv"'
    return response


@login_required
@require_http_methods(["GET", "POST"])
def grades_upload(request, course_id):
    """Step 1 of a CSV upload: check every line and show what would change. Nothing is written here."""
    course = _gradable_course_or_403(request, course_id)
    sheet = grades.build_sheet(course)
    context = {"course": course, "sheet": sheet, "plan": None, "error": ""}
    if request.method == "POST":
        upload = request.FILES.get("file")
        if upload is None:
            context["error"] = _("Choose a CSV file first.")
        elif upload.size > grades_csv.MAX_FILE_BYTES:
            context["error"] = _("The file is too large (at most 2 MB).")
        else:
            try:
                context["plan"] = grades_csv.plan_upload(sheet, upload.read())
            except grades_csv.UploadError as error:
                context["error"] = str(error)
    return render(request, "transcripts/grades_upload.html", context)


def _sheet_rows(sheet, errors, posted):
    """What the template shows per learner: each input's name, value (as posted after an error) and error."""
    rows = []
    for row in sheet.rows:
        cells = []
        for component in sheet.components:
            name = grades.score_field(row.learner.pk, component.pk)
            value = row.scores.get(component.pk)
            cells.append(
                {
                    "name": name,
                    "label": component.name,
                    "weight": component.weight,
                    "value": posted.get(name, "") if posted is not None else ("" if value is None else value),
                    "error": errors.get(name, ""),
                }
            )
        absence = None
        if sheet.takes_attendance:
            name = grades.absence_field(row.learner.pk)
            absence = {
                "name": name,
                "value": posted.get(name, "")
                if posted is not None
                else ("" if row.absent_days is None else row.absent_days),
                "error": errors.get(name, ""),
                "computed": sheet.absence_from_sessions,  # shown from attendance, not typed
            }
        rows.append({"row": row, "cells": cells, "absence": absence})
    return rows
