"""Grading rule, certificate issue, public verification and revocation, certificate PDF."""

import io
from decimal import Decimal

import pytest
from pypdf import PdfReader

from shixun.courses.models import CourseCompletion, ModuleCompletion
from shixun.transcripts import certificates as certs
from shixun.transcripts.ledger import post_module_completion, reverse_entry
from shixun.transcripts.models import Certificate, CourseCreditSettings, GradeComponent, LedgerEntry, SourceKind
from tests.transcripts.helpers import complete, enrol, make_course


def test_course_result_weighted_components():
    components = [(1, 20), (2, 80)]
    assert certs.course_result(components=components, scores={1: Decimal(90)}).outcome == certs.PENDING
    passed = certs.course_result(components=components, scores={1: Decimal(40), 2: Decimal(65)})
    assert (passed.outcome, passed.score) == (certs.PASSED, Decimal("60.0"))
    failed = certs.course_result(components=components, scores={1: Decimal(100), 2: Decimal("49.9")})
    assert (failed.outcome, failed.score) == (certs.FAILED, Decimal("59.9"))


def test_course_result_attendance_voids():
    assert certs.course_result(components=[], scores={}, absent_days=2, void_at_absent_days=2).outcome == certs.VOID
    assert certs.course_result(components=[], scores={}, absent_days=1, void_at_absent_days=2).outcome == certs.PASSED
    assert certs.course_result(components=[], scores={}, absent_days=5).outcome == certs.PASSED


def finish_course(user, course, modules, capture):
    enrol(user, course)
    with capture(execute=True):
        for module in modules:
            complete(user, module)
    return CourseCompletion.objects.get(user=user, course=course)


def test_completed_course_without_grading_gets_a_certificate_that_verifies(
    org, client, django_capture_on_commit_callbacks
):
    course, modules = make_course(hours=("2.0", "1.5"), certificate_kind="completion", title="新课标解读")
    finish_course(org.teacher, course, modules, django_capture_on_commit_callbacks)
    certificate = Certificate.objects.get(learner=org.teacher)
    assert certificate.hours == Decimal("3.5")
    assert certificate.issuer == org.district.name
    assert certificate.kind == "completion"

    page = client.get(f"/v/{certificate.code}/")
    text = page.content.decode()
    assert page.status_code == 200
    assert "新课标解读" in text and "王*英" in text
    assert "王秀英" not in text and org.school.name not in text and org.teacher.username not in text
    assert client.get("/v/NOSUCHCODE/").status_code == 404


def test_grades_pending_then_passed_with_award_hours(org, django_capture_on_commit_callbacks):
    course, modules = make_course(hours=("1.0",))
    settings = CourseCreditSettings.objects.create(course=course, award_hours=Decimal("8"), void_at_absent_days=2)
    school_part = GradeComponent.objects.create(settings=settings, name="校本", weight=20)
    central = GradeComponent.objects.create(settings=settings, name="集中", weight=80)
    completion = finish_course(org.teacher, course, modules, django_capture_on_commit_callbacks)
    assert not Certificate.objects.exists()
    with django_capture_on_commit_callbacks(execute=True):
        certs.record_component_score(org.teacher, school_part, 70, recorded_by=org.trainer)
    assert not Certificate.objects.exists()
    with django_capture_on_commit_callbacks(execute=True):
        certs.record_component_score(org.teacher, central, 80, recorded_by=org.trainer)
    certificate = Certificate.objects.get()
    assert certificate.score == Decimal("78.0")
    award = LedgerEntry.objects.get(source_kind=SourceKind.COURSE_AWARD)
    assert award.hours == Decimal("8") and award.course_completion == completion
    assert certificate.hours == Decimal("9.0")
    # Running the check again changes nothing.
    assert certs.process_course_completion(completion.pk) == certificate
    assert LedgerEntry.objects.filter(source_kind=SourceKind.COURSE_AWARD).count() == 1


def test_failed_or_absent_learner_gets_no_certificate(org, django_capture_on_commit_callbacks):
    course, modules = make_course(hours=("1.0",))
    settings = CourseCreditSettings.objects.create(course=course, void_at_absent_days=2)
    component = GradeComponent.objects.create(settings=settings, name="考核", weight=100)
    certs.record_attendance(org.sibling_teacher, course, 2)
    certs.record_component_score(org.sibling_teacher, component, 95)
    completion = finish_course(org.sibling_teacher, course, modules, django_capture_on_commit_callbacks)
    assert certs.result_for(completion).outcome == certs.VOID
    certs.record_component_score(org.teacher, component, 59)
    finish_course(org.teacher, course, modules, django_capture_on_commit_callbacks)
    assert not Certificate.objects.exists()


def test_reversing_the_credit_revokes_the_certificate(org, client, django_capture_on_commit_callbacks):
    course, modules = make_course(hours=("2.0",))
    finish_course(org.teacher, course, modules, django_capture_on_commit_callbacks)
    certificate = Certificate.objects.get()
    entry = post_module_completion(ModuleCompletion.objects.get().pk).entry
    reverse_entry(entry, reason="作弊", actor=org.district_admin)
    certificate.refresh_from_db()
    assert not certificate.is_valid and certificate.revoked_reason == "作弊"
    page = client.get(f"/v/{certificate.code}/").content.decode()
    assert "已撤销" in page or "Revoked" in page


def test_certificate_pdf_has_the_chinese_text_and_is_permission_checked(
    org, client, django_capture_on_commit_callbacks
):
    course, modules = make_course(hours=("2.0", "1.0"), title="信息技术应用能力提升")
    finish_course(org.teacher, course, modules, django_capture_on_commit_callbacks)
    certificate = Certificate.objects.get()
    url = f"/transcript/certificates/{certificate.code}/pdf/"
    client.force_login(org.sibling_school_admin)
    assert client.get(url).status_code == 403
    client.force_login(org.teacher)
    response = client.get(url)
    assert response["Content-Type"] == "application/pdf"
    reader = PdfReader(io.BytesIO(response.content))
    text = reader.pages[0].extract_text()
    for expected in ["学时证明书", "王秀英", "信息技术应用能力提升", certificate.code, org.district.name]:
        assert expected in text
    assert reader.pages[0].images, "the QR code image is missing"


@pytest.mark.parametrize("name,masked", [("王秀英", "王*英"), ("李明", "李*"), ("欧阳文博", "欧**博"), ("A", "A")])
def test_mask_name(name, masked):
    from shixun.transcripts.views import mask_name

    assert mask_name(name) == masked


def test_a_certificate_issued_before_the_module_tasks_ran_still_states_every_hour(
    org, django_capture_on_commit_callbacks
):
    """Course completion can be processed before the last module's posting task runs (separate tasks)."""
    course, modules = make_course(hours=("2.0", "1.5"), certificate_kind="credit_hours", title="班主任工作")
    enrol(org.teacher, course)
    with django_capture_on_commit_callbacks(execute=False):  # no posting task runs
        for module in modules:
            complete(org.teacher, module)
    completion = CourseCompletion.objects.get(user=org.teacher, course=course)
    assert not LedgerEntry.objects.filter(learner=org.teacher).exists()

    certificate = certs.process_course_completion(completion.pk, via="test")

    assert certificate.hours == Decimal("3.5")
    module_completions = ModuleCompletion.objects.filter(user=org.teacher, course=course)
    assert all(LedgerEntry.objects.filter(module_completion=mc).count() == 1 for mc in module_completions)


def course_page_html(rf, course, user) -> str:
    # These helpers' catalogue is not under a site, so the page has no URL: serve it as Wagtail would.
    request = rf.get("/")
    request.user = user
    response = course.specific.serve(request)
    response.render()
    return response.content.decode()


def test_the_teacher_finds_the_certificate_on_the_course_page_dashboard_and_transcript(
    org, client, rf, django_capture_on_commit_callbacks
):
    from django.urls import reverse

    course, modules = make_course(hours=("2.0",), certificate_kind="completion", title="师德师风专题")
    finish_course(org.teacher, course, modules, django_capture_on_commit_callbacks)
    certificate = Certificate.objects.get(learner=org.teacher)
    download = reverse("transcripts:certificate_pdf", args=[certificate.code])
    client.force_login(org.teacher)
    assert download in course_page_html(rf, course, org.teacher)
    for url in (reverse("courses:dashboard"), reverse("transcripts:mine")):
        page = client.get(url)
        assert page.status_code == 200 and download in page.content.decode(), url
    assert client.get(download).status_code == 200

    # A revoked certificate is no longer offered for download on the learner's pages.
    entry = post_module_completion(ModuleCompletion.objects.get().pk).entry
    reverse_entry(entry, reason="作弊", actor=org.district_admin)
    assert download not in course_page_html(rf, course, org.teacher)
    assert download not in client.get(reverse("courses:dashboard")).content.decode()
