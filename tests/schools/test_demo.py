"""The demo gives the school admin a populated dashboard, and seeding twice changes nothing."""

import io

import pytest
from django.utils import timezone

from shixun.accounts import demo as accounts_demo
from shixun.schools import dashboard
from shixun.schools import demo as schools_demo
from shixun.schools.models import ExternalTraining, GroupCredit


@pytest.mark.django_db
def test_seed_is_idempotent_and_populates_the_dashboard():
    from shixun.transcripts import demo as transcripts_demo
    from shixun.transcripts.models import LedgerEntry

    out = io.StringIO()
    for _ in range(2):
        accounts_demo.seed(out)
        transcripts_demo.seed(out)
        schools_demo.seed(out)
        counts = (ExternalTraining.objects.count(), GroupCredit.objects.count(), LedgerEntry.objects.count())
        if _ == 0:
            first = counts
    assert counts == first
    assert ExternalTraining.objects.filter(status=ExternalTraining.Status.SUBMITTED).count() == 1
    assert ExternalTraining.objects.filter(status=ExternalTraining.Status.REJECTED).count() == 1

    from shixun.accounts.models import School

    data = dashboard.school_dashboard(School.objects.get(code="gz-shiyan"), timezone.localdate())
    assert data.all_count >= 10
    assert sum(1 for row in data.rows if row.hours_this_year > 0) >= 8
    assert len({row.status for row in data.rows}) >= 2  # some ahead, some behind


@pytest.mark.django_db
def test_every_demo_teachers_dashboard_shows_the_transcripts_hours(client):
    """Approved external training and group credit (t0010's 60 h) reach the learner's own dashboard too."""
    from django.urls import reverse

    from shixun.accounts.models import School
    from shixun.transcripts import demo as transcripts_demo
    from shixun.transcripts.transcript import build_transcript

    out = io.StringIO()
    accounts_demo.seed(out)
    transcripts_demo.seed(out)
    schools_demo.seed(out)
    today = timezone.localdate()
    rows = dashboard.school_dashboard(School.objects.get(code="gz-shiyan"), today).rows
    for row in rows:
        client.force_login(row.teacher)
        shown = client.get(reverse("courses:dashboard")).context["hours_this_year"]
        on_transcript = {y.year: y.total for y in build_transcript(row.teacher).years}.get(today.year, 0)
        assert shown == on_transcript == row.hours_this_year, row.teacher.username
    assert {row.teacher.username: row.hours_this_year for row in rows}["t0010"] == 60  # the group credit
