"""One source of hours: the learner dashboard, the transcript, the school and district dashboards and the
exports show the ledger's figure for a teacher and a year, whatever posted the hours.

The hours are posted by the services that post them in the product: a learner completing modules (the
posting task after commit), a school admin approving external training, a district admin's group credit
and manual adjustment, and a reversal.
"""

import io
import uuid
from datetime import date, timedelta
from decimal import Decimal

import pytest
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone
from openpyxl import load_workbook

from shixun.schools import dashboard, exports, offline
from shixun.transcripts.ledger import post_manual_adjustment, reverse_entry
from shixun.transcripts.models import LedgerEntry, PeriodKind, RequirementRule, SourceKind
from shixun.transcripts.transcript import build_transcript
from tests.factories import make_teacher
from tests.transcripts.helpers import complete, enrol, make_course

pytestmark = pytest.mark.django_db


def approved_training(teacher, admin, title, hours, end):
    """Registered by the teacher, approved by their admin: posts one entry."""
    record = offline.submit(
        teacher, title=title, organiser="张掖市教育局", level="city", start_date=end - timedelta(days=1),
        end_date=end, hours=hours,
    )
    offline.approve(record, admin)
    return LedgerEntry.objects.get(source_kind=SourceKind.EXTERNAL_TRAINING, source_ref=record.ledger_source_ref)


def manual(teacher, hours, earned_on, actor):
    return post_manual_adjustment(
        learner=teacher, hours=Decimal(hours), title="补登：暑期集中学习", reason="纸质签到表核实后补登",
        earned_on=earned_on, actor=actor, request_key=uuid.uuid4(),
    ).entry


def transcript_year_total(teacher, year) -> Decimal:
    """The transcript's own figure for the year (page, PDF and CSV all show this object)."""
    years = {y.year: y.total for y in build_transcript(teacher).years}
    return years.get(year, Decimal("0"))


def test_the_learner_dashboard_shows_the_transcripts_hours_after_external_training_adjustment_and_reversal(
    org, client, django_capture_on_commit_callbacks
):
    today = timezone.localdate()
    course, (first, second) = make_course(hours=("2.0", "1.5"))
    enrol(org.teacher, course)
    with django_capture_on_commit_callbacks(execute=True):
        complete(org.teacher, first)
        complete(org.teacher, second)
    assert LedgerEntry.objects.filter(learner=org.teacher, source_kind=SourceKind.MODULE_COMPLETION).count() == 2
    approved_training(org.teacher, org.school_admin, "市级骨干教师培训", "24", today)
    approved_training(org.teacher, org.school_admin, "去年的培训", "10", date(today.year - 1, 12, 31))
    manual(org.teacher, "6", today, org.district_admin)
    wrong = LedgerEntry.objects.get(learner=org.teacher, module_completion__module=second)
    reverse_entry(wrong, reason="重复学习记录", actor=org.district_admin)

    client.force_login(org.teacher)
    response = client.get(reverse("courses:dashboard"))
    transcript = client.get(reverse("transcripts:mine")).context["transcript"]
    on_transcript = next(y.total for y in transcript.years if y.year == today.year)
    # 2.0 + 1.5 of modules + 24 approved + 6 adjusted - 1.5 reversed; last year's 10 h are last year's.
    assert response.context["hours_this_year"] == on_transcript == Decimal("32.0")
    # Shown as the transcript shows it (32.0 h, not "32").
    assert '<p class="dashboard-hours">32.0</p>' in response.content.decode()


def test_school_and_district_dashboards_and_exports_show_each_teachers_transcript_hours(org, client):
    today = timezone.localdate()
    yearly = RequirementRule.objects.create(
        district=org.district, name="每年 80 学时", period_kind=PeriodKind.CALENDAR_YEAR, minimum_hours=Decimal("80")
    )
    busy = make_teacher(org.school, full_name="李忙", staff_number="T101")
    idle = make_teacher(org.school, full_name="赵闲", staff_number="T102")
    approved_training(org.teacher, org.school_admin, "市级骨干教师培训", "24", today)
    approved_training(org.teacher, org.school_admin, "去年的培训", "10", date(today.year - 1, 12, 31))
    manual(org.teacher, "6", today, org.district_admin)
    reverse_entry(
        approved_training(busy, org.school_admin, "登记有误的培训", "40", today), reason="证书不符",
        actor=org.district_admin,
    )
    offline.register_group(
        org.district_admin, org.district, staff_numbers=["T101", "T002"], title="跟岗研修", organiser="进修学校",
        level="district", start_date=today - timedelta(days=1), end_date=today, hours="60",
    )  # busy (this school) and the sibling school's teacher
    manual(org.sibling_teacher, "12.5", today, org.district_admin)
    teachers = [org.teacher, busy, idle, org.sibling_teacher]
    expected = {t.pk: transcript_year_total(t, today.year) for t in teachers}
    assert list(expected.values()) == [Decimal("30"), Decimal("60"), Decimal("0"), Decimal("72.5")]

    # The school dashboard, opened by the school admin and by the district admin.
    for admin, school in [(org.school_admin, org.school), (org.district_admin, org.sibling_school)]:
        client.force_login(admin)
        rows = client.get(reverse("schools:school_dashboard", args=[school.code])).context["dashboard"].rows
        shown = {row.teacher.pk: row for row in rows if row.teacher.pk in expected}
        assert shown and all(row.hours_this_year == expected[pk] for pk, row in shown.items()), admin
        # The 80-hours-a-year rule counts the same hours.
        assert all(row.progress_by_rule[yearly.pk].earned == expected[pk] for pk, row in shown.items())

    # The district dashboard's standing of every teacher of the district (its status counts rest on it).
    district_rows = dashboard.standing(dashboard.teachers_of(Q(school__district=org.district)), today)
    assert {r.teacher.pk: r.hours_this_year for r in district_rows if r.teacher.pk in expected} == expected

    # The district's export for the year: the summary sheet's hours per staff number.
    out = io.BytesIO()
    exports.export(exports.Scope(district=org.district), date(today.year, 1, 1), date(today.year, 12, 31), "xlsx", out)
    summary = load_workbook(io.BytesIO(out.getvalue()), read_only=True).worksheets[0]
    by_staff = {row[1]: Decimal(str(row[4])) for row in list(summary.iter_rows(values_only=True))[2:]}
    assert {t.pk: by_staff[t.staff_number] for t in teachers} == expected
