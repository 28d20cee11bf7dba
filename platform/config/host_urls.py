"""Shixun's URLs for a host site: `path("", include("shixun.config.host_urls"))`, before the host's wagtail_urls.

The standalone site's urls (shixun.config.urls) add its own front page, the
Wagtail and Django admins, documents and the page tree; a host has its own.
"""

from django.urls import include, path
from django.views.i18n import set_language

urlpatterns = [
    path("i18n/setlang/", set_language, name="set_language"),
    path("accounts/", include("shixun.accounts.urls")),
    path("learn/", include("shixun.courses.urls")),
    path("quizzes/", include("shixun.assessments.quizzes.urls")),
    path("assignments/", include("shixun.assessments.assignments.urls")),
    path("h5p/", include("shixun.assessments.h5p.urls")),
    path("evaluations/", include("shixun.assessments.evaluations.urls")),
    path("schools/", include("shixun.schools.urls")),
    path("inbox/", include("shixun.inbox.urls")),
    path("shadowing/", include("shixun.shadowing.urls")),
    path("reports/", include("shixun.reports.urls")),
    path("attendance/", include("shixun.attendance.urls")),
    # transcripts owns "transcript/…" and the short certificate URL "v/<code>/"
    path("", include("shixun.transcripts.urls")),
]
