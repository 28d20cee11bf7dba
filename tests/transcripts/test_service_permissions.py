"""The ledger and grade services check the actor themselves: a refused actor writes nothing.

accounts.actors.SYSTEM skips the check where no person needs to be named (the
grade sheet); the ledger names a person for every manual entry and reversal,
so a system caller passes acting_for(person).
"""

import uuid
from datetime import date
from decimal import Decimal

import pytest

from shixun.accounts.actors import SYSTEM, NotPermitted, acting_for
from shixun.courses.models import CourseCompletion
from shixun.transcripts import grades
from shixun.transcripts.ledger import LedgerError, post_entry, post_manual_adjustment, reverse_entry
from shixun.transcripts.models import (
    AuditAction,
    ComponentScore,
    CourseCreditSettings,
    CreditAuditEvent,
    GradeComponent,
    LedgerEntry,
    SourceKind,
)
from tests.factories import make_user
from tests.transcripts.helpers import complete, enrol, make_course

pytestmark = pytest.mark.django_db


@pytest.fixture
def entry(org):
    return post_entry(
        learner=org.teacher, hours=Decimal("6"), title="培训", source_kind=SourceKind.EXTERNAL_TRAINING,
        source_ref="x-1", earned_on=date(2024, 5, 1),
    ).entry


OUTSIDERS = ["foreign_district_admin", "school_admin", "trainer", "teacher"]


@pytest.mark.parametrize("who", OUTSIDERS)
def test_reversal_by_someone_outside_the_learners_district_office_is_refused(org, entry, who):
    before = CreditAuditEvent.objects.count()
    with pytest.raises(NotPermitted):
        reverse_entry(entry, reason="错误", actor=getattr(org, who))
    assert not LedgerEntry.objects.filter(reverses=entry).exists()
    assert CreditAuditEvent.objects.count() == before


def test_reversal_on_behalf_of_a_person_skips_the_check_and_names_them(org, entry):
    reversal = reverse_entry(entry, reason="证书作废", actor=acting_for(org.trainer))
    assert reversal.posted_by == org.trainer
    assert CreditAuditEvent.objects.get(action=AuditAction.REVERSED).actor == org.trainer


def test_the_system_alone_cannot_reverse_a_reversal_names_a_person(org, entry):
    with pytest.raises(LedgerError):
        reverse_entry(entry, reason="错误", actor=SYSTEM)
    assert not LedgerEntry.objects.filter(reverses=entry).exists()


def adjust(org, actor, learner=None):
    return post_manual_adjustment(
        learner=learner or org.teacher, hours=Decimal("3"), title="补登", reason="纸质签到表",
        earned_on=date(2024, 1, 5), actor=actor, request_key=uuid.uuid4(),
    )


@pytest.mark.parametrize("who", OUTSIDERS)
def test_a_manual_adjustment_by_someone_outside_the_district_office_is_refused(org, who):
    with pytest.raises(NotPermitted):
        adjust(org, getattr(org, who))
    assert not LedgerEntry.objects.exists() and not CreditAuditEvent.objects.exists()


def test_a_manual_adjustment_for_another_districts_teacher_is_refused(org):
    with pytest.raises(NotPermitted):
        adjust(org, org.district_admin, learner=org.foreign_teacher)
    assert not LedgerEntry.objects.exists()


def test_a_manual_adjustment_on_behalf_of_a_person_skips_the_check(org):
    posting = adjust(org, acting_for(org.trainer))
    assert posting.created and posting.entry.posted_by == org.trainer


@pytest.fixture
def graded(org, django_capture_on_commit_callbacks):
    course, modules = make_course(hours=("1.0",), title="混合式研修")
    course.trainers.add(org.trainer)
    course.save()
    settings = CourseCreditSettings.objects.create(course=course, award_hours=Decimal("8"))
    component = GradeComponent.objects.create(settings=settings, name="集中", weight=100)
    enrol(org.teacher, course)
    with django_capture_on_commit_callbacks(execute=True):
        complete(org.teacher, modules[0])
    assert CourseCompletion.objects.filter(user=org.teacher, course=course).exists()
    return course, component


def changes_for(course, component, learner, score):
    sheet = grades.build_sheet(course)
    changes, errors = grades.parse_changes(sheet, {grades.score_field(learner.pk, component.pk): score})
    assert not errors
    return changes


@pytest.mark.parametrize("who", ["other_trainer", "reviewer", "district_admin", "teacher"])
def test_a_grade_sheet_save_by_someone_not_grading_the_course_is_refused(org, graded, who):
    course, component = graded
    actor = make_user(district=org.district, roles=["trainers"]) if who == "other_trainer" else getattr(org, who)
    changes = changes_for(course, component, org.teacher, "90")
    with pytest.raises(NotPermitted):
        grades.save_changes(course, changes, actor=actor)
    assert not ComponentScore.objects.exists()
    assert not LedgerEntry.objects.filter(source_kind=SourceKind.COURSE_AWARD).exists()


def test_a_grade_sheet_save_by_the_system_skips_the_check(org, graded):
    course, component = graded
    summary = grades.save_changes(course, changes_for(course, component, org.teacher, "90"), actor=SYSTEM)
    assert summary.values == 1 and summary.issued == 1
    assert ComponentScore.objects.get().recorded_by is None


RULE_FORM = {
    "name": "五年360", "period_kind": "cycle", "cycle_start_year": "2021", "cycle_years": "5",
    "minimum_hours": "360", "active": "on", "sort_order": "0",
    "minimums-TOTAL_FORMS": "0", "minimums-INITIAL_FORMS": "0",
}


def bound_rule_forms(district):
    from shixun.transcripts.forms import CategoryMinimumFormSet, RequirementRuleForm

    form = RequirementRuleForm(RULE_FORM, district=district)
    minimums = CategoryMinimumFormSet(RULE_FORM, instance=form.instance, prefix="minimums")
    assert form.is_valid() and minimums.is_valid(), (form.errors, minimums.errors)
    return form, minimums


@pytest.mark.parametrize("who", ["foreign_district_admin", "school_admin", "trainer"])
def test_saving_a_rule_for_a_district_one_does_not_manage_is_refused(org, who):
    from shixun.transcripts.models import RequirementRule
    from shixun.transcripts.rules import save_rule

    with pytest.raises(NotPermitted):
        save_rule(*bound_rule_forms(org.district), actor=getattr(org, who))
    assert not RequirementRule.objects.exists()


def test_saving_a_rule_as_the_district_admin_or_the_system(org):
    from shixun.transcripts.rules import save_rule

    assert save_rule(*bound_rule_forms(org.district), actor=org.district_admin).district == org.district
    assert save_rule(*bound_rule_forms(org.other_district), actor=SYSTEM).district == org.other_district
