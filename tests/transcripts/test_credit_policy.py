"""Credit policy per course: "hours per completed module" (the default) or "hours when the course is passed".

Under the second, module completions post nothing; passing the course posts
its modules' hours and the award once, with the certificate; a failure posts
nothing; a revocation reverses them; a re-pass after a revocation posts
nothing (revocation is final). Each completion keeps the policy it was made
under, so switching a course's policy never loses or doubles an hour.
"""

import csv
import io
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from pypdf import PdfReader

from shixun.courses.models import CourseCompletion, CreditPolicy, ModuleCompletion, ModulePage
from shixun.transcripts import certificates as certs
from shixun.transcripts import grades, ledger, tasks
from shixun.transcripts.models import (
    AuditAction,
    Certificate,
    CourseCreditSettings,
    CreditAuditEvent,
    GradeComponent,
    LedgerEntry,
    SourceKind,
)
from shixun.transcripts.services import hours_earned, pending_by_course
from shixun.transcripts.transcript import build_transcript
from tests.factories import make_teacher
from tests.transcripts.helpers import complete, enrol, make_course, tasks_lost

MODULE_HOURS = ("2.0", "1.5")
AWARD = Decimal("4")
COURSE_HOURS = Decimal("3.5") + AWARD


class Graded:
    pass


def site_catalogue():
    """A catalogue under the default site's home, so course pages have a URL (make_course uses the first one)."""
    from wagtail.models import Site

    from shixun.courses.models import CataloguePage

    catalogue = CataloguePage.objects.first()
    if catalogue is None:
        home = Site.objects.get(is_default_site=True).root_page
        catalogue = home.add_child(instance=CataloguePage(title="课程中心", slug="policy-catalogue"))
    return catalogue


def graded_course(org, *, policy=CreditPolicy.ON_PASS, hours=MODULE_HOURS):
    site_catalogue()
    g = Graded()
    g.course, g.modules = make_course(hours=hours, title="师德考核课")
    g.course.credit_policy = policy
    g.course.trainers.add(org.trainer)
    g.course.save()
    g.settings = CourseCreditSettings.objects.create(course=g.course, award_hours=AWARD, void_at_absent_days=2)
    g.school_part = GradeComponent.objects.create(settings=g.settings, name="校本研修", weight=30)
    g.central = GradeComponent.objects.create(settings=g.settings, name="集中考核", weight=70)
    return g


@pytest.fixture
def g(org, django_capture_on_commit_callbacks):
    """A pass-policy course (2 + 1.5 h, 4 award hours, 30/70, 2 days void) org.teacher has completed, ungraded."""
    g = graded_course(org)
    enrol(org.teacher, g.course)
    with django_capture_on_commit_callbacks(execute=True):  # the posting and course-completion tasks run
        for module in g.modules:
            complete(org.teacher, module)
    g.completion = CourseCompletion.objects.get(user=org.teacher, course=g.course)
    return g


def grade(g, learner, actor, *, school=None, central=None, absent=None):
    """What the grade sheet's POST does: parse against a fresh sheet, then save (and re-evaluate)."""
    data = {}
    if school is not None:
        data[grades.score_field(learner.pk, g.school_part.pk)] = school
    if central is not None:
        data[grades.score_field(learner.pk, g.central.pk)] = central
    if absent is not None:
        data[grades.absence_field(learner.pk)] = absent
    changes, errors = grades.parse_changes(grades.build_sheet(g.course), data)
    assert not errors, errors
    return grades.save_changes(g.course, changes, actor=actor)


def course_entries(learner, course):
    return LedgerEntry.objects.filter(learner=learner, course=course)


def net(learner, course) -> Decimal:
    return certs.course_hours(learner.pk, course.pk)


def assert_each_completion_posted_at_most_once(learner, course):
    for completion in ModuleCompletion.objects.filter(user=learner, course=course):
        entries = LedgerEntry.objects.filter(source_kind=SourceKind.MODULE_COMPLETION, module_completion=completion)
        assert entries.count() <= 1


# --- The default ---------------------------------------------------------------------


def test_the_default_is_hours_per_module_as_before(org, django_capture_on_commit_callbacks):
    course, (module,) = make_course(hours=("2.0",))
    assert course.credit_policy == CreditPolicy.PER_MODULE
    enrol(org.teacher, course)
    with django_capture_on_commit_callbacks(execute=True):
        complete(org.teacher, module)
    completion = ModuleCompletion.objects.get(user=org.teacher, module=module)
    assert completion.hours_on_pass is False
    assert completion.ledger_entry.hours == Decimal("2.0")
    assert pending_by_course(org.teacher) == []


# --- Hours when the course is passed --------------------------------------------------------


def test_module_completions_post_nothing_and_show_as_pending(org, g):
    assert ModuleCompletion.objects.filter(user=org.teacher, course=g.course, hours_on_pass=True).count() == 2
    assert not course_entries(org.teacher, g.course).exists()
    assert not Certificate.objects.exists()
    # The posting task, its retries and the reconciler post nothing either.
    for completion in ModuleCompletion.objects.filter(user=org.teacher):
        assert tasks.post_module_completion(completion.pk) is False
    assert ledger.reconcile() == 0
    assert not ledger.unposted_module_completions().exists()
    assert ledger.held_module_completions().count() == 2
    assert not course_entries(org.teacher, g.course).exists()
    (pending,) = pending_by_course(org.teacher)
    assert (pending.course_id, pending.module_hours, pending.award_hours, pending.hours) == (
        g.course.pk, Decimal("3.5"), AWARD, COURSE_HOURS
    )
    assert hours_earned(org.teacher) == 0


def test_passing_posts_the_course_hours_once_with_the_certificate(org, g):
    summary = grade(g, org.teacher, org.trainer, school="85", central="75", absent="0")
    assert summary.issued == 1
    entries = course_entries(org.teacher, g.course)
    assert sorted((e.source_kind, e.hours) for e in entries) == sorted(
        [(SourceKind.MODULE_COMPLETION, Decimal("2.0")), (SourceKind.MODULE_COMPLETION, Decimal("1.5")),
         (SourceKind.COURSE_AWARD, AWARD)]
    )
    certificate = Certificate.objects.get(learner=org.teacher, course=g.course)
    assert certificate.is_valid and certificate.hours == COURSE_HOURS
    assert hours_earned(org.teacher) == COURSE_HOURS
    assert pending_by_course(org.teacher) == []
    assert CreditAuditEvent.objects.filter(action=AuditAction.POSTED, entry__in=entries).count() == 3

    # Retries and repeated re-evaluation post nothing more.
    for _ in range(2):
        certs.evaluate_course(org.teacher, g.course.pk, actor=org.trainer)
        certs.process_course_completion(g.completion.pk)
        tasks.process_course_completion(g.completion.pk)
        for completion in ModuleCompletion.objects.filter(user=org.teacher):
            assert tasks.post_module_completion(completion.pk) is False
        ledger.reconcile()
    grade(g, org.teacher, org.trainer, central="95")  # a change that still passes
    assert course_entries(org.teacher, g.course).count() == 3
    assert net(org.teacher, g.course) == COURSE_HOURS
    assert Certificate.objects.filter(learner=org.teacher).count() == 1
    assert_each_completion_posted_at_most_once(org.teacher, g.course)


def test_a_failed_course_posts_nothing_and_a_corrected_grade_then_posts(org, g):
    grade(g, org.teacher, org.trainer, school="40", central="50", absent="0")  # 47.0: failed
    assert not course_entries(org.teacher, g.course).exists()
    assert not Certificate.objects.exists()
    assert [p.hours for p in pending_by_course(org.teacher)] == [COURSE_HOURS]  # still waiting (补考)
    grade(g, org.teacher, org.trainer, central="80")  # 68.0: passed
    assert net(org.teacher, g.course) == COURSE_HOURS
    assert course_entries(org.teacher, g.course).count() == 3


def test_too_many_absent_days_post_nothing(org, g):
    grade(g, org.teacher, org.trainer, school="90", central="90", absent="2")
    assert not course_entries(org.teacher, g.course).exists()
    assert not Certificate.objects.exists()


def test_a_revocation_reverses_every_hour_and_a_re_pass_posts_nothing(org, g):
    grade(g, org.teacher, org.trainer, school="85", central="75", absent="0")
    posted = list(course_entries(org.teacher, g.course).order_by("pk"))
    summary = grade(g, org.teacher, org.trainer, central="30")  # 46.5: no longer passes
    assert summary.revoked == 1
    certificate = Certificate.objects.get(learner=org.teacher, course=g.course)
    assert not certificate.is_valid
    # Reversal entries, nothing deleted: each posted entry has exactly one reversal, by the grader.
    for entry in posted:
        reversal = LedgerEntry.objects.get(reverses=entry)
        assert reversal.hours == -entry.hours and reversal.posted_by == org.trainer and reversal.reason
    assert course_entries(org.teacher, g.course).count() == 6
    assert net(org.teacher, g.course) == 0 and hours_earned(org.teacher) == 0
    assert pending_by_course(org.teacher) == []  # revoked: these hours will not post again

    # Revocation is final: passing again issues nothing and posts nothing.
    grade(g, org.teacher, org.trainer, central="90")
    certs.process_course_completion(g.completion.pk)
    ledger.reconcile()
    assert course_entries(org.teacher, g.course).count() == 6
    assert net(org.teacher, g.course) == 0
    assert Certificate.objects.filter(learner=org.teacher).count() == 1
    assert not Certificate.objects.get(learner=org.teacher).is_valid


def test_absence_reaching_the_void_threshold_after_the_pass_reverses(org, g):
    grade(g, org.teacher, org.trainer, school="85", central="75", absent="0")
    grade(g, org.teacher, org.trainer, absent="3")
    assert net(org.teacher, g.course) == 0
    assert LedgerEntry.objects.filter(learner=org.teacher, source_kind=SourceKind.REVERSAL).count() == 3


def test_an_admin_reversing_one_entry_revokes_and_reverses_the_rest(org, g):
    grade(g, org.teacher, org.trainer, school="85", central="75", absent="0")
    award = LedgerEntry.objects.get(learner=org.teacher, source_kind=SourceKind.COURSE_AWARD)
    ledger.reverse_entry(award, reason="考勤材料不实", actor=org.district_admin)
    assert not Certificate.objects.get(learner=org.teacher).is_valid
    assert net(org.teacher, g.course) == 0
    reversals = LedgerEntry.objects.filter(learner=org.teacher, source_kind=SourceKind.REVERSAL)
    assert reversals.count() == 3 and set(reversals.values_list("posted_by", flat=True)) == {org.district_admin.pk}


def test_a_course_without_grading_posts_when_it_is_completed(org, django_capture_on_commit_callbacks):
    course, modules = make_course(hours=MODULE_HOURS)
    course.credit_policy = CreditPolicy.ON_PASS
    course.save()
    enrol(org.teacher, course)
    with django_capture_on_commit_callbacks(execute=True):
        complete(org.teacher, modules[0])
    assert not course_entries(org.teacher, course).exists()
    assert [p.hours for p in pending_by_course(org.teacher)] == [Decimal("2.0")]
    with django_capture_on_commit_callbacks(execute=True):
        complete(org.teacher, modules[1])  # completing is the pass: both modules post, with the certificate
    assert net(org.teacher, course) == Decimal("3.5")
    assert Certificate.objects.get(learner=org.teacher, course=course).hours == Decimal("3.5")


def test_a_module_added_and_completed_after_the_pass_posts_even_if_its_task_is_lost(org, g):
    grade(g, org.teacher, org.trainer, school="85", central="75", absent="0")
    extra = g.course.add_child(instance=ModulePage(title="补充一讲", slug="extra", credit_hours=Decimal("1.0")))
    with tasks_lost():
        complete(org.teacher, extra)
    completion = ModuleCompletion.objects.get(user=org.teacher, module=extra)
    assert completion.hours_on_pass and not LedgerEntry.objects.filter(module_completion=completion).exists()
    assert ledger.reconcile() == 1  # the pass stands: the reconciler repairs the lost task
    assert net(org.teacher, g.course) == COURSE_HOURS + 1


def test_the_reconciler_posts_only_what_the_policy_allows(org, g):
    other, (module,) = make_course(hours=("1.0",))  # per module
    enrol(org.teacher, other)
    learner = make_teacher(org.school, username="held-learner")
    enrol(learner, g.course)
    with tasks_lost():
        complete(org.teacher, module)
        for m in g.modules:
            complete(learner, m)
    assert list(ledger.unposted_module_completions().values_list("module_id", flat=True)) == [module.pk]
    assert ledger.reconcile() == 1
    assert course_entries(org.teacher, other).get().hours == Decimal("1.0")
    assert not course_entries(learner, g.course).exists()
    assert ledger.reconcile() == 0
    from shixun.config.metrics import oldest_unposted_completion_age

    assert oldest_unposted_completion_age() == 0.0  # held hours are not a posting lag


# --- Switching the policy ----------------------------------------------------------


def publish_policy(course, policy):
    """What a reviewer's approval does: publish a revision whose policy changed."""
    course.refresh_from_db()
    course.credit_policy = policy
    course.save_revision().publish()
    course.refresh_from_db()
    assert course.credit_policy == policy


def test_switching_to_pass_keeps_posted_module_hours_and_holds_later_ones(org, django_capture_on_commit_callbacks):
    g = graded_course(org, policy=CreditPolicy.PER_MODULE)
    enrol(org.teacher, g.course)
    with django_capture_on_commit_callbacks(execute=True):
        complete(org.teacher, g.modules[0])
    assert net(org.teacher, g.course) == Decimal("2.0")
    publish_policy(g.course, CreditPolicy.ON_PASS)
    with django_capture_on_commit_callbacks(execute=True):
        complete(org.teacher, g.modules[1])
    assert net(org.teacher, g.course) == Decimal("2.0")  # the first module's hours stay; the second waits
    assert [(p.module_hours, p.award_hours) for p in pending_by_course(org.teacher)] == [(Decimal("1.5"), AWARD)]
    grade(g, org.teacher, org.trainer, school="85", central="75", absent="0")
    assert net(org.teacher, g.course) == COURSE_HOURS  # nothing lost, nothing twice
    assert_each_completion_posted_at_most_once(org.teacher, g.course)
    grade(g, org.teacher, org.trainer, central="10")
    # The revocation takes back what the pass posted; the module credited per module stays.
    assert net(org.teacher, g.course) == Decimal("2.0")


def test_switching_to_per_module_leaves_held_completions_to_the_pass(org, django_capture_on_commit_callbacks):
    g = graded_course(org)
    enrol(org.teacher, g.course)
    with django_capture_on_commit_callbacks(execute=True):
        complete(org.teacher, g.modules[0])
    publish_policy(g.course, CreditPolicy.PER_MODULE)
    with django_capture_on_commit_callbacks(execute=True):
        complete(org.teacher, g.modules[1])
    assert net(org.teacher, g.course) == Decimal("1.5")  # the new completion posts at once
    assert ledger.reconcile() == 0  # the held one stays held
    assert [(p.module_hours, p.award_hours) for p in pending_by_course(org.teacher)] == [(Decimal("2.0"), AWARD)]
    grade(g, org.teacher, org.trainer, school="85", central="75", absent="0")
    assert net(org.teacher, g.course) == COURSE_HOURS
    assert_each_completion_posted_at_most_once(org.teacher, g.course)


def test_the_edit_form_offers_the_policy_and_says_what_a_change_does(org, g, client):
    from shixun.courses.moderation import configure_catalogue

    configure_catalogue(g.course.get_parent())
    client.force_login(org.trainer)
    page = client.get(f"/admin/pages/{g.course.pk}/edit/").content.decode()
    assert 'name="credit_policy"' in page
    assert "学时认定方式" in page and "课程考核通过后认定学时" in page
    assert "已有 1 名学员完成了本课程的单元" in page
    fresh, _modules = make_course(hours=("1.0",))
    fresh.trainers.add(org.trainer)
    fresh.save()
    page = client.get(f"/admin/pages/{fresh.pk}/edit/").content.decode()
    assert 'name="credit_policy"' in page and "名学员完成了本课程的单元" not in page


# --- Where pending hours are explained ----------------------------------------------------


def test_the_transcript_page_pdf_and_csv_show_pending_hours_apart(org, g, client):
    client.force_login(org.teacher)
    assert build_transcript(org.teacher).total == 0
    page = client.get("/transcript/").content.decode()
    assert "待考核" in page and "7.5" in page
    rows = list(csv.reader(io.StringIO(client.get("/transcript/csv/").content.decode("utf-8-sig"))))
    assert rows[0][-1] == "待考核学时"
    what, source, hours = rows[0].index("内容"), rows[0].index("来源"), rows[0].index("学时")
    # The course's row, then one per completed module (hours in the course's row only).
    (pending, *modules) = [row for row in rows[1:] if row[source] == "待考核"]
    assert pending[what] == g.course.title and pending[hours] == "" and pending[-1] == "7.5"
    assert [(row[what], row[hours], row[-1]) for row in modules] == [(m.title, "", "") for m in g.modules]
    assert sum(Decimal(row[hours]) for row in rows[1:] if row[hours]) == 0
    text = "".join(p.extract_text() for p in PdfReader(io.BytesIO(client.get("/transcript/pdf/").content)).pages)
    assert "待考核" in text and "7.5" in text

    grade(g, org.teacher, org.trainer, school="85", central="75", absent="0")
    assert build_transcript(org.teacher).total == COURSE_HOURS
    rows = list(csv.reader(io.StringIO(client.get("/transcript/csv/").content.decode("utf-8-sig"))))
    assert not [row for row in rows[1:] if row[source] == "待考核"]
    assert sum(Decimal(row[hours]) for row in rows[1:]) == COURSE_HOURS


def test_the_course_page_explains_pending_hours(org, g, client):
    client.force_login(org.teacher)
    page = client.get(g.course.url).content.decode()
    assert "考核通过后认定学时" in page
    assert "待考核" in page and "7.5 学时记入你的学时档案" in page
    grade(g, org.teacher, org.trainer, school="85", central="75", absent="0")
    assert "学时记入你的学时档案" not in client.get(g.course.url).content.decode()


def test_the_grade_sheet_reads_in_constant_queries_whatever_the_learners(org, g, client):
    client.force_login(org.trainer)
    url = f"/transcript/grades/{g.course.pk}/"

    def count() -> int:
        with CaptureQueriesContext(connection) as queries:
            assert client.get(url).status_code == 200
        return len(queries)

    count()  # the first request also warms the session and caches
    few = count()
    for n in range(12):
        learner = make_teacher(org.school, username=f"held{n}")
        enrol(learner, g.course)
        with tasks_lost():
            for module in g.modules:
                complete(learner, module)
    assert count() == few
