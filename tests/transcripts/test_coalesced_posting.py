"""Coalesced posting (transcripts.posting): a burst of completions queues a few tasks, not one each.

The rule is checked on a real broker (django-q2's ORM broker in the test database, not run synchronously:
the queued tasks are read back and run in order, as a worker would), with the flag in each of its two homes:
a real Redis (the cache in production) and the database row (`PostingDue`, the embedded default, whose cache
is local memory). Every test ends with each completion posted exactly once.
tests/transcripts/test_coalesced_cluster.py runs the same on a real cluster, with the Redis broker and cache
(and kills a worker mid-posting) and with the ORM broker and the row.
"""

import importlib
import threading
from datetime import timedelta

import pytest
from django.core.cache import cache
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from django_q.conf import Conf
from django_q.models import OrmQ

from shixun.courses.models import ModuleCompletion
from shixun.courses.signals import module_completed
from shixun.transcripts import ledger, posting, tasks
from shixun.transcripts.ledger import reconcile
from shixun.transcripts.models import LedgerEntry, PostingDue
from tests.concurrency import run_together
from tests.factories import make_teacher
from tests.platform_checks.test_redis_cache import redis_url  # noqa: F401 - the fixture
from tests.transcripts.helpers import completed, enrol, make_course, tasks_lost
from tests.transcripts.test_batch_posting import assert_each_posted_once, pending_completions


@pytest.fixture
def queued(monkeypatch):
    """Tasks go to the ORM broker's table (the test settings run them synchronously otherwise)."""
    monkeypatch.setattr(Conf, "SYNC", False)
    OrmQ.objects.all().delete()


@pytest.fixture
def shared_cache(settings, redis_url):  # noqa: F811
    settings.CACHES = {
        "default": {"BACKEND": "shixun.config.cache.RedisCache", "LOCATION": redis_url, "KEY_PREFIX": "coalesce"}
    }
    cache.delete(posting.DUE_KEY)
    yield cache
    cache.delete(posting.DUE_KEY)


@pytest.fixture(params=["row", "cache"])
def flag(request):
    """The protocol's tests run with the flag in each home: the database row (the default's local-memory
    cache) and Redis."""
    if request.param == "cache":
        request.getfixturevalue("shared_cache")
    assert posting.flag_in_cache() == (request.param == "cache")
    return request.param


def queue() -> list[tuple[str, tuple]]:
    return [(q.task["func"], tuple(q.task["args"])) for q in OrmQ.objects.order_by("pk")]


def run_queue() -> int:
    """Run every queued task in order, as a worker would (a task may queue more: they run too). Returns how many."""
    ran = 0
    while (row := OrmQ.objects.order_by("pk").first()) is not None:
        task = row.task
        row.delete()
        module, name = task["func"].rsplit(".", 1)
        getattr(importlib.import_module(module), name)(*task["args"])
        ran += 1
    return ran


def one_more_completion(school, username="after-the-burst"):
    course, modules = make_course(hours=["1.0"])
    teacher = make_teacher(school, username=username)
    enrol(teacher, course)
    with tasks_lost():
        return completed(teacher, modules[0])


def test_a_burst_queues_one_task_that_posts_it_all_then_the_next_completion_queues_again(org, queued, flag):
    burst = pending_completions(org.school, teachers=3, modules=4)
    outcomes = [posting.enqueue_posting(c.pk) for c in burst]
    assert outcomes == ["due"] + ["coalesced"] * (len(burst) - 1)
    assert queue() == [(posting.DUE_TASK, (burst[0].pk,))]
    assert run_queue() == 1
    assert_each_posted_once(burst)
    # The task cleared the flag: the next completion queues a task of its own, behind nothing.
    after = one_more_completion(org.school)
    assert posting.enqueue_posting(after.pk) == "due"
    assert queue() == [(posting.DUE_TASK, (after.pk,))]
    assert run_queue() == 1
    assert_each_posted_once([*burst, after])


def test_the_receiver_coalesces_signals_sent_in_a_burst(org, queued, flag, django_capture_on_commit_callbacks):
    completions = pending_completions(org.school, teachers=2, modules=3)
    with django_capture_on_commit_callbacks(execute=True):
        for completion in completions:
            module_completed.send(sender=ModuleCompletion, completion=completion)
    assert queue() == [(posting.DUE_TASK, (completions[0].pk,))]
    run_queue()
    assert_each_posted_once(completions)


def test_a_completion_below_the_flags_id_queues_its_own_task(org, queued, flag):
    # Ids are handed out at INSERT; commits, and so the signals, may come in another order.
    first, second, third = pending_completions(org.school, teachers=1, modules=3)
    assert posting.enqueue_posting(second.pk) == "due"
    assert posting.enqueue_posting(first.pk) == "own"
    assert posting.enqueue_posting(third.pk) == "coalesced"
    assert queue() == [(posting.DUE_TASK, (second.pk,)), (posting.OWN_TASK, (first.pk,))]
    run_queue()
    assert_each_posted_once([first, second, third])


def test_a_completion_committed_after_the_task_started_queues_a_new_task(org, queued, flag):
    completions = pending_completions(org.school, teachers=1, modules=3)
    with_first = completions[:2]
    assert [posting.enqueue_posting(c.pk) for c in with_first] == ["due", "coalesced"]
    ((func, args),) = queue()
    OrmQ.objects.all().delete()  # the worker took it ...
    posting.clear_due()  # ... and started: the flag goes first
    # A completion committed now may or may not be read by the running task: it queues its own.
    assert posting.enqueue_posting(completions[2].pk) == "due"
    ledger.post_module_completions_from(*args, via="task")  # the first task goes on
    run_queue()
    assert_each_posted_once(completions)


def test_a_lost_flag_expires_and_reconcile_posts_what_relied_on_it(org, queued, shared_cache):
    completions = pending_completions(org.school, teachers=1, modules=3)
    # The enqueuer died between setting the flag and queueing its task.
    assert cache.add(posting.DUE_KEY, completions[0].pk, posting.DUE_SECONDS)
    assert [posting.enqueue_posting(c.pk) for c in completions[1:]] == ["coalesced", "coalesced"]
    assert queue() == []
    client = shared_cache._cache.get_client(write=False)
    assert 0 < client.ttl(cache.make_key(posting.DUE_KEY)) <= posting.DUE_SECONDS
    assert reconcile() == 3
    assert_each_posted_once(completions)


def set_row(completion_id: int, age_seconds: float = 0) -> PostingDue:
    """The flag as an enqueuer left it `age_seconds` ago (its task queued, or lost)."""
    return PostingDue.objects.create(
        pk=posting.DUE_ROW, completion_id=completion_id, set_at=timezone.now() - timedelta(seconds=age_seconds)
    )


def test_a_completion_that_reads_a_fresh_row_writes_nothing(org, queued, django_assert_num_queries):
    first, second = pending_completions(org.school, teachers=1, modules=2)
    set_row(first.pk, age_seconds=posting.DUE_SECONDS - 2)
    with django_assert_num_queries(1):  # the row's SELECT: no claim, no task
        assert posting.enqueue_posting(second.pk) == "coalesced"
    with django_assert_num_queries(1):  # its own id is the flag's
        assert posting.enqueue_posting(first.pk) == "coalesced"
    assert queue() == []


def test_a_stale_row_is_replaced_and_its_claimant_queues_the_due_task(org, queued):
    lost, after = pending_completions(org.school, teachers=1, modules=2)
    set_row(lost.pk, age_seconds=posting.DUE_SECONDS + 1)  # its enqueuer died, or its task was lost
    assert posting.enqueue_posting(after.pk) == "due"
    row = PostingDue.objects.get()
    assert row.completion_id == after.pk and timezone.now() - row.set_at < timedelta(seconds=posting.DUE_SECONDS)
    assert queue() == [(posting.DUE_TASK, (after.pk,))]
    run_queue()
    assert not PostingDue.objects.exists()
    assert_each_posted_once([after])  # the lost one is the reconcile's
    assert reconcile() == 1
    assert_each_posted_once([lost, after])


def test_a_stale_row_below_the_completion_is_not_coalesced_onto(org, queued):
    # A stale row reads as no row, whatever its id: the completion must not rely on its task.
    lost, after = pending_completions(org.school, teachers=1, modules=2)
    set_row(lost.pk, age_seconds=posting.DUE_SECONDS + 1)
    assert posting.enqueue_posting(after.pk) != "coalesced"


def test_only_one_claimant_sets_the_row(org):
    first, second, third = pending_completions(org.school, teachers=1, modules=3)
    now = timezone.now()
    # Both read no row, then claim: the second finds the first's fresh row and changes nothing.
    assert posting._claim_due_row(second.pk, now) is True
    assert posting._claim_due_row(third.pk, now) is False
    assert PostingDue.objects.get().completion_id == second.pk
    # A stale row is replaced by exactly one claimant, too.
    later = now + timedelta(seconds=posting.DUE_SECONDS + 1)
    assert posting._claim_due_row(first.pk, later) is True
    assert posting._claim_due_row(third.pk, later) is False
    assert PostingDue.objects.get().completion_id == first.pk


def test_a_claimant_that_loses_the_race_queues_its_own_task(org, queued, monkeypatch):
    first, second = pending_completions(org.school, teachers=1, modules=2)
    real = posting._claim_due_row

    def another_claimed_first(completion_id, now):
        # Between this completion's read (no row) and its claim, a completion with a higher id set the flag.
        assert real(second.pk, now)
        return real(completion_id, now)

    monkeypatch.setattr(posting, "_claim_due_row", another_claimed_first)
    assert posting.enqueue_posting(first.pk) == "own"
    assert queue() == [(posting.OWN_TASK, (first.pk,))]
    run_queue()
    assert_each_posted_once([first, second])  # the own task's batch sweeps the pending ones after it


def test_a_lost_row_stops_coalescing_after_its_time_and_reconcile_posts_what_relied_on_it(org, queued):
    completions = pending_completions(org.school, teachers=1, modules=4)
    set_row(completions[0].pk)  # the enqueuer died between setting the flag and queueing its task
    assert [posting.enqueue_posting(c.pk) for c in completions[1:3]] == ["coalesced", "coalesced"]
    assert queue() == []
    PostingDue.objects.update(set_at=timezone.now() - timedelta(seconds=posting.DUE_SECONDS + 1))
    assert posting.enqueue_posting(completions[3].pk) == "due"
    assert reconcile() == 4
    run_queue()
    assert_each_posted_once(completions)


def test_the_due_task_deletes_the_row_before_it_reads_a_completion(org, queued):
    completions = pending_completions(org.school, teachers=1, modules=3)
    assert posting.enqueue_posting(completions[0].pk) == "due"
    table = PostingDue._meta.db_table
    with CaptureQueriesContext(connection) as queries:
        assert tasks.post_due_module_completions(completions[0].pk) == 3
    statements = [q["sql"] for q in queries.captured_queries]
    deletes = [n for n, sql in enumerate(statements) if sql.startswith("DELETE") and table in sql]
    reads = [n for n, sql in enumerate(statements) if "courses_modulecompletion" in sql]
    assert deletes and reads and deletes[0] < reads[0], statements
    assert not PostingDue.objects.exists()
    assert_each_posted_once(completions)


def while_open(statement, then):
    """Run `statement` in a transaction held open while `then` runs in another thread (its own connection)."""
    started = threading.Event()

    def holder():
        with transaction.atomic():
            result = statement()
            started.set()
            threading.Event().wait(0.5)  # `then` meets this transaction's row lock, or (late) its commit
        return result

    def other():
        assert started.wait(30)
        return then()

    return run_together(holder, other)


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("age", [None, posting.DUE_SECONDS + 1], ids=["no row", "a stale row"])
def test_a_claim_in_progress_on_postgresql_wins_over_the_one_that_waits_for_it(postgres_only, age):
    # READ COMMITTED: the second upsert waits for the first's row lock, then sees its fresh row and changes nothing.
    if age is not None:
        set_row(1, age_seconds=age)
    now = timezone.now()
    assert while_open(lambda: posting._claim_due_row(2, now), lambda: posting._claim_due_row(3, now)) == [True, False]
    assert PostingDue.objects.get().completion_id == 2


@pytest.mark.django_db(transaction=True)
def test_a_claim_made_while_the_task_deletes_the_row_on_postgresql_sets_it_anew(postgres_only):
    set_row(1)
    assert while_open(posting.clear_due, lambda: posting._claim_due_row(2, timezone.now())) == [None, True]
    assert PostingDue.objects.get().completion_id == 2


def test_the_sweep_posts_every_pending_completion_from_its_id_in_batches(org, django_assert_max_num_queries):
    completions = pending_completions(org.school, teachers=3, modules=4)
    older, first, rest = completions[0], completions[1], completions[2:]
    with django_assert_max_num_queries(70):
        assert ledger.post_module_completions_from(first.pk, via="task", batch=3) == 1 + len(rest)
    assert_each_posted_once([first, *rest])  # the older one is left to its own task
    assert not LedgerEntry.objects.filter(module_completion=older).exists()


def test_the_sweep_steps_past_a_completion_it_cannot_post(org):
    completions = pending_completions(org.school, teachers=1, modules=4)
    bad = completions[2]
    ModuleCompletion.objects.filter(pk=bad.pk).update(credit_hours="-1.0")  # only its own task reports it
    assert ledger.post_module_completions_from(completions[0].pk, via="task", batch=1) == 3
    assert_each_posted_once([c for c in completions if c != bad])


def test_a_refused_first_completion_is_reported_after_the_others_are_posted(org):
    completions = pending_completions(org.school, teachers=1, modules=3)
    first = completions[0]
    ModuleCompletion.objects.filter(pk=first.pk).update(credit_hours="-1.0")
    with pytest.raises(ledger.LedgerError):
        ledger.post_module_completions_from(first.pk, via="task", batch=1)
    assert_each_posted_once(completions[1:])


def test_the_sweep_stops_at_the_highest_id_it_read_first(org, monkeypatch):
    completions = pending_completions(org.school, teachers=1, modules=3)
    real = ledger.post_module_completion

    def committed_after_the_read(*args, **kwargs):
        # Runs right after the sweep read the highest id: this completion's own flag and task post it.
        one_more_completion(org.school)
        return real(*args, **kwargs)

    monkeypatch.setattr(ledger, "post_module_completion", committed_after_the_read)
    assert ledger.post_module_completions_from(completions[0].pk, via="task", batch=1) == 3
    assert ModuleCompletion.objects.count() == 4
    assert_each_posted_once(completions)
