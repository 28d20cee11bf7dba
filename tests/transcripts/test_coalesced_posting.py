"""Coalesced posting (transcripts.posting): a burst of completions queues a few tasks, not one each.

The rule is checked on a real broker (django-q2's ORM broker in the test database, not run synchronously:
the queued tasks are read back and run in order, as a worker would) and a real Redis for the flag. Every
test ends with each completion posted exactly once. tests/transcripts/test_coalesced_cluster.py runs the
same on a real cluster with the Redis broker, and kills a worker mid-posting.
"""

import importlib

import pytest
from django.core.cache import cache
from django_q.conf import Conf
from django_q.models import OrmQ

from shixun.courses.models import ModuleCompletion
from shixun.courses.signals import module_completed
from shixun.transcripts import ledger, posting
from shixun.transcripts.ledger import reconcile
from shixun.transcripts.models import LedgerEntry
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


def test_without_a_shared_cache_every_completion_queues_its_own_task(org, queued):
    completions = pending_completions(org.school, teachers=2, modules=2)
    assert not posting.coalescing()
    assert [posting.enqueue_posting(c.pk) for c in completions] == ["own"] * 4
    assert queue() == [(posting.OWN_TASK, (c.pk,)) for c in completions]
    run_queue()
    assert_each_posted_once(completions)


def one_more_completion(school, username="after-the-burst"):
    course, modules = make_course(hours=["1.0"])
    teacher = make_teacher(school, username=username)
    enrol(teacher, course)
    with tasks_lost():
        return completed(teacher, modules[0])


def test_a_burst_queues_one_task_that_posts_it_all_then_the_next_completion_queues_again(org, queued, shared_cache):
    burst = pending_completions(org.school, teachers=3, modules=4)
    assert posting.coalescing()
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


def test_the_receiver_coalesces_signals_sent_in_a_burst(org, queued, shared_cache, django_capture_on_commit_callbacks):
    completions = pending_completions(org.school, teachers=2, modules=3)
    with django_capture_on_commit_callbacks(execute=True):
        for completion in completions:
            module_completed.send(sender=ModuleCompletion, completion=completion)
    assert queue() == [(posting.DUE_TASK, (completions[0].pk,))]
    run_queue()
    assert_each_posted_once(completions)


def test_a_completion_below_the_flags_id_queues_its_own_task(org, queued, shared_cache):
    # Ids are handed out at INSERT; commits, and so the signals, may come in another order.
    first, second, third = pending_completions(org.school, teachers=1, modules=3)
    assert posting.enqueue_posting(second.pk) == "due"
    assert posting.enqueue_posting(first.pk) == "own"
    assert posting.enqueue_posting(third.pk) == "coalesced"
    assert queue() == [(posting.DUE_TASK, (second.pk,)), (posting.OWN_TASK, (first.pk,))]
    run_queue()
    assert_each_posted_once([first, second, third])


def test_a_completion_committed_after_the_task_started_queues_a_new_task(org, queued, shared_cache):
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
