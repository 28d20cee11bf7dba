"""One populated site per test module, built through the apps' own services.

The security suite asks hundreds of small questions ("may this role open
that URL?") of the same objects. Building two districts, three schools,
courses, a quiz attempt, an assignment hand-in, an H5P result, ledger
entries, a certificate, external training and export jobs for each question
would take minutes, so `world` builds them once per test module inside a
transaction that is rolled back when the module ends; every test runs in
its own savepoint inside it (pytest-django's `db` fixture), so what one test
changes is gone before the next.
"""

from __future__ import annotations

import io
import json
import shutil
import tempfile
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path

import pytest
from django.conf import settings
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import transaction
from django.test import TestCase, override_settings
from django.utils import timezone

from tests.factories import make_district, make_school, make_teacher, make_user

CONTENT_MIDDLEWARE = "shixun.assessments.h5p.middleware.ContentOriginMiddleware"
CONTENT_HOST = "h5p.testserver"  # a sub-domain of the test client's site host, "testserver", as in `make demo`
CONTENT_ORIGIN = f"http://{CONTENT_HOST}"

# What must never reach someone who may not see it. Distinct strings, so a
# leak is found whatever page or file it ends up in.
TEACHER_NAME = "王秀英"
TEACHER_STAFF_NUMBER = "T001"
TEACHER_PHONE = "13912345678"
TEACHER_EMAIL = "wangxy-private@example.edu.cn"
LESSON_SECRET = "课堂内容-仅限学员-LESSON-7731"
PLAN_SECRET = b"SHIXUN-PRIVATE-LESSON-PLAN-7731"
SHORT_ANSWER_SECRET = "我的简答-SHORT-ANSWER-7731"
CERTIFICATE_SCAN_SECRET = b"SHIXUN-EXTERNAL-CERTIFICATE-7731"
EXTERNAL_TITLE = "省级骨干教师培训-EXTERNAL-7731"
INBOX_SECRET = "站内消息-INBOX-5521"
RULE_NAME = "五年周期360学时-RULE-7731"
CERTIFICATE_COURSE_TITLE = "证书课程-CERT-7731"
# Course material in Wagtail's own document and image libraries, used in the lesson.
DOCUMENT_TITLE = "课堂讲义-DOCUMENT-7731"
DOCUMENT_SECRET = b"SHIXUN-LESSON-HANDOUT-7731"
IMAGE_TITLE = "课堂插图-IMAGE-7731"
# A draft a trainer submitted for review: in the admin only, never published.
DRAFT_SECRET = "待审草稿-DRAFT-7731"
QUESTION_TEXT = "教师职业道德的核心是？"


def marked_pdf(marker: bytes) -> bytes:
    """A real one-page PDF (tests/uploads/samples) carrying ``marker`` as a string object."""
    from tests.uploads.samples import pdf

    return pdf(extra_objects=(b"(" + marker + b")",))


@dataclass
class World:
    # people
    teacher: object = None
    sibling_teacher: object = None
    foreign_teacher: object = None
    school_admin: object = None
    sibling_school_admin: object = None
    district_admin: object = None
    foreign_district_admin: object = None
    trainer: object = None
    other_trainer: object = None
    reviewer: object = None
    superuser: object = None
    # organisations
    district: object = None
    other_district: object = None
    school: object = None
    sibling_school: object = None
    foreign_school: object = None
    # courses
    catalogue: object = None
    course: object = None
    module: object = None
    second_module: object = None
    certificate_course: object = None
    application_course: object = None
    application: object = None
    # activities
    quiz: object = None
    attempt: object = None
    short_item: object = None
    assignment: object = None
    submission: object = None
    version: object = None
    h5p_activity: object = None
    h5p_content: object = None
    h5p_request: object = None  # a trainer's package upgrading the H5P library, held for approval
    # Wagtail admin content
    document: object = None
    image: object = None
    review_module: object = None  # a published module whose changed draft waits for a reviewer
    task_state: object = None  # that review
    credit_settings: object = None
    private_names: set = field(default_factory=set)  # the private files this world stored (_module_world)
    # credit
    entry: object = None
    certificate: object = None
    rule: object = None
    # schools
    external: object = None
    school_job: object = None
    district_job: object = None
    roster_import: object = None
    message: object = None  # a message in the teacher's inbox
    extra: dict = field(default_factory=dict)

    def role(self, name: str):
        return None if name == "anonymous" else getattr(self, name)


def _build_org(w: World, *, teacher_name: str) -> None:
    from shixun.accounts.models import Role

    w.district = make_district(code="d-main", name="甘州区")
    w.other_district = make_district(code="d-other", name="临泽县")
    w.school = make_school(w.district, code="s-one", name="实验小学")
    w.sibling_school = make_school(w.district, code="s-two", name="第二中学")
    w.foreign_school = make_school(w.other_district, code="s-far", name="临泽一中")
    w.teacher = make_teacher(
        w.school, username="teacher", staff_number=TEACHER_STAFF_NUMBER, full_name=teacher_name,
        phone=TEACHER_PHONE, email=TEACHER_EMAIL,
    )
    w.sibling_teacher = make_teacher(w.sibling_school, username="sibling", staff_number="T002", full_name="李明")
    w.foreign_teacher = make_teacher(w.foreign_school, username="foreign", staff_number="T001", full_name="张伟")
    w.school_admin = make_user(school=w.school, roles=[Role.SCHOOL_ADMIN], username="schooladmin")
    w.sibling_school_admin = make_user(school=w.sibling_school, roles=[Role.SCHOOL_ADMIN], username="siblingadmin")
    w.district_admin = make_user(district=w.district, roles=[Role.DISTRICT_ADMIN], username="districtadmin")
    w.foreign_district_admin = make_user(
        district=w.other_district, roles=[Role.DISTRICT_ADMIN], username="foreigndistrictadmin"
    )
    w.trainer = make_user(district=w.district, roles=[Role.TRAINER], username="trainer")
    w.other_trainer = make_user(district=w.district, roles=[Role.TRAINER], username="othertrainer")
    w.reviewer = make_user(district=w.district, roles=[Role.REVIEWER], username="reviewer")
    w.superuser = make_user(username="root", is_superuser=True, is_staff=True)


def _publish(parent, page):
    parent.add_child(instance=page)
    page.save_revision().publish()
    return page.__class__.objects.get(pk=page.pk)


def _held_h5p_package(w: World):
    from shixun.assessments.h5p.models import H5PActivity
    from shixun.assessments.h5p.packages import LibraryNeedsApproval, prepare_package, request_approval, store_package
    from tests.h5p.packages import upgraded_package

    upload = io.BytesIO(upgraded_package(1, marker="// held"))
    activity = H5PActivity.objects.create(title="待批准的互动练习")
    try:
        store_package(prepare_package(upload), activity=activity, uploaded_by=w.other_trainer, may_install=False)
    except LibraryNeedsApproval as held:
        return request_approval(upload, held, activity=activity, file_name="held.h5p", requested_by=w.other_trainer)
    raise AssertionError("the upgrade was installed without approval")


def _build_courses(w: World) -> None:
    from wagtail.models import Site

    from shixun.assessments.assignments.models import AnswerMode, Assignment, CompletionRule
    from shixun.assessments.h5p.packages import import_package
    from shixun.assessments.quizzes.models import Question, QuestionCategory, QuestionOption, Quiz, QuizQuestion
    from shixun.courses.models import CataloguePage, CoursePage, EnrolmentMode, ModulePage
    from tests.h5p.packages import package

    root = Site.objects.get(is_default_site=True).root_page
    w.catalogue = _publish(root, CataloguePage(title="课程中心", slug="security-courses"))

    category = QuestionCategory.objects.get_or_create(name="师德师风")[0]
    single = Question(category=category, kind="single", text=QUESTION_TEXT, points=1)
    single.options = [QuestionOption(text="爱岗敬业", is_correct=True), QuestionOption(text="有偿补课")]
    single.save()
    short = Question.objects.create(
        category=category, kind="short_answer", text="谈谈你对“立德树人”的理解。", points=5, reference_answer="育人为本"
    )
    w.quiz = Quiz(title="师德测验-QUIZ-7731", shuffle_options=False)
    w.quiz.fixed_questions = [QuizQuestion(question=single), QuizQuestion(question=short)]
    w.quiz.save()

    w.assignment = Assignment.objects.create(
        title="教学设计", answer_mode=AnswerMode.FILE, allowed_kinds=["pdf", "word"], max_size_mb=5,
        completion_rule=CompletionRule.ON_ACCEPT,
    )
    w.h5p_content = import_package(io.BytesIO(package()))
    w.h5p_activity = w.h5p_content.activity
    w.h5p_request = _held_h5p_package(w)

    w.document, w.image = _course_media(w)

    course = CoursePage(title="师德师风建设", slug="ethics", summary="学习新时代教师职业行为十项准则")
    course.trainers = [w.trainer]
    w.course = _publish(w.catalogue, course)
    w.module = _publish(
        w.course,
        ModulePage(
            title="职业道德规范解读", slug="ethics-1", credit_hours=Decimal("2.0"),
            body=[
                ("paragraph", f"<p>{LESSON_SECRET}</p>"),
                ("quiz", {"quiz": w.quiz, "required": True}),
                ("assignment", {"assignment": w.assignment, "required": True}),
                ("h5p", {"activity": w.h5p_activity, "required": True}),
                ("document", {"document": w.document, "description": "讲义"}),
                ("image", {"image": w.image, "alt_text": "插图"}),
            ],
        ),
    )
    w.second_module = _publish(
        w.course, ModulePage(title="十项准则", slug="ethics-2", credit_hours=Decimal("1.5"),
                             body=[("paragraph", "<p>第二讲</p>"),
                                   ("video", {"title": "准则解读", "file": _lesson_video(w), "embed": None})])
    )
    w.certificate_course = _publish(
        w.catalogue, CoursePage(title=CERTIFICATE_COURSE_TITLE, slug="certified", summary="一讲即可完成")
    )
    w.extra["certificate_module"] = _publish(
        w.certificate_course, ModulePage(title="唯一一讲", slug="certified-1", credit_hours=Decimal("3.0"),
                                         body=[("paragraph", "<p>正文</p>")])
    )
    w.application_course = _publish(
        w.catalogue,
        CoursePage(title="骨干教师研修", slug="by-application", summary="需申请",
                   enrolment_mode=EnrolmentMode.APPLICATION),
    )
    _publish(w.application_course, ModulePage(title="研修第一讲", slug="apply-1", credit_hours=Decimal("1.0"),
                                              body=[("paragraph", "<p>正文</p>")]))


def _lesson_video(w: World):
    """A lesson video (its bytes need only start like WebM here), uploaded by the course's trainer."""
    from django.core.files.base import ContentFile
    from wagtail.documents import get_document_model

    return get_document_model().objects.create(
        title="准则解读视频", file=ContentFile(b"\x1a\x45\xdf\xa3\x9f\x42\x82\x84webm" + bytes(64), name="talk.webm"),
        uploaded_by_user=w.trainer,
    )


def _course_media(w: World):
    """A lesson handout and a picture, uploaded by the course's trainer into the root collection."""
    from django.core.files.base import ContentFile
    from django.core.files.images import ImageFile
    from wagtail.documents import get_document_model
    from wagtail.images import get_image_model

    from tests.uploads.samples import photo

    document = get_document_model().objects.create(
        title=DOCUMENT_TITLE, file=ContentFile(marked_pdf(DOCUMENT_SECRET), name="handout.pdf"),
        uploaded_by_user=w.trainer,
    )
    image = get_image_model().objects.create(
        title=IMAGE_TITLE, file=ImageFile(io.BytesIO(photo("PNG", orientation=None)), name="figure.png"),
        uploaded_by_user=w.trainer,
    )
    return document, image


def _build_review(w: World) -> None:
    """The trainer changes a published module and submits the draft; the reviewer has not decided yet."""
    from shixun.courses.models import ModulePage
    from shixun.transcripts.models import CourseCreditSettings, GradeComponent

    w.review_module = _publish(w.course, ModulePage(title="案例研讨", slug="ethics-3", credit_hours=Decimal("1.0"),
                                                    body=[("paragraph", "<p>已发布的版本</p>")]))
    draft = w.review_module
    draft.body = [("paragraph", f"<p>{DRAFT_SECRET}</p>")]
    draft.save_revision(user=w.trainer)
    workflow_state = draft.get_workflow().start(draft, w.trainer)
    w.task_state = workflow_state.current_task_state
    w.credit_settings, _ = CourseCreditSettings.objects.get_or_create(course=w.course)
    w.extra["grade_component"] = GradeComponent.objects.create(settings=w.credit_settings, name="平时成绩", weight=100)


def _build_learning(w: World) -> None:
    from shixun.assessments.assignments import services as assignment_services
    from shixun.assessments.h5p.links import activity_iri, make_token
    from shixun.assessments.quizzes import services as quiz_services
    from shixun.assessments.uploads import validate_upload
    from shixun.courses import enrolment
    from shixun.courses.blocks import LESSON_KEY
    from shixun.courses.models import ActivityStatus, CoursePage
    from shixun.courses.progress import record_activity_status

    for learner in (w.teacher, w.sibling_teacher, w.foreign_teacher):
        enrolment.enrol_self(learner, w.course)
    enrolment.enrol_self(w.teacher, w.certificate_course)
    w.application = enrolment.apply(w.teacher, CoursePage.objects.get(pk=w.application_course.pk), "想参加")

    # Quiz: the teacher answers both questions; the short answer waits for a trainer.
    w.attempt = quiz_services.start_attempt(w.teacher, w.quiz, w.module)
    answers = {}
    for item in w.attempt.items.all():
        if item.snapshot["kind"] == "single":
            right = next(o["id"] for o in item.snapshot["options"] if o["text"] == "爱岗敬业")
            answers[str(item.pk)] = [str(right)]
        else:
            answers[str(item.pk)] = [w.extra["short_answer"]]
            w.short_item = item
    quiz_services.submit_attempt(w.attempt.pk, w.teacher, answers)
    w.attempt.refresh_from_db()

    # Assignment: a real PDF through the upload validator, stored in private storage.
    upload = SimpleUploadedFile("教学设计.pdf", marked_pdf(PLAN_SECRET), content_type="application/pdf")
    with validate_upload(upload, allowed_kinds=w.assignment.file_kinds, max_bytes=w.assignment.max_bytes) as clean:
        answer = assignment_services.check_answer(w.assignment, upload=clean, text="")
        w.version = assignment_services.submit(w.teacher, w.module, w.assignment, answer)
    w.submission = w.version.submission

    # H5P: one scored statement, posted to the xAPI endpoint as the player's page does.
    from django.test import Client

    player = Client()
    player.force_login(w.teacher)
    token = make_token(user=w.teacher, activity=w.h5p_activity, module=w.module, content=w.h5p_content,
                       site_origin="http://testserver")
    statement = {
        "verb": {"id": "http://adlnet.gov/expapi/verbs/answered"},
        "object": {"id": activity_iri(w.h5p_activity.pk)},
        "result": {"score": {"scaled": 0.5, "raw": 1, "min": 0, "max": 2}, "completion": True, "success": False},
    }
    response = player.post("/h5p/xapi/", data=json.dumps({"token": token, "statement": statement}),
                           content_type="application/json")
    assert response.status_code == 200, response.content

    # Credit: completing the one-lesson course posts its hours and issues the certificate.
    record_activity_status(w.teacher, w.extra["certificate_module"], LESSON_KEY, ActivityStatus.DONE)


def _build_credit_and_schools(w: World) -> None:
    from shixun.assessments.uploads import FileKind, validate_upload
    from shixun.schools import offline, roster
    from shixun.schools.exports import Scope
    from shixun.schools.jobs import request_export
    from shixun.schools.models import RosterImport
    from shixun.transcripts.models import Certificate, LedgerEntry, PeriodKind, RequirementRule

    w.entry = LedgerEntry.objects.filter(learner=w.teacher).order_by("pk").first()
    w.certificate = Certificate.objects.filter(learner=w.teacher).first()
    assert w.entry is not None and w.certificate is not None, "the completed course must post credit and certify"
    w.rule = RequirementRule.objects.create(
        district=w.district, name=RULE_NAME, period_kind=PeriodKind.CYCLE, cycle_start_year=2021, cycle_years=5,
        minimum_hours=Decimal("360"),
    )

    scan = SimpleUploadedFile("结业证书.pdf", marked_pdf(CERTIFICATE_SCAN_SECRET), content_type="application/pdf")
    with validate_upload(scan, allowed_kinds=[FileKind.PDF, FileKind.IMAGE], max_bytes=5 * 1024 * 1024) as clean:
        w.external = offline.submit(
            w.teacher, title=w.extra["external_title"], organiser="省教育厅", level="provincial",
            start_date=date.today() - timedelta(days=10), end_date=date.today() - timedelta(days=5),
            hours=Decimal("12"), certificate=clean,
        )

    from shixun.inbox.models import Message
    from shixun.inbox.services import send

    send(w.teacher, "security:approved", "Your application for “%(course)s” was approved: you are enrolled",
         params={"course": INBOX_SECRET}, url="/learn/")
    w.message = Message.objects.get(recipient=w.teacher, key="security:approved")

    today = date.today()
    w.school_job, _ = request_export(w.school_admin, Scope(district=w.district, school=w.school),
                                     date(today.year, 1, 1), today, "csv")
    w.district_job, _ = request_export(w.district_admin, Scope(district=w.district, school=None),
                                       date(today.year, 1, 1), today, "csv")

    csv_text = "姓名,工号,手机,邮箱,类别\n赵新来,T0099,,,在职教师\n"
    table = roster.read_table(("\ufeff" + csv_text).encode("utf-8"), "roster.csv")
    roster.import_roster(w.school, table, imported_by=w.school_admin)
    w.roster_import = RosterImport.objects.filter(school=w.school).latest("pk")
    w.extra["imported_teacher"] = w.teacher.__class__.objects.get(
        shixun_profile__staff_number="T0099", shixun_profile__district=w.district
    )

    # Last year's annual report, computed: the teacher has no hours in it, so is on its appraisal list.
    from shixun.reports.jobs import run as compute_report

    compute_report(w.district.pk, today.year - 1)



def _build_shadowing(w: World) -> None:
    """A running shadowing programme: w.teacher (nominated by w.school) visits w.sibling_school.

    The mentor is sibling_teacher, a teacher of the base school.
    """
    from PIL import Image

    from shixun.accounts.actors import SYSTEM
    from shixun.accounts.models import Subject
    from shixun.shadowing import services as shadowing
    from shixun.shadowing.models import BaseSchool, Place, Programme

    today = date.today()
    subject = Subject.objects.get_or_create(name="语文")[0]
    programme = Programme.objects.create(district=w.district, title="跟岗研修-SECURITY",
                                         start_date=today - timedelta(days=30), end_date=today + timedelta(days=30))
    programme.subjects.add(subject)
    base = BaseSchool.objects.create(programme=programme, school=w.sibling_school)
    Place.objects.create(base_school=base, subject=subject, places=3)
    participant = shadowing.nominate(SYSTEM, programme, teacher=w.teacher, school=w.school, stage="primary",
                                     subject=subject, birth_date=date(1990, 1, 1))
    shadowing.assign_mentor(SYSTEM, participant, base, w.sibling_teacher)
    day = today - timedelta(days=14)
    while day.weekday() >= 5:
        day += timedelta(days=1)
    photo = io.BytesIO()
    Image.new("RGB", (20, 20), "blue").save(photo, "PNG")
    observation = shadowing.add_observation(
        w.teacher, participant, day=day, class_name="四(2)班", subject="语文", observed_teacher="李明", notes="好",
        photo=SimpleUploadedFile("photo.png", photo.getvalue(), content_type="image/png"),
    )
    w.extra.update(shadow_participant=participant, shadow_programme=programme, shadow_base=base,
                   shadow_photo=observation, shadow_day=day, shadow_subject=subject)


def shadow_pk(w):
    return w.extra["shadow_participant"].pk


def shadow_programme_pk(w):
    return w.extra["shadow_programme"].pk


def shadow_base_pk(w):
    return w.extra["shadow_base"].pk


def shadow_photo_pk(w):
    return w.extra["shadow_photo"].pk


def shadow_journal(w):
    text = "今天听课两节，参加集体备课，学习了提问设计与课堂评价。" * 3
    return {"day": w.extra["shadow_day"].isoformat(), "text": text}


def shadow_place(w):
    return {"school": w.sibling_school.pk, "subject": w.extra["shadow_subject"].pk, "places": "2"}


def _build_evaluation(w: World) -> None:
    """A course evaluated by five of the district's learners (enough to show), the world's learners enrolled."""
    from shixun.assessments.evaluations.models import EvaluationTemplate, Response
    from shixun.courses import enrolment
    from shixun.courses.models import CoursePage, ModulePage
    from shixun.transcripts.models import TrainingFile
    from tests.evaluations.security_world import COMMENT_SECRET, TEMPLATE_TITLE

    template = EvaluationTemplate.objects.create(district=w.district, title=TEMPLATE_TITLE)
    course = CoursePage(title="课堂评价方法", slug="evaluated", summary="含课程评价")
    course.trainers = [w.trainer]
    course = _publish(w.catalogue, course)
    module = _publish(course, ModulePage(
        title="课程评价", slug="evaluated-1", credit_hours=Decimal("0.5"),
        body=[("paragraph", "<p>请评价</p>"), ("evaluation", {"evaluation_template": template, "required": True})],
    ))
    for learner in (w.teacher, w.sibling_teacher, w.foreign_teacher):
        enrolment.enrol_self(learner, course)
    for n in range(5):
        Response.objects.create(template=template, course=course, district=w.district, year=timezone.localdate().year,
                                content=4, trainer=5, organisation=4, usefulness=5,
                                comment=COMMENT_SECRET if n == 0 else "")
    w.extra.update(evaluation_template=template, evaluation_module=module)
    # A training file produced earlier, for the public verification page.
    w.extra["training_file"] = TrainingFile.objects.create(learner=w.teacher, total_hours=Decimal("3.0"), entry_count=1)


def build_world(*, teacher_name: str = TEACHER_NAME, short_answer: str = SHORT_ANSWER_SECRET,
                external_title: str = EXTERNAL_TITLE) -> World:
    """Everything the suite looks at. Call inside a transaction that will be rolled back."""
    from wagtail.models import Site

    from shixun.themes.models import BrandingSettings

    w = World()
    w.extra.update(short_answer=short_answer, external_title=external_title)
    # The site's branding row is created on the first page rendered; create it now, so a
    # refused request that renders an error page does not look like a change of data.
    BrandingSettings.for_site(Site.objects.get(is_default_site=True))
    with TestCase.captureOnCommitCallbacks(execute=True):
        _build_org(w, teacher_name=teacher_name)
    with TestCase.captureOnCommitCallbacks(execute=True):
        _build_courses(w)
    with TestCase.captureOnCommitCallbacks(execute=True):
        _build_review(w)
    with TestCase.captureOnCommitCallbacks(execute=True):
        _build_learning(w)
    with TestCase.captureOnCommitCallbacks(execute=True):
        _build_credit_and_schools(w)
    with TestCase.captureOnCommitCallbacks(execute=True):
        _build_shadowing(w)
        _build_evaluation(w)
        from tests.attendance.security_world import build_world as build_attendance_world

        build_attendance_world(w)  # sessions, a mark and a pending leave request (the attendance kind's rows)
    # The export jobs ran after "commit" (inline: Q_CLUSTER sync in tests).
    for job in (w.school_job, w.district_job):
        job.refresh_from_db()
        assert job.status == "done", job.error
    # Fresh instances: the role caches (role_names) must not carry over between tests.
    for name in ("teacher", "sibling_teacher", "foreign_teacher", "school_admin", "sibling_school_admin",
                 "district_admin", "foreign_district_admin", "trainer", "other_trainer", "reviewer", "superuser"):
        user = getattr(w, name)
        setattr(w, name, user.__class__.objects.get(pk=user.pk))
    return w


def private_files() -> set[str]:
    root = Path(settings.PRIVATE_MEDIA_ROOT)
    return {str(p.relative_to(root)) for p in root.rglob("*") if p.is_file()} if root.exists() else set()


@pytest.fixture(scope="module")
def h5p_store():
    """A private H5P store and the content origin in front of the site, for the whole module."""
    root = Path(tempfile.mkdtemp(prefix="shixun-security-h5p-"))
    middleware = [CONTENT_MIDDLEWARE, *[m for m in settings.MIDDLEWARE if m != CONTENT_MIDDLEWARE]]
    frame_src = [*getattr(settings, "SHIXUN_CSP_FRAME_SRC", [])]
    if CONTENT_ORIGIN not in frame_src:
        frame_src.append(CONTENT_ORIGIN)
    with override_settings(
        SHIXUN_H5P_ROOT=str(root), SHIXUN_H5P_CONTENT_ORIGIN=CONTENT_ORIGIN, MIDDLEWARE=middleware,
        SHIXUN_CSP_FRAME_SRC=frame_src,
    ):
        yield root
    shutil.rmtree(root, ignore_errors=True)


def public_media_files() -> set[str]:
    root = Path(settings.MEDIA_ROOT)
    return {str(p.relative_to(root)) for p in root.rglob("*") if p.is_file()} if root.exists() else set()


def _module_world(django_db_setup, django_db_blocker, **kwargs):
    before, public_before = private_files(), public_media_files()
    with django_db_blocker.unblock():
        with transaction.atomic():
            world = build_world(**kwargs)
            world.private_names = private_files() - before  # what this world stored (the worker's root holds more)
            yield world
            transaction.set_rollback(True)
    # The rows are rolled back; the files they named go too (documents, images and renditions included).
    for root, new in ((Path(settings.PRIVATE_MEDIA_ROOT), private_files() - before),
                      (Path(settings.MEDIA_ROOT), public_media_files() - public_before)):
        for name in new:
            (root / name).unlink(missing_ok=True)


@pytest.fixture(scope="module")
def world(django_db_setup, django_db_blocker, h5p_store):
    yield from _module_world(django_db_setup, django_db_blocker)


@pytest.fixture
def english():
    from django.utils import translation

    with translation.override("en"):
        yield


def response_text(response) -> str:
    """Everything a response shows, whatever its format: pages, CSV, PDF text, zip and xlsx contents."""
    body = b"".join(response.streaming_content) if getattr(response, "streaming", False) else response.content
    kind = response.get("Content-Type", "")
    parts = [body.decode("utf-8", "replace")]
    if body.startswith(b"%PDF"):
        from pypdf import PdfReader

        reader = PdfReader(io.BytesIO(body))
        parts += [page.extract_text() or "" for page in reader.pages]
    elif body.startswith(b"PK\x03\x04"):
        import zipfile

        with zipfile.ZipFile(io.BytesIO(body)) as archive:
            for info in archive.infolist():
                parts.append(info.filename)
                data = archive.read(info)
                parts.append(data.decode("utf-8", "replace"))
                if data.startswith(b"%PDF"):
                    from pypdf import PdfReader

                    parts += [page.extract_text() or "" for page in PdfReader(io.BytesIO(data)).pages]
    elif "json" in kind:
        parts.append(json.dumps(json.loads(body or b"null"), ensure_ascii=False))
    return "\n".join(parts)
