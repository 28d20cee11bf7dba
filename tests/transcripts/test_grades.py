"""The trainer's grade sheet: permissions, validation, one-transaction saves, issue and revocation."""

from decimal import Decimal

import pytest

from shixun.accounts.models import Role
from shixun.courses.models import CourseCompletion
from shixun.transcripts import certificates as certs
from shixun.transcripts import grades
from shixun.transcripts.models import (
    AuditAction,
    Certificate,
    ComponentScore,
    CourseAttendance,
    CourseCreditSettings,
    CreditAuditEvent,
    GradeComponent,
    LedgerEntry,
    SourceKind,
)
from tests.factories import make_teacher, make_user
from tests.transcripts.helpers import complete, enrol, make_course


@pytest.fixture
def graded(org, django_capture_on_commit_callbacks):
    """A course taught by org.trainer: 校本 20 % + 集中 80 %, 2 days absent void it, 8 award hours.

    org.teacher has completed it; org.sibling_teacher is enrolled but not done.
    """

    class Graded:
        pass

    g = Graded()
    g.course, modules = make_course(hours=("1.0",), title="混合式研修")
    g.course.trainers.add(org.trainer)
    g.course.save()  # a ParentalManyToManyField is written on save
    g.settings = CourseCreditSettings.objects.create(course=g.course, award_hours=Decimal("8"), void_at_absent_days=2)
    g.school_part = GradeComponent.objects.create(settings=g.settings, name="校本", weight=20)
    g.central = GradeComponent.objects.create(settings=g.settings, name="集中", weight=80)
    enrol(org.teacher, g.course)
    enrol(org.sibling_teacher, g.course)
    with django_capture_on_commit_callbacks(execute=True):
        complete(org.teacher, modules[0])
    g.completion = CourseCompletion.objects.get(user=org.teacher, course=g.course)
    g.url = f"/transcript/grades/{g.course.pk}/"
    return g


def sheet_post(g, learner, *, school=None, central=None, absent=None):
    data = {}
    if school is not None:
        data[grades.score_field(learner.pk, g.school_part.pk)] = school
    if central is not None:
        data[grades.score_field(learner.pk, g.central.pk)] = central
    if absent is not None:
        data[grades.absence_field(learner.pk)] = absent
    return data


def awards(learner):
    return LedgerEntry.objects.filter(learner=learner, source_kind=SourceKind.COURSE_AWARD)


@pytest.mark.parametrize(
    ("viewer", "status"),
    [("trainer", 200), ("superuser", 200), ("other_trainer", 403), ("reviewer", 403), ("teacher", 403)],
)
def test_who_may_open_the_grade_sheet(org, graded, client, viewer, status):
    org.other_trainer = make_user(district=org.district, roles=[Role.TRAINER], username="trainer-b")
    client.force_login(getattr(org, viewer))
    assert client.get(graded.url).status_code == status
    assert client.post(graded.url, sheet_post(graded, org.teacher, school="90")).status_code in (status, 302)
    if status == 403:
        assert not ComponentScore.objects.exists()


def test_anonymous_is_sent_to_login(graded, client):
    response = client.get(graded.url)
    assert response.status_code == 302 and "login" in response["Location"]


def test_entering_both_scores_issues_the_certificate_and_award_once(org, graded, client):
    client.force_login(org.trainer)
    page = client.get(graded.url).content.decode()
    assert "王秀英" in page and "T001" in page and "缺少成绩" in page

    response = client.post(graded.url, sheet_post(graded, org.teacher, school="70", central="80", absent="1"))
    assert response.status_code == 302
    certificate = Certificate.objects.get(learner=org.teacher)
    assert certificate.is_valid and certificate.score == Decimal("78.0")
    assert certificate.hours == Decimal("9.0")  # 1 module hour + 8 award hours
    assert awards(org.teacher).get().posted_by is None
    assert ComponentScore.objects.get(learner=org.teacher, component=graded.central).recorded_by == org.trainer
    assert CourseAttendance.objects.get(learner=org.teacher).absent_days == 1

    # Saving the same sheet again changes nothing and issues nothing.
    client.post(graded.url, sheet_post(graded, org.teacher, school="70", central="80", absent="1"))
    assert Certificate.objects.count() == 1 and awards(org.teacher).count() == 1
    page = client.get(graded.url).content.decode()
    assert "78.0" in page and ("已颁发证书" in page or "Certificate issued" in page)


def test_a_learner_who_has_not_completed_gets_scores_but_no_certificate_yet(org, graded, client):
    client.force_login(org.trainer)
    client.post(graded.url, sheet_post(graded, org.sibling_teacher, school="90", central="90", absent="0"))
    assert ComponentScore.objects.filter(learner=org.sibling_teacher).count() == 2
    assert not Certificate.objects.exists()


@pytest.mark.parametrize(
    ("cells", "field_error"),
    [
        ({"school": "101"}, "0"),
        ({"school": "-1"}, "0"),
        ({"school": "abc"}, "0"),
        ({"school": "75.25"}, "小数"),
        ({"absent": "1.5"}, "整数"),
        ({"absent": "-2"}, "整数"),
    ],
)
def test_a_bad_cell_saves_nothing_and_says_why_in_chinese(org, graded, client, cells, field_error):
    client.force_login(org.trainer)
    good = {"central": "80"}
    data = sheet_post(graded, org.teacher, **{**good, **cells})
    # A valid value for another learner in the same post must not be saved either.
    data.update(sheet_post(graded, org.sibling_teacher, school="66"))
    response = client.post(graded.url, data)
    assert response.status_code == 200
    text = response.content.decode()
    assert "没有保存" in text and field_error in text
    assert 'aria-invalid="true"' in text
    assert not ComponentScore.objects.exists() and not CourseAttendance.objects.exists()
    # What the trainer typed is kept in the form to correct.
    assert f'value="{next(iter(cells.values()))}"' in text


def test_a_score_cannot_be_blanked(org, graded, client):
    client.force_login(org.trainer)
    client.post(graded.url, sheet_post(graded, org.teacher, school="70"))
    response = client.post(graded.url, sheet_post(graded, org.teacher, school=""))
    assert response.status_code == 200 and "不能删除" in response.content.decode()
    assert ComponentScore.objects.get(learner=org.teacher).score == Decimal("70")


def test_a_grade_that_drops_below_the_pass_mark_revokes_and_reverses_the_award(org, graded, client):
    client.force_login(org.trainer)
    client.post(graded.url, sheet_post(graded, org.teacher, school="70", central="80"))
    certificate = Certificate.objects.get()
    client.post(graded.url, sheet_post(graded, org.teacher, school="70", central="50"))
    certificate.refresh_from_db()
    assert not certificate.is_valid and "54.0" in certificate.revoked_reason
    award = awards(org.teacher).get()
    reversal = LedgerEntry.objects.get(reverses=award)
    assert reversal.posted_by == org.trainer and reversal.hours == Decimal("-8")
    assert CreditAuditEvent.objects.filter(action=AuditAction.CERTIFICATE_REVOKED, certificate=certificate).count() == 1
    # Passing again later does not re-issue: revocation is final for this completion.
    client.post(graded.url, sheet_post(graded, org.teacher, school="70", central="90"))
    assert Certificate.objects.count() == 1 and not Certificate.objects.get().is_valid
    assert LedgerEntry.objects.filter(reverses=award).count() == 1


def test_absences_reaching_the_threshold_void_the_certificate(org, graded, client):
    client.force_login(org.trainer)
    client.post(graded.url, sheet_post(graded, org.teacher, school="90", central="90", absent="1"))
    assert Certificate.objects.get().is_valid
    client.post(graded.url, sheet_post(graded, org.teacher, absent="2"))
    certificate = Certificate.objects.get()
    assert not certificate.is_valid and "2" in certificate.revoked_reason
    assert LedgerEntry.objects.filter(reverses__in=awards(org.teacher)).count() == 1


def test_record_attendance_service_re_evaluates_after_commit(org, graded, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        certs.record_component_score(org.teacher, graded.school_part, 90, recorded_by=org.trainer)
        certs.record_component_score(org.teacher, graded.central, 90, recorded_by=org.trainer)
    assert Certificate.objects.get().is_valid
    with django_capture_on_commit_callbacks(execute=True):
        certs.record_attendance(org.teacher, graded.course, 3, recorded_by=org.trainer)
    assert not Certificate.objects.get().is_valid


def test_service_validation_messages():
    with pytest.raises(ValueError):
        certs.validate_score("100.1")
    with pytest.raises(ValueError):
        certs.validate_score("NaN")
    assert certs.validate_score(" 59.5 ") == Decimal("59.5")
    with pytest.raises(ValueError):
        certs.validate_absent_days("1e3")
    assert certs.validate_absent_days("0") == 0


def test_the_sheet_reads_in_constant_queries(org, graded, django_assert_max_num_queries):
    def build():
        sheet = grades.build_sheet(graded.course)
        return len(sheet.rows)

    with django_assert_max_num_queries(8):
        assert build() == 2
    for n in range(15):
        learner = make_teacher(org.school, username=f"many{n}")
        enrol(learner, graded.course)
        certs.record_component_score(learner, graded.central, 50 + n, evaluate=False)
    with django_assert_max_num_queries(8):
        assert build() == 17


def test_a_course_without_grading_tells_the_trainer_what_to_do(org, client):
    course, _modules = make_course(hours=("1.0",))
    course.trainers.add(org.trainer)
    course.save()
    client.force_login(org.trainer)
    text = client.get(f"/transcript/grades/{course.pk}/").content.decode()
    assert "成绩组成" in text or "grade components" in text


def test_the_trainers_course_list_shows_only_their_courses(org, graded, client):
    other, _ = make_course(hours=("1.0",), title="别人的课")
    client.force_login(org.trainer)
    text = client.get("/transcript/grades/").content.decode()
    assert "混合式研修" in text and "别人的课" not in text
    client.force_login(org.teacher)
    assert client.get("/transcript/grades/").status_code == 403
    client.force_login(org.superuser)
    text = client.get("/transcript/grades/").content.decode()
    assert "混合式研修" in text and "别人的课" in text


def test_the_course_gets_a_grades_button_in_the_admin_for_its_trainers(org, graded):
    from shixun.transcripts.wagtail_hooks import CourseGradesButton

    other = make_user(district=org.district, roles=[Role.TRAINER], username="trainer-c")
    button = CourseGradesButton(page=graded.course.page_ptr)
    assert button.is_shown(org.trainer) and button.is_shown(org.superuser)
    assert not button.is_shown(other) and not button.is_shown(org.reviewer)
    assert button.url == graded.url
    assert not CourseGradesButton(page=graded.course.get_parent()).is_shown(org.superuser)
