"""Batch posting: one task run posts many pending completions, each exactly once, with one audit event each."""

from collections import Counter

import pytest
from django.db import connection
from django.db.models import Count
from django.utils import timezone

from shixun.courses.models import ModuleCompletion
from shixun.transcripts import ledger, tasks
from shixun.transcripts.models import AuditAction, CreditAuditEvent, LedgerEntry, SourceKind
from tests.factories import make_teacher
from tests.transcripts.helpers import complete, enrol, make_category, make_course, tasks_lost
from tests.transcripts.test_concurrency import run_at_once


def pending_completions(school, *, teachers=3, modules=4):
    """teachers × modules completions whose posting tasks were lost, oldest first."""
    course, course_modules = make_course(hours=["1.5"] * modules, category=make_category())
    with tasks_lost():
        for n in range(teachers):
            teacher = make_teacher(school, username=f"batch-{school.code}-{n}")
            enrol(teacher, course)
            for module in course_modules:
                complete(teacher, module)
    completions = list(ModuleCompletion.objects.order_by("pk"))
    assert len(completions) == teachers * modules and not LedgerEntry.objects.exists()
    return completions


def assert_each_posted_once(completions):
    """Every completion has exactly one entry, every entry exactly one POSTED event, and nothing else was posted."""
    entries = LedgerEntry.objects.filter(source_kind=SourceKind.MODULE_COMPLETION)
    per_completion = Counter(entries.values_list("module_completion_id", flat=True))
    assert per_completion == Counter(c.pk for c in completions)
    events = CreditAuditEvent.objects.filter(action=AuditAction.POSTED)
    assert events.count() == entries.count()
    assert not entries.annotate(n=Count("audit")).exclude(n=1).exists()


def test_one_task_run_posts_its_own_and_the_oldest_pending_after_it(org, settings, django_assert_max_num_queries):
    settings.SHIXUN_CREDIT_POSTING_BATCH = 5
    completions = pending_completions(org.school)
    own = completions[3]
    with django_assert_max_num_queries(12):
        assert tasks.post_module_completion(own.pk) is True
    posted = set(LedgerEntry.objects.values_list("module_completion_id", flat=True))
    assert posted == {c.pk for c in completions[3:8]}
    assert_each_posted_once(completions[3:8])
    assert set(CreditAuditEvent.objects.values_list("via", flat=True)) == {"task"}

    # Each batch-posted entry is what the one-entry path would have written.
    for completion in completions[4:8]:
        entry = LedgerEntry.objects.get(module_completion=completion)
        assert entry.learner_id == completion.user_id
        assert entry.hours == completion.credit_hours
        assert entry.school_id == org.school.pk
        assert entry.course_id == completion.course_id
        assert entry.category_id == completion.course.category_id
        assert entry.title == f"{completion.course.title} · {completion.module.title}"
        assert entry.earned_on == timezone.localdate(completion.completed_at)
        assert entry.posted_by is None

    # The task of a completion a sibling batch posted is one query and no transaction.
    with django_assert_max_num_queries(1):
        assert tasks.post_module_completion(completions[4].pk) is False

    # Every task run in queue order (and every duplicate delivery) leaves each completion posted exactly once.
    results = [tasks.post_module_completion(c.pk) for c in completions + completions]
    # Run 0 posts 0-2 and 8-9 (3-7 are done), run 10 posts 10-11; every other run finds its entry.
    assert [n for n, created in enumerate(results) if created] == [0, 10]
    assert_each_posted_once(completions)
    assert ledger.reconcile() == 0


def test_a_large_batch_costs_a_constant_number_of_queries(org, settings, django_assert_max_num_queries):
    settings.SHIXUN_CREDIT_POSTING_BATCH = 200
    completions = pending_completions(org.school, teachers=10, modules=5)
    with django_assert_max_num_queries(12):
        assert tasks.post_module_completion(completions[0].pk) is True
    assert_each_posted_once(completions)


def test_reconcile_drains_in_batches(org, settings):
    settings.SHIXUN_CREDIT_POSTING_BATCH = 4
    completions = pending_completions(org.school, teachers=3, modules=3)
    assert ledger.reconcile(via="reconcile") == 9
    assert_each_posted_once(completions)
    assert set(CreditAuditEvent.objects.values_list("via", flat=True)) == {"reconcile"}


def test_an_entry_written_outside_the_batch_protocol_falls_back_to_posting_one(org, settings):
    """post_entry with a module-completion source takes no row lock: the unique source still decides."""
    from unittest import mock

    settings.SHIXUN_CREDIT_POSTING_BATCH = 10
    completions = pending_completions(org.school, teachers=1, modules=3)
    own, intruder, other = completions
    bulk_create = LedgerEntry.objects.bulk_create

    def intrude_then_insert(entries, **kwargs):
        # The intruder writes after the batch re-read which completions still lack an entry.
        if any(e.module_completion_id == intruder.pk for e in entries):
            ledger.post_entry(
                learner=intruder.user,
                hours=intruder.credit_hours,
                title="x",
                source_kind=SourceKind.MODULE_COMPLETION,
                source_ref=str(intruder.pk),
                earned_on=timezone.localdate(),
                module_completion_id=intruder.pk,
            )
        return bulk_create(entries, **kwargs)

    with mock.patch.object(LedgerEntry.objects, "bulk_create", side_effect=intrude_then_insert) as patched:
        posting = ledger.post_module_completion(own.pk)
    assert patched.call_count == 1  # the batch met the intruder's entry; the fallback does not bulk insert
    assert posting.created and posting.entry.module_completion_id == own.pk
    # The batch rolled back (with the intruder's entry, written inside it here);
    # the own completion was posted alone; the others wait for their tasks.
    assert_each_posted_once([own])
    assert ledger.post_module_completion(other.pk).created


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_racing_batches_never_double_post(postgres_only, settings):
    """Four task runs at once, then two reconciles at once, over 300 pending completions (PostgreSQL locks)."""
    from shixun.accounts.models import District, School

    settings.SHIXUN_CREDIT_POSTING_BATCH = 40
    district = District.objects.create(code="bp", name="批量区")
    school = School.objects.create(district=district, code="bp-s", name="批量小学")
    completions = pending_completions(school, teachers=60, modules=5)
    own = [completions[n].pk for n in range(4)]  # each sweeps the others' own completions too
    results = []
    from unittest import mock

    with mock.patch.object(ledger, "_post_one", wraps=ledger._post_one) as fallback:
        errors = run_at_once(lambda: results.append(tasks.post_module_completion(own[len(results) % 4])), n=4)
        assert not errors, errors
        first_round = LedgerEntry.objects.count()
        assert 4 <= first_round <= 4 * 40
        counts = []
        errors = run_at_once(lambda: counts.append(ledger.reconcile()), n=2)
        assert not errors, errors
    assert first_round + sum(counts) == len(completions)
    assert fallback.call_count == 0  # no batch ever met another's entry at the unique constraint
    assert_each_posted_once(completions)
    assert connection.vendor == "postgresql"
