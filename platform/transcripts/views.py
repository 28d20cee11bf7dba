from django.contrib import messages
from django.contrib.auth import get_user_model
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from accounts.models import District

from . import pdf
from .forms import CategoryMinimumFormSet, RequirementRuleForm, ReversalForm
from .ledger import LedgerError, reverse_entry
from .models import Certificate, LedgerEntry, RequirementRule
from .permissions import can_manage_rules, can_reverse_credit, can_view_transcript
from .transcript import STATUS_BADGES, build_transcript, transcript_csv


def _learner_or_403(request, user_id):
    if user_id is None:
        return request.user
    learner = get_object_or_404(get_user_model().objects.select_related("school", "district"), pk=user_id)
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
    base = reverse("transcripts:mine") if own else reverse("transcripts:person", args=[learner.pk])
    return render(
        request,
        "transcripts/transcript.html",
        {
            "learner": learner,
            "transcript": data,
            "own": own,
            "progress_rows": [(p, data.status_label(p.status), STATUS_BADGES[p.status]) for p in data.progress],
            "can_reverse": can_reverse_credit(request.user, learner),
            "pdf_url": base + "pdf/",
            "csv_url": base + "csv/",
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


def certificate_verify_url(request, certificate) -> str:
    return request.build_absolute_uri(reverse("transcripts:verify", args=[certificate.code]))


@login_required
def certificate_pdf(request, code):
    certificate = get_object_or_404(Certificate.objects.select_related("learner"), code=code)
    if not can_view_transcript(request.user, certificate.learner):
        raise PermissionDenied
    body = pdf.render_certificate(certificate, certificate_verify_url(request, certificate))
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


@login_required
def rules(request):
    district = _rules_district_or_403(request)
    rule_list = (
        RequirementRule.objects.filter(district=district)
        .select_related("counted_category")
        .prefetch_related("teacher_categories", "category_minimums__category")
    )
    return render(request, "transcripts/rules.html", {"district": district, "rules": rule_list})


def _rules_district_or_403(request) -> District:
    district = request.user.district if request.user.is_authenticated else None
    if district is None or not can_manage_rules(request.user, district):
        raise PermissionDenied
    return district


@login_required
@require_http_methods(["GET", "POST"])
def rule_edit(request, rule_id=None):
    district = _rules_district_or_403(request)
    rule = None
    if rule_id is not None:
        # Another district's rule is simply not found: no hint that it exists.
        rule = get_object_or_404(RequirementRule, pk=rule_id, district=district)
    form = RequirementRuleForm(request.POST or None, instance=rule, district=district)
    minimums = CategoryMinimumFormSet(request.POST or None, instance=form.instance, prefix="minimums")
    if request.method == "POST" and form.is_valid() and minimums.is_valid():
        with transaction.atomic():
            saved = form.save()
            minimums.instance = saved
            minimums.save()
        messages.success(request, _("The rule “%(name)s” has been saved.") % {"name": saved.name})
        return redirect("transcripts:rules")
    return render(
        request, "transcripts/rule_form.html", {"district": district, "form": form, "minimums": minimums, "rule": rule}
    )
