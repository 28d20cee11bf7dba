"""The close: outcomes and hours through the ledger, exactly once; failure posts nothing."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from shixun.shadowing import services
from shixun.shadowing.models import Participant, Programme
from shixun.shadowing.services import ShadowingError, ShadowingNotPermitted
from shixun.transcripts.models import Certificate, LedgerEntry, SourceKind
from shixun.transcripts.services import hours_earned
from tests.concurrency import needs_postgres, run_together  # noqa: F401 - needs_postgres is a fixture

APPRAISAL = "出勤全勤，表现优秀，按要求完成各项任务，听课记录详实。"


def complete_work(s, participant, teacher, mentor, *, score="85", absences=0, report=True):
    services.appraise(mentor, participant, score=score, appraisal=APPRAISAL)
    day = s.day
    for _ in range(absences):
        services.record_attendance(mentor, participant, day=day, status="absent")
        day += timedelta(days=1 if day.weekday() < 4 else 3)
    if report:
        services.save_writing(teacher, participant, kind="report", title="行动研究报告", text="研" * 1000)


def end_programme(s):
    """The programme's last day has passed (the report was written while it ran)."""
    today = timezone.localdate()
    Programme.objects.filter(pk=s.programme.pk).update(
        start_date=today - timedelta(days=40), end_date=today - timedelta(days=1)
    )
    s.programme.refresh_from_db()


def shadow_entries():
    return LedgerEntry.objects.filter(source_kind=SourceKind.SHADOWING)


@pytest.mark.django_db
def test_passing_teacher_and_mentor_get_their_hours_once(shadow):
    complete_work(shadow, shadow.participant, shadow.org.teacher, shadow.mentor)
    end_programme(shadow)
    services.close_programme(shadow.org.district_admin, shadow.programme)
    services.close_programme(shadow.org.district_admin, shadow.programme)  # a retry posts nothing more
    assert hours_earned(shadow.org.teacher) == Decimal("60")
    assert hours_earned(shadow.mentor) == Decimal("60")
    participant = Participant.objects.get(pk=shadow.participant.pk)
    assert participant.passed is True
    # The other teacher was never appraised: not passed, and their mentor gets nothing.
    assert Participant.objects.get(pk=shadow.other.pk).passed is False
    assert hours_earned(shadow.other_teacher) == 0 and hours_earned(shadow.other_mentor) == 0
    assert shadow_entries().count() == 2
    assert Programme.objects.get(pk=shadow.programme.pk).is_closed


@pytest.mark.django_db
@pytest.mark.parametrize("case", ["low_score", "absent_two_days", "no_report"])
def test_failure_posts_nothing_for_the_teacher(shadow, case):
    kwargs = {"low_score": {"score": "59.5"}, "absent_two_days": {"absences": 2}, "no_report": {"report": False}}[case]
    complete_work(shadow, shadow.participant, shadow.org.teacher, shadow.mentor, **kwargs)
    end_programme(shadow)
    services.close_programme(shadow.org.district_admin, shadow.programme)
    assert hours_earned(shadow.org.teacher) == 0
    assert not Participant.objects.get(pk=shadow.participant.pk).passed
    # The mentor did their part (the appraisal): mentor hours are theirs whatever the verdict.
    assert hours_earned(shadow.mentor) == Decimal("60")


@pytest.mark.django_db
def test_one_excused_and_one_unexcused_day_still_passes(shadow):
    complete_work(shadow, shadow.participant, shadow.org.teacher, shadow.mentor, absences=2)
    leave = services.request_leave(shadow.org.teacher, shadow.participant, day=shadow.day, reason="参加区教研活动")
    services.approve_leave(shadow.mentor, leave)
    services.approve_leave(shadow.base_admin, leave)
    end_programme(shadow)
    services.close_programme(shadow.org.district_admin, shadow.programme)
    assert hours_earned(shadow.org.teacher) == Decimal("60")


@pytest.mark.django_db
def test_only_the_district_closes_and_not_before_the_end(shadow):
    complete_work(shadow, shadow.participant, shadow.org.teacher, shadow.mentor)
    with pytest.raises(ShadowingError, match="结束日之后"):
        services.close_programme(shadow.org.district_admin, shadow.programme)
    end_programme(shadow)
    for actor in (shadow.org.foreign_district_admin, shadow.base_admin, shadow.mentor, shadow.org.teacher):
        with pytest.raises(ShadowingNotPermitted):
            services.close_programme(actor, shadow.programme)
    assert not shadow_entries().exists()
    assert not Programme.objects.get(pk=shadow.programme.pk).is_closed


@pytest.mark.django_db
def test_programme_figures_are_used(shadow):
    Programme.objects.filter(pk=shadow.programme.pk).update(teacher_hours=Decimal("48"), mentor_hours=Decimal("24"))
    shadow.participant.programme.refresh_from_db()
    complete_work(shadow, shadow.participant, shadow.org.teacher, shadow.mentor)
    end_programme(shadow)
    services.close_programme(shadow.org.district_admin, shadow.programme)
    assert hours_earned(shadow.org.teacher) == Decimal("48")
    assert hours_earned(shadow.mentor) == Decimal("24")


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_three_closes_at_once_post_once_and_issue_one_certificate(needs_postgres, shadow):  # noqa: F811
    from tests.factories import make_user

    complete_work(shadow, shadow.participant, shadow.org.teacher, shadow.mentor)
    end_programme(shadow)
    second_admin = make_user(district=shadow.org.district, roles=[shadow.Role.DISTRICT_ADMIN], username="admin2")
    results = run_together(
        lambda: services.close_programme(shadow.org.district_admin, Programme.objects.get(pk=shadow.programme.pk)),
        lambda: services.close_programme(second_admin, Programme.objects.get(pk=shadow.programme.pk)),
        lambda: services.close_programme(shadow.org.district_admin, Programme.objects.get(pk=shadow.programme.pk)),
    )
    assert not [r for r in results if isinstance(r, Exception)], results
    assert shadow_entries().count() == 2
    assert hours_earned(shadow.org.teacher) == Decimal("60")
    assert hours_earned(shadow.mentor) == Decimal("60")
    # One 结业证书 too, however many closes ran.
    assert Certificate.objects.filter(source_kind=SourceKind.SHADOWING).count() == 1
    assert services.certificate_of(shadow.participant).hours == Decimal("60")
