"""Trainer pages: the quizzes of one's courses, results, correct rates, grading queue, CSV export.

Reached from the Wagtail admin menu (wagtail_hooks). Each page checks that the
user manages the course the quiz is placed in (permissions.py).
"""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods

from shixun.courses.activities import module_places
from shixun.courses.models import CoursePage, ModulePage

from . import grading, reports, services
from .forms import GradeForm
from .models import AttemptQuestion, AttemptState, Quiz
from .permissions import can_manage_course_quizzes, can_use_quiz_results, course_of_attempt
from .services import QuizError


def _require_results_access(user) -> None:
    if not can_use_quiz_results(user):
        raise PermissionDenied


def _managed_placement(user, module_id: int, quiz_id: int):
    _require_results_access(user)
    module = get_object_or_404(ModulePage, pk=module_id)
    quiz = get_object_or_404(Quiz, pk=quiz_id)
    if not module_places(module, "quiz", quiz.pk):
        raise Http404
    course = CoursePage.objects.get(pk=module.get_parent().pk)
    if not can_manage_course_quizzes(user, course):
        raise PermissionDenied
    return course, module, quiz


@login_required
@require_GET
def index(request):
    _require_results_access(request.user)
    return render(
        request,
        "quizzes/manage/index.html",
        {"placements": reports.placements_for(request.user), "to_grade": reports.grading_queue(request.user).count()},
    )


@login_required
@require_GET
def quiz_results(request, module_id: int, quiz_id: int):
    course, module, quiz = _managed_placement(request.user, module_id, quiz_id)
    return render(
        request,
        "quizzes/manage/results.html",
        {
            "course": course,
            "module": module,
            "quiz": quiz,
            "learners": reports.learner_results(quiz, module),
            "rates": reports.question_rates(quiz, module),
        },
    )


@login_required
@require_GET
def export_csv(request, module_id: int, quiz_id: int):
    course, module, quiz = _managed_placement(request.user, module_id, quiz_id)
    response = HttpResponse(reports.results_csv(quiz, module), content_type="text/csv; charset=utf-8")
    filename = f"quiz-{quiz.pk}-module-{module.pk}-results.csv"
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    response["X-Content-Type-Options"] = "nosniff"
    return response


@login_required
@require_GET
def grading_queue(request):
    _require_results_access(request.user)
    return render(request, "quizzes/manage/queue.html", {"items": list(reports.grading_queue(request.user)[:200])})


@login_required
@require_http_methods(["GET", "POST"])
def grade(request, item_id: int):
    _require_results_access(request.user)
    item = get_object_or_404(
        AttemptQuestion.objects.select_related("attempt", "attempt__learner", "attempt__quiz", "attempt__module"),
        pk=item_id, needs_manual_grading=True,
    )
    attempt = item.attempt
    course = course_of_attempt(attempt)
    if not can_manage_course_quizzes(request.user, course):
        raise PermissionDenied
    form = GradeForm(request.POST or None, max_points=item.max_points)
    if request.method == "POST" and form.is_valid():
        try:
            services.grade_item(item.pk, request.user, form.cleaned_data["points"], form.cleaned_data["comment"])
        except QuizError as error:
            messages.error(request, error.message)
        else:
            messages.success(request, _("Grade saved for %(name)s.") % {"name": attempt.learner.display_name})
            following = reports.grading_queue(request.user).exclude(pk=item.pk).first()
            if following is not None:
                return redirect("quizzes:grade", item_id=following.pk)
            return redirect("quizzes:grading_queue")
    return render(
        request,
        "quizzes/manage/grade.html",
        {
            "item": item,
            "attempt": attempt,
            "course": course,
            "form": form,
            "answer": grading.response_display(item.snapshot, item.response),
            "reference": item.snapshot.get("reference", ""),
            "already_final": attempt.state == AttemptState.GRADED,
        },
    )
