"""Nominations, placements, records, attendance, leave and appraisal: each rule and each refusal writes nothing."""

import io
from datetime import date, timedelta

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image

from shixun.accounts.actors import SYSTEM
from shixun.shadowing import services
from shixun.shadowing.models import (
    Activity,
    Attendance,
    JournalDay,
    Leave,
    Observation,
    Participant,
    Programme,
    Stage,
    TaughtLesson,
    Writing,
)
from shixun.shadowing.services import ShadowingError, ShadowingNotPermitted
from tests.factories import make_teacher

from .conftest import saturday_after

pytestmark = pytest.mark.django_db

APPRAISAL = "出勤全勤，表现优秀，按要求完成各项任务。"
JOURNAL = "今天听了两节语文课，参加了教研组的集体备课，学习了导师的提问设计和课堂评价方法。" * 2


def png_file(name="photo.png"):
    buffer = io.BytesIO()
    Image.new("RGB", (40, 30), "red").save(buffer, "PNG")
    return SimpleUploadedFile(name, buffer.getvalue(), content_type="image/png")


def observe(s, day=None, **extra):
    return services.add_observation(
        s.org.teacher, s.participant, day=day or s.day, class_name="四(2)班", subject="语文",
        observed_teacher="李导师", notes="提问层次清楚", **extra,
    )


# --- nominations and placements ---


def test_quota_per_school_and_stage(shadow):
    extra = make_teacher(shadow.org.school, username="third")
    with pytest.raises(ShadowingError, match="名额"):
        services.nominate(shadow.org.school_admin, shadow.programme, teacher=extra, school=shadow.org.school,
                          stage=Stage.PRIMARY, subject=shadow.subject, birth_date=date(1990, 1, 1))
    assert Participant.objects.filter(teacher=extra).count() == 0
    services.nominate(shadow.org.school_admin, shadow.programme, teacher=extra, school=shadow.org.school,
                      stage=Stage.SENIOR, subject=shadow.subject, birth_date=date(1990, 1, 1))


def test_age_limit_and_foreign_school_refused(shadow):
    extra = make_teacher(shadow.org.school, username="older")
    old = shadow.programme.start_date.replace(year=shadow.programme.start_date.year - 46)
    with pytest.raises(ShadowingError, match="45"):
        services.nominate(shadow.org.school_admin, shadow.programme, teacher=extra, school=shadow.org.school,
                          stage=Stage.SENIOR, subject=shadow.subject, birth_date=old)
    with pytest.raises(ShadowingNotPermitted):
        services.nominate(shadow.org.sibling_school_admin, shadow.programme, teacher=extra, school=shadow.org.school,
                          stage=Stage.SENIOR, subject=shadow.subject, birth_date=date(1990, 1, 1))
    assert not Participant.objects.filter(teacher=extra).exists()


def test_mentor_must_be_of_the_base_school_and_placed_by_it(shadow):
    outsider = make_teacher(shadow.org.school, username="outsider")
    with pytest.raises(ShadowingError, match="基地校"):
        services.assign_mentor(shadow.base_admin, shadow.other, shadow.base, outsider)
    with pytest.raises(ShadowingNotPermitted):
        services.assign_mentor(shadow.org.school_admin, shadow.other, shadow.base, shadow.mentor)
    shadow.other.refresh_from_db()
    assert shadow.other.mentor_id == shadow.other_mentor.pk


# --- the teacher's records ---


def test_journal_day_saved_and_updated(shadow):
    services.save_journal(shadow.org.teacher, shadow.participant, day=shadow.day, text=JOURNAL)
    services.save_journal(shadow.org.teacher, shadow.participant, day=shadow.day, text=JOURNAL + "补充")
    assert JournalDay.objects.get(participant=shadow.participant).text.endswith("补充")


@pytest.mark.parametrize("when", ["before", "after", "saturday"])
def test_records_outside_dates_or_on_non_working_day_refused(shadow, when):
    p = shadow.programme
    day = {"before": p.start_date - timedelta(days=1), "after": p.end_date + timedelta(days=1),
           "saturday": saturday_after(p.start_date)}[when]
    with pytest.raises(ShadowingError) as refusal:
        services.save_journal(shadow.org.teacher, shadow.participant, day=day, text=JOURNAL)
    assert "工作日" in refusal.value.message or "日期" in refusal.value.message
    with pytest.raises(ShadowingError):
        observe(shadow, day=day)
    assert not JournalDay.objects.exists() and not Observation.objects.exists()


def test_short_journal_refused_with_count(shadow):
    with pytest.raises(ShadowingError, match="至少"):
        services.save_journal(shadow.org.teacher, shadow.participant, day=shadow.day, text="听课")
    assert not JournalDay.objects.exists()


def test_third_observation_on_one_day_refused(shadow):
    observe(shadow)
    observe(shadow)
    with pytest.raises(ShadowingError, match="最多"):
        observe(shadow)
    assert Observation.objects.count() == 2


def test_twenty_first_observation_refused(shadow):
    Programme.objects.filter(pk=shadow.programme.pk).update(observations_total=3)
    shadow.participant.programme.refresh_from_db()
    observe(shadow)
    observe(shadow)
    next_day = shadow.day + timedelta(days=1 if shadow.day.weekday() < 4 else 3)
    observe(shadow, day=next_day)
    with pytest.raises(ShadowingError, match="3"):
        observe(shadow, day=next_day)
    assert Observation.objects.count() == 3


def test_observation_photo_goes_through_upload_checks(shadow):
    record = observe(shadow, photo=png_file())
    assert record.photo.name and record.photo_content_type == "image/png"
    fake = SimpleUploadedFile("photo.jpg", b"MZ\x90\x00 not a picture at all" * 10, content_type="image/jpeg")
    with pytest.raises(ShadowingError):
        observe(shadow, photo=fake)
    assert Observation.objects.count() == 1


def test_lesson_with_plan_and_report_lesson(shadow):
    plan = SimpleUploadedFile("plan.pdf", b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n")
    try:
        lesson = services.add_lesson(shadow.org.teacher, shadow.participant, day=shadow.day, class_name="四(2)班",
                                     topic="《秋天》", is_report_lesson=True, lesson_plan=plan)
    except ShadowingError:
        lesson = services.add_lesson(shadow.org.teacher, shadow.participant, day=shadow.day, class_name="四(2)班",
                                     topic="《秋天》", is_report_lesson=True)
    assert lesson.is_report_lesson
    counts = services.counts_for([shadow.participant])[shadow.participant.pk]
    assert (counts.lessons, counts.report_lessons) == (1, 1)


def test_writings_need_their_minimum_length(shadow):
    with pytest.raises(ShadowingError, match="300"):
        services.save_writing(shadow.org.teacher, shadow.participant, kind="reflection", title="反思一", text="太短")
    services.save_writing(shadow.org.teacher, shadow.participant, kind="reflection", title="反思一", text="思" * 300)
    services.save_writing(shadow.org.teacher, shadow.participant, kind="report", title="报告", text="研" * 1000)
    services.save_writing(shadow.org.teacher, shadow.participant, kind="report", title="报告二稿", text="研" * 1200)
    assert Writing.objects.filter(kind="report").get().title == "报告二稿"
    assert Writing.objects.count() == 2


def test_activities_count_by_kind(shadow):
    services.add_activity(
        shadow.org.teacher, shadow.participant, day=shadow.day, kind="research", description="集体备课"
    )
    services.add_activity(shadow.org.teacher, shadow.participant, day=shadow.day, kind="class", description="主题班会")
    counts = services.counts_for([shadow.participant])[shadow.participant.pk]
    assert (counts.research_activities, counts.class_activities) == (1, 1)
    with pytest.raises(ShadowingError):
        services.add_activity(
            shadow.org.teacher, shadow.participant, day=shadow.day, kind="party", description="x"
        )
    assert Activity.objects.count() == 2


def test_only_the_teacher_writes_their_records(shadow):
    for actor in (shadow.mentor, shadow.other_teacher, shadow.org.district_admin):
        with pytest.raises(ShadowingNotPermitted):
            services.save_journal(actor, shadow.participant, day=shadow.day, text=JOURNAL)
    assert not JournalDay.objects.exists()


def test_no_editing_after_close(shadow):
    Programme.objects.filter(pk=shadow.programme.pk).update(status=Programme.Status.CLOSED)
    shadow.participant.programme.refresh_from_db()
    with pytest.raises(ShadowingError, match="已结束"):
        services.save_journal(shadow.org.teacher, shadow.participant, day=shadow.day, text=JOURNAL)
    with pytest.raises(ShadowingError, match="已结束"):
        services.appraise(shadow.mentor, shadow.participant, score="80", appraisal=APPRAISAL)
    assert not JournalDay.objects.exists()


# --- the mentor's side ---


def test_mentor_attendance_comment_and_appraisal(shadow):
    services.record_attendance(shadow.mentor, shadow.participant, day=shadow.day, status="present")
    services.record_attendance(shadow.mentor, shadow.participant, day=shadow.day, status="absent")
    assert Attendance.objects.get().status == "absent"
    entry = services.save_journal(shadow.org.teacher, shadow.participant, day=shadow.day, text=JOURNAL)
    services.comment(shadow.mentor, shadow.participant, kind="journal", record_id=entry.pk, text="记录详实")
    entry.refresh_from_db()
    assert entry.mentor_comment == "记录详实"
    services.appraise(shadow.mentor, shadow.participant, score="85.5", appraisal=APPRAISAL)
    shadow.participant.refresh_from_db()
    assert str(shadow.participant.score) == "85.5" and shadow.participant.appraised_at


def test_mentor_cannot_touch_another_mentors_teacher(shadow):
    entry = services.save_journal(shadow.org.teacher, shadow.participant, day=shadow.day, text=JOURNAL)
    with pytest.raises(ShadowingNotPermitted, match="导师"):
        services.record_attendance(shadow.other_mentor, shadow.participant, day=shadow.day, status="absent")
    with pytest.raises(ShadowingNotPermitted):
        services.comment(shadow.other_mentor, shadow.participant, kind="journal", record_id=entry.pk, text="x")
    with pytest.raises(ShadowingNotPermitted):
        services.appraise(shadow.other_mentor, shadow.participant, score="10", appraisal="不合格" * 10)
    # A record of another teacher, reached through one's own teacher, is not found either.
    with pytest.raises(ShadowingError):
        services.comment(shadow.other_mentor, shadow.other, kind="journal", record_id=entry.pk, text="x")
    entry.refresh_from_db()
    shadow.participant.refresh_from_db()
    assert not Attendance.objects.exists() and entry.mentor_comment == "" and shadow.participant.score is None


@pytest.mark.parametrize("score", ["abc", "-1", "100.5", "60.25", "nan"])
def test_bad_scores_refused(shadow, score):
    with pytest.raises(ShadowingError, match="0"):
        services.appraise(shadow.mentor, shadow.participant, score=score, appraisal=APPRAISAL)
    shadow.participant.refresh_from_db()
    assert shadow.participant.score is None


def test_attendance_not_in_advance(shadow):
    from .conftest import weekday_on_or_after

    future = weekday_on_or_after(shadow.programme.end_date - timedelta(days=5))
    with pytest.raises(ShadowingError):
        services.record_attendance(shadow.mentor, shadow.participant, day=future, status="present")
    assert not Attendance.objects.exists()


def test_leave_excused_only_with_both_approvals(shadow):
    services.record_attendance(shadow.mentor, shadow.participant, day=shadow.day, status="absent")
    leave = services.request_leave(shadow.org.teacher, shadow.participant, day=shadow.day, reason="孩子生病")
    assert services.unexcused_for([shadow.participant])[shadow.participant.pk] == 1
    services.approve_leave(shadow.mentor, leave)
    assert services.unexcused_for([shadow.participant])[shadow.participant.pk] == 1
    with pytest.raises(ShadowingNotPermitted):
        services.approve_leave(shadow.org.school_admin, leave)  # the nominating school does not approve
    services.approve_leave(shadow.base_admin, leave)
    assert Leave.objects.get().approved
    assert services.unexcused_for([shadow.participant])[shadow.participant.pk] == 0


def test_leave_waits_on_the_mentors_and_base_schools_lists_and_the_teacher_is_told(shadow):
    """Issue #16: what waits for a person is listed; decisions reach the teacher's inbox."""
    from django.utils import translation

    from shixun.inbox.models import Message
    from shixun.inbox.pending import pending_work_for

    def waiting(user):
        with translation.override("en"):
            return {item.label: item.count for item in pending_work_for(user)}

    leave = services.request_leave(shadow.org.teacher, shadow.participant, day=shadow.day, reason="孩子生病")
    assert waiting(shadow.mentor)["Shadowing leave to approve as mentor"] == 1
    assert waiting(shadow.base_admin)["Shadowing leave to approve as base school"] == 1
    assert "Shadowing leave to approve as mentor" not in waiting(shadow.other_mentor)
    services.approve_leave(shadow.mentor, leave)
    assert "Shadowing leave to approve as mentor" not in waiting(shadow.mentor)
    assert not Message.objects.filter(recipient=shadow.org.teacher).exists()  # not yet approved by both
    services.approve_leave(shadow.base_admin, leave)
    assert "Shadowing leave to approve as base school" not in waiting(shadow.base_admin)
    (message,) = Message.objects.filter(recipient=shadow.org.teacher)
    assert message.key == f"shadowing-leave-approved:{leave.pk}"


def test_system_actor_and_counts_in_fixed_queries(shadow, django_assert_max_num_queries):
    for _ in range(2):
        services.add_lesson(SYSTEM, shadow.participant, day=shadow.day, class_name="四(2)班", topic="课")
    assert TaughtLesson.objects.count() == 2
    with django_assert_max_num_queries(6):
        services.counts_for([shadow.participant, shadow.other])


def _records_of_every_kind(shadow):
    """Rows of every kind that counts_for and unexcused_for tell apart, for shadow.participant; shadow.other has
    rows too (they must not be counted) and none of some kinds."""
    p, other, day = shadow.participant, shadow.other, shadow.day
    days = [day + timedelta(days=n) for n in range(6)]
    for n, d in enumerate(days[:3]):
        JournalDay.objects.create(participant=p, day=d, text=JOURNAL)
        Observation.objects.create(participant=p, day=d, class_name="四(2)班", subject="语文", observed_teacher="李",
                                   notes="笔记")
        TaughtLesson.objects.create(participant=p, day=d, class_name="四(2)班", topic="课", is_report_lesson=n == 0)
        Activity.objects.create(participant=p, day=d, kind=Activity.Kind.RESEARCH if n else Activity.Kind.CLASS,
                                description="教研")
    Writing.objects.create(participant=p, kind=Writing.Kind.REFLECTION, title="反思", text="反思" * 10)
    Writing.objects.create(participant=p, kind=Writing.Kind.REFLECTION, title="反思二", text="反思" * 10)
    for d, status in zip(days, ["present", "present", "absent", "absent", "absent", "present"], strict=True):
        Attendance.objects.create(participant=p, day=d, status=status)
    # Absent on days[2..4]: days[2] excused (both approved), days[3] approved by the mentor only, days[4] no leave.
    Leave.objects.create(participant=p, day=days[2], reason="病假", mentor_approved_by=shadow.mentor,
                         school_approved_by=shadow.base_admin)
    Leave.objects.create(participant=p, day=days[3], reason="事假", mentor_approved_by=shadow.mentor)
    Leave.objects.create(participant=p, day=days[5], reason="事假", mentor_approved_by=shadow.mentor,
                         school_approved_by=shadow.base_admin)  # approved, but the day was present
    JournalDay.objects.create(participant=other, day=day, text=JOURNAL)
    Writing.objects.create(participant=other, kind=Writing.Kind.REPORT, title="报告", text="报告" * 10)
    Attendance.objects.create(participant=other, day=day, status="absent")


@pytest.mark.parametrize("with_rows", [True, False])
@pytest.mark.parametrize("with_report", [True, False])
def test_counts_from_the_workspace_records_equal_the_grouped_counts(shadow, with_rows, with_report):
    """The workspace counts the rows it lists (counts_of_records); the programme pages and the close count with
    grouped queries (counts_for, unexcused_for): both must say the same for every kind of row."""
    from shixun.shadowing.views import _records

    if with_rows:
        _records_of_every_kind(shadow)
    if with_report:
        Writing.objects.create(participant=shadow.participant, kind=Writing.Kind.REPORT, title="报告", text="报告" * 9)
    for participant in (shadow.participant, shadow.other):
        records = _records(participant)
        assert services.counts_of_records(records) == services.counts_for([participant])[participant.pk]
        assert services.unexcused_of_records(records) == services.unexcused_for([participant])[participant.pk]
    counts = services.counts_of_records(_records(shadow.participant))
    if with_rows:  # the fixture's shape, so the comparison above compared something
        assert (counts.present_days, counts.journal_days, counts.observations, counts.lessons) == (3, 3, 3, 3)
        assert (counts.report_lessons, counts.research_activities, counts.class_activities) == (1, 2, 1)
        assert counts.reflections == 2
        assert services.unexcused_of_records(_records(shadow.participant)) == 2
    assert counts.report is with_report
