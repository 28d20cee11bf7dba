"""Posting, idempotency, reversal, the append-only triggers and reconciliation."""

from datetime import date
from decimal import Decimal

import pytest
from django.core.management import call_command
from django.db import DatabaseError, IntegrityError, connection, transaction
from django.db.models import ProtectedError
from django_q.models import Schedule

from shixun.courses.models import ModuleCompletion
from shixun.transcripts import ledger
from shixun.transcripts.models import AuditAction, CreditAuditEvent, LedgerEntry, LedgerImmutable, SourceKind
from shixun.transcripts.receivers import RECONCILE_SCHEDULE_NAME
from tests.transcripts.helpers import complete, enrol, make_category, make_course


@pytest.fixture
def course(db):
    return make_course(hours=("2.0", "1.5"), category=make_category("师德师风"))


def test_completing_a_module_posts_its_hours_after_commit(org, course, django_capture_on_commit_callbacks):
    course_page, (first, _second) = course
    enrol(org.teacher, course_page)
    with django_capture_on_commit_callbacks(execute=True):
        complete(org.teacher, first)
    entry = LedgerEntry.objects.get(learner=org.teacher)
    completion = ModuleCompletion.objects.get(user=org.teacher, module=first)
    assert entry.module_completion == completion
    assert entry.hours == Decimal("2.0")
    assert entry.source_kind == SourceKind.MODULE_COMPLETION
    assert entry.school == org.school
    assert entry.category.name == "师德师风"
    assert entry.posted_by is None  # the system
    assert entry.title.endswith(first.title)
    assert CreditAuditEvent.objects.filter(entry=entry, action=AuditAction.POSTED, via="task").count() == 1


def test_nothing_is_posted_before_commit(org, course):
    course_page, (first, _second) = course
    enrol(org.teacher, course_page)
    complete(org.teacher, first)  # on_commit callbacks are not run in this test transaction
    assert ModuleCompletion.objects.filter(user=org.teacher).exists()
    assert not LedgerEntry.objects.exists()


def test_posting_twice_is_a_no_op(org, course):
    course_page, (first, _second) = course
    enrol(org.teacher, course_page)
    complete(org.teacher, first)
    completion = ModuleCompletion.objects.get()
    assert ledger.post_module_completion(completion.pk).created
    again = ledger.post_module_completion(completion.pk)
    assert not again.created
    assert LedgerEntry.objects.count() == 1
    assert again.entry.pk == LedgerEntry.objects.get().pk


def test_changing_a_modules_hours_affects_later_completions_only(org, course, django_capture_on_commit_callbacks):
    course_page, (first, _second) = course
    enrol(org.teacher, course_page)
    enrol(org.sibling_teacher, course_page)
    with django_capture_on_commit_callbacks(execute=True):
        complete(org.teacher, first)
    first.credit_hours = Decimal("5.0")
    first.save()
    with django_capture_on_commit_callbacks(execute=True):
        complete(org.sibling_teacher, first)
    assert LedgerEntry.objects.get(learner=org.teacher).hours == Decimal("2.0")
    assert LedgerEntry.objects.get(learner=org.sibling_teacher).hours == Decimal("5.0")


def test_reversal_posts_the_opposite_once_with_reason_and_actor(org, course):
    course_page, (first, _second) = course
    enrol(org.teacher, course_page)
    complete(org.teacher, first)
    entry = ledger.post_module_completion(ModuleCompletion.objects.get().pk).entry
    reversal = ledger.reverse_entry(entry, reason="重复登记", actor=org.district_admin)
    assert reversal.hours == -entry.hours
    assert reversal.reverses == entry
    assert reversal.earned_on == entry.earned_on
    assert reversal.posted_by == org.district_admin
    assert CreditAuditEvent.objects.filter(
        entry=reversal, action=AuditAction.REVERSED, actor=org.district_admin
    ).exists()
    with pytest.raises(ledger.LedgerError):
        ledger.reverse_entry(entry, reason="again", actor=org.district_admin)
    with pytest.raises(ledger.LedgerError):
        ledger.reverse_entry(reversal, reason="undo", actor=org.district_admin)
    with pytest.raises(ledger.LedgerError):
        ledger.reverse_entry(entry, reason="  ", actor=org.district_admin)
    assert LedgerEntry.objects.count() == 2


def test_external_and_manual_entries_are_idempotent_and_validated(org):
    kwargs = dict(
        learner=org.teacher,
        hours=Decimal("16"),
        title="校本研修",
        source_kind=SourceKind.EXTERNAL_TRAINING,
        source_ref="ext-1",
        earned_on=date(2025, 3, 1),
    )
    assert ledger.post_entry(**kwargs).created
    assert not ledger.post_entry(**kwargs).created
    with pytest.raises(ledger.LedgerError):
        ledger.post_entry(**{**kwargs, "source_ref": "ext-2", "hours": Decimal("-1")})
    with pytest.raises(ledger.LedgerError):
        ledger.post_entry(**{**kwargs, "source_ref": "ext-3", "hours": Decimal("1.25")})
    with pytest.raises(ledger.LedgerError):
        ledger.post_entry(**{**kwargs, "source_ref": "m-1", "source_kind": SourceKind.MANUAL_ADJUSTMENT})
    assert LedgerEntry.objects.count() == 1


def _an_entry(org):
    return ledger.post_entry(
        learner=org.teacher,
        hours=Decimal("3"),
        title="x",
        source_kind=SourceKind.EXTERNAL_TRAINING,
        source_ref="guard",
        earned_on=date(2025, 1, 1),
    ).entry


def test_model_methods_refuse_change(org):
    entry = _an_entry(org)
    entry.hours = Decimal("30")
    with pytest.raises(LedgerImmutable):
        entry.save()
    with pytest.raises(LedgerImmutable):
        entry.delete()


def test_database_refuses_queryset_update(org):
    entry = _an_entry(org)
    with pytest.raises(DatabaseError, match="append-only"), transaction.atomic():
        LedgerEntry.objects.filter(pk=entry.pk).update(hours=Decimal("30"))
    assert LedgerEntry.objects.get(pk=entry.pk).hours == Decimal("3")


def test_database_refuses_queryset_delete(org):
    entry = _an_entry(org)
    # The ORM's delete() stops at the audit row's PROTECT; the fast path that
    # skips the collector (one DELETE statement) meets the trigger.
    with pytest.raises((DatabaseError, IntegrityError, ProtectedError)), transaction.atomic():
        LedgerEntry.objects.filter(pk=entry.pk).delete()
    with pytest.raises(DatabaseError, match="append-only"), transaction.atomic():
        LedgerEntry.objects.filter(pk=entry.pk)._raw_delete(connection.alias)
    assert LedgerEntry.objects.filter(pk=entry.pk).exists()


@pytest.mark.parametrize(
    "sql",
    [
        "UPDATE shixun_transcripts_ledgerentry SET hours = 99",
        "DELETE FROM shixun_transcripts_ledgerentry",
        "UPDATE shixun_transcripts_creditauditevent SET detail = 'forged'",
        "DELETE FROM shixun_transcripts_creditauditevent",
    ],
)
def test_database_refuses_raw_sql(org, sql):
    _an_entry(org)
    with pytest.raises(DatabaseError, match="append-only"), transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(sql)
    assert LedgerEntry.objects.get().hours == Decimal("3")


def test_reconcile_posts_missing_completions_once(org, course):
    course_page, modules = course
    enrol(org.teacher, course_page)
    for module in modules:
        complete(org.teacher, module)  # signals never ran: tasks "lost"
    assert not LedgerEntry.objects.exists()
    call_command("reconcile_credits", stdout=open("/dev/null", "w"))  # noqa: SIM115
    assert LedgerEntry.objects.filter(source_kind=SourceKind.MODULE_COMPLETION).count() == 2
    assert ledger.reconcile() == 0
    assert LedgerEntry.objects.count() == 2


def test_reconcile_schedule_is_registered_once(db):
    from shixun.transcripts.receivers import register_schedules

    register_schedules()
    register_schedules()
    schedule = Schedule.objects.get(name=RECONCILE_SCHEDULE_NAME)
    assert schedule.func == "shixun.transcripts.tasks.reconcile"
    assert schedule.schedule_type == Schedule.MINUTES and schedule.minutes == 1
