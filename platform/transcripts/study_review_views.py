"""The review list of study patterns worth a look: trainers (their courses) and district admins (their people)."""

from django.contrib.auth.decorators import login_required
from django.http import Http404
from django.shortcuts import render

from shixun.accounts.people import profile_of

from .study_review import KINDS, follow_ups, may_review, reviewable_courses, study_flags

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
    # Each row links to a page the viewer may open to follow the flag up: the person's transcript (the
    # district), else the quiz's results or the course's grade sheet (a trainer of the course).
    rows = [
        (flag, profile_of(flag.learner), link)
        for flag, link in zip(flags, follow_ups(request.user, flags), strict=True)
    ]
    return render(request, "transcripts/study_review.html", {
        "rows": rows, "kinds": KINDS.items(), "kind": kind, "courses": courses, "course": course,
        "days": days, "day_choices": DAY_CHOICES,
    })
