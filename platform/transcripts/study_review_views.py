"""The review list of study patterns worth a look: trainers (their courses) and district admins (their people)."""

from django.contrib.auth.decorators import login_required
from django.http import Http404
from django.shortcuts import render

from shixun.accounts.people import profile_of

from .permissions import can_view_transcript
from .study_review import KINDS, may_review, reviewable_courses, study_flags

DAY_CHOICES = (7, 30, 90, 365)


@login_required
def study_review(request):
    if not may_review(request.user):
        raise Http404
    kind = request.GET.get("kind", "")
    kind = kind if kind in KINDS else ""
    courses = reviewable_courses(request.user)
    course = None
    if request.GET.get("course", "").isdigit():
        course = courses.filter(pk=int(request.GET["course"])).first()
    days = int(request.GET["days"]) if request.GET.get("days", "").isdigit() else 90
    days = days if days in DAY_CHOICES else None  # anything else: the whole record
    flags = study_flags(request.user, kind=kind, course=course, days=days)
    # The transcript opens for whoever may see the person (the district; a trainer sees the list only).
    rows = [(flag, profile_of(flag.learner), can_view_transcript(request.user, flag.learner)) for flag in flags]
    return render(request, "transcripts/study_review.html", {
        "rows": rows, "kinds": KINDS.items(), "kind": kind, "courses": courses, "course": course,
        "days": days, "day_choices": DAY_CHOICES,
    })
