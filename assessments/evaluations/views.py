"""Thin views: the learner's evaluation form, and the results page and export for district offices and trainers."""

from __future__ import annotations

import csv
import io

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_http_methods

from shixun.courses.activities import module_places
from shixun.courses.models import CoursePage, ModulePage
from shixun.courses.progress import is_enrolled
from shixun.spreadsheets.formulas import neutralise

from . import results, services
from .models import ASPECT_LABELS, ASPECTS, RATING_MAX, RATING_MIN, EvaluationTemplate
from .permissions import can_see_results, results_scope


def _placement_or_404(module_id: int, template_id: int):
    module = get_object_or_404(ModulePage.objects.live(), pk=module_id)
    template = get_object_or_404(EvaluationTemplate, pk=template_id)
    if not module_places(module, "evaluation", template.pk):
        raise Http404("this module does not place this evaluation")
    course = CoursePage.objects.get(pk=module.get_parent().pk)
    return module, template, course


@login_required
@require_http_methods(["GET", "POST"])
@never_cache
def answer(request, module_id: int, template_id: int):
    module, template, course = _placement_or_404(module_id, template_id)
    if not is_enrolled(request.user, course):
        messages.warning(request, _("Only learners enrolled in this course can evaluate it."))
        return redirect(course.url or "/")
    answered = services.has_answered(request.user, course.pk)
    error = None
    values = {}
    if request.method == "POST":
        values = {key: request.POST.get(key, "") for key, _w in ASPECTS} | {"comment": request.POST.get("comment", "")}
        try:
            services.submit(request.user, module, template, services.check_answers(request.POST))
        except services.EvaluationRefused as refusal:
            error = refusal
        else:
            messages.success(request, _("Thank you: your evaluation has been recorded anonymously."))
            return redirect(module.url or "/")
    ready = answered or services.other_work_done(request.user, module, template)
    return render(
        request,
        "evaluations/answer.html",
        {
            "module": module,
            "course": course,
            "template": template,
            "answered": answered,
            "ready": ready,
            "error": error,
            "values": values,
            "questions": [(aspect, wording, values.get(aspect, "")) for aspect, wording in template.questions()],
            "scale": range(RATING_MIN, RATING_MAX + 1),
            "threshold": results.min_responses(),
        },
        status=400 if error else 200,
    )


def _year(request) -> int | None:
    raw = request.GET.get("year", "")
    if raw == "all":
        return None
    if raw.isdigit() and 2000 <= int(raw) <= 2100:
        return int(raw)
    return timezone.localdate().year


def _scoped_results(request):
    if not can_see_results(request.user):
        raise PermissionDenied
    scope = results_scope(request.user)
    year = _year(request)
    return scope, year, results.satisfaction(year=year, **scope)


@login_required
@require_GET
def results_page(request):
    scope, year, found = _scoped_results(request)
    comment_sections = [
        (course, results.comments(course.course_id, year=year, district=scope.get("district")) or [])
        for course in found.courses
        if course.shown
    ]
    return render(
        request,
        "evaluations/results.html",
        {
            "found": found,
            "year": year,
            "years": sorted({*results.years_with_responses(scope.get("district")), timezone.localdate().year},
                            reverse=True),
            "district": scope.get("district"),
            "aspects": [(aspect, ASPECT_LABELS[aspect]) for aspect, _w in ASPECTS],
            "comment_sections": comment_sections,
        },
    )


@login_required
@require_GET
def results_csv(request):
    scope, year, found = _scoped_results(request)
    out = io.StringIO()
    writer = csv.writer(out)
    labels = [str(ASPECT_LABELS[aspect]) for aspect, _w in ASPECTS]
    writer.writerow([_("Course"), _("Responses"), *labels, _("Overall"), _("Comment")])
    for course in found.courses:
        if not course.shown:
            writer.writerow([neutralise(course.title), course.responses, *[""] * (len(labels) + 1),
                             _("Too few responses to show")])
            continue
        averages = course.averages
        writer.writerow([neutralise(course.title), course.responses,
                         *[getattr(averages, aspect) for aspect, _w in ASPECTS], averages.overall, ""])
        for comment in results.comments(course.course_id, year=year, district=scope.get("district")) or []:
            writer.writerow([neutralise(course.title), "", *[""] * (len(labels) + 1), neutralise(comment)])
    writer.writerow([])
    writer.writerow([_("Trainer"), _("Responses"), *labels, _("Overall"), _("Courses")])
    for trainer in found.trainers:
        averages = trainer.averages
        writer.writerow([neutralise(trainer.name), trainer.responses,
                         *[getattr(averages, aspect) for aspect, _w in ASPECTS], averages.overall, trainer.courses])
    response = HttpResponse(("\ufeff" + out.getvalue()).encode(), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="evaluations-{year or "all"}.csv"'
    return response
