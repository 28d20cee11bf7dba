"""Coalesced posting on a real django-q2 cluster, as production runs it: Redis broker and Redis cache, PostgreSQL.

1. A burst of completions queues far fewer tasks than completions, every completion is posted exactly once,
   and a completion made right after the burst is posted by a task that ran behind only those few.
2. A worker killed mid-sweep, then the whole cluster: the Redis broker loses the task in flight; the flag it
   left expires, a later completion is posted by a new task, and the reconcile posts the rest, each exactly once.
3. The embedded default's queue (`make demo`: ORM broker, local-memory cache, no Redis; here on PostgreSQL, as
   the cluster must share the test database): the flag is the database row, and a burst is coalesced all the same.
"""

import pytest
from django.core.cache import cache
from django.db.models.signals import post_save
from django_q.conf import Conf
from django_q.models import OrmQ, Schedule, Task

from shixun.courses.models import ModuleCompletion
from shixun.courses.signals import module_completed
from shixun.transcripts import posting
from shixun.transcripts.ledger import reconcile
from shixun.transcripts.models import AuditAction, CreditAuditEvent, LedgerEntry, PostingDue
from tests.concurrency import wait_until
from tests.factories import make_teacher
from tests.platform_checks.test_redis_cache import redis_url  # noqa: F401 - the fixture
from tests.transcripts.helpers import completed, enrol, make_course, tasks_lost
from tests.transcripts.test_batch_posting import assert_each_posted_once
from tests.transcripts.test_cluster import crash_mid_posting, kill_tree, start_cluster

pytestmark = [pytest.mark.postgres, pytest.mark.cluster, pytest.mark.django_db(transaction=True)]
BURST = 120
POSTING_TASKS = (posting.DUE_TASK, posting.OWN_TASK)


@pytest.fixture
def production_queue(settings, monkeypatch, redis_url):  # noqa: F811
    """This process and the cluster share one Redis as cache and broker (REDIS_URL), as in production."""
    settings.CACHES = {"default": {"BACKEND": "shixun.config.cache.RedisCache", "LOCATION": redis_url}}
    monkeypatch.setattr(Conf, "ORM", None)
    monkeypatch.setattr(Conf, "REDIS", redis_url)
    monkeypatch.setattr(Conf, "SYNC", False)
    monkeypatch.setenv("REDIS_URL", redis_url)
    monkeypatch.setenv("Q_SAVE_LIMIT", "0")  # keep every task's result: they are counted
    from django_q.brokers import get_broker

    get_broker().delete_queue()
    cache.delete(posting.DUE_KEY)
    # The proof is the tasks' alone: the scheduled reconcile would post whatever it found at the cluster's start.
    Schedule.objects.all().delete()
    yield
    cache.delete(posting.DUE_KEY)


def completions_without_tasks(school, teachers: int, modules: int = 3) -> list[ModuleCompletion]:
    course, course_modules = make_course(hours=["1.0"] * modules)
    made = []
    with tasks_lost():
        for n in range(teachers):
            teacher = make_teacher(school, username=f"burst-{n}")
            enrol(teacher, course)
            made += [completed(teacher, module) for module in course_modules]
    return made


def one_more_completion(school, username: str) -> ModuleCompletion:
    """A completion through courses.progress, its signal and the transcripts receiver (after its commit)."""
    course, modules = make_course(hours=["2.0", "1.0"])  # one of two: no course completion, no other task
    teacher = make_teacher(school, username=username)
    enrol(teacher, course)
    return completed(teacher, modules[0])


def posted(completions) -> int:
    return LedgerEntry.objects.filter(module_completion__in=[c.pk for c in completions]).count()


def enqueued(redis_url) -> int:  # noqa: F811
    """Tasks pushed to the Redis broker so far (its RPUSH calls: nothing else pushes on this server)."""
    import redis

    stats = redis.from_url(redis_url).info("commandstats")
    return int(stats.get("cmdstat_rpush", {}).get("calls", 0))


def test_a_burst_queues_few_tasks_and_the_next_completion_runs_behind_only_those(
    postgres_only,
    org,
    production_queue,
    redis_url,  # noqa: F811
):
    from django_q.brokers import get_broker

    burst = completions_without_tasks(org.school, BURST // 3)
    assert len(burst) == BURST and not LedgerEntry.objects.exists()
    cluster = start_cluster()
    try:
        before = enqueued(redis_url)
        # Sent as courses.progress and the bench send them: after the rows' commit, one signal each.
        for completion in burst:
            module_completed.send(sender=ModuleCompletion, completion=completion)
        for_the_burst = enqueued(redis_url) - before
        after = one_more_completion(org.school, "after-the-burst")
        for_all = enqueued(redis_url) - before
        everything = [*burst, after]
        assert wait_until(lambda: posted(everything) == len(everything), 60), "the cluster did not post the burst"
        tasks = Task.objects.filter(func__in=POSTING_TASKS)
        assert wait_until(lambda: not get_broker().queue_size() and tasks.count() == for_all, 20), list(
            Task.objects.values_list("func", "args", "success", "result")
        )
    finally:
        kill_tree(cluster)
    assert_each_posted_once(everything)
    # One task per completion before (121 here); now one per time a task started while the burst arrived: one
    # on an idle machine, more when the cluster picks tasks up faster than the burst arrives (a loaded CI).
    assert 1 <= for_the_burst <= BURST // 4
    # So the completion after the burst waited in the queue behind at most those few, not behind ~BURST no-ops.
    assert for_all <= for_the_burst + 1
    assert all(task.success for task in tasks)
    posters = CreditAuditEvent.objects.filter(action=AuditAction.POSTED).values_list("via", flat=True)
    assert set(posters) == {"task"}


def test_a_worker_killed_mid_sweep_loses_and_doubles_nothing(postgres_only, org, production_queue, monkeypatch):
    monkeypatch.setattr(posting, "DUE_TASK", "tests.transcripts.slow_tasks.post_due_slowly")
    burst = completions_without_tasks(org.school, 10)
    count = len(burst)
    cluster = start_cluster()
    try:
        for completion in burst:
            posting.enqueue_posting(completion.pk)
        cluster = crash_mid_posting(cluster, count)  # a worker dies mid-sweep, then the machine
        # The lost task's flag expires (or was cleared when it started): a new completion queues a task again.
        assert wait_until(lambda: cache.get(posting.DUE_KEY) is None, posting.DUE_SECONDS + 5)
        after = one_more_completion(org.school, "after-the-crash")
        assert wait_until(lambda: posted([after]) == 1, 30), "the completion after the crash was not posted"
    finally:
        kill_tree(cluster)
    # The backstop: what relied on the lost task is the reconcile's (none, when a task the broker still held
    # at the kill ran after the restart and covered it).
    missing = count - posted(burst)
    assert reconcile() == missing
    assert_each_posted_once([*burst, after])


@pytest.fixture
def embedded_queue(monkeypatch):
    """This process and the cluster share only the database: ORM broker, local-memory caches (no REDIS_URL)."""
    assert not posting.flag_in_cache()
    monkeypatch.setattr(Conf, "SYNC", False)
    monkeypatch.delenv("REDIS_URL", raising=False)
    monkeypatch.setenv("Q_SAVE_LIMIT", "0")  # keep every task's result: they are counted
    OrmQ.objects.all().delete()
    Schedule.objects.all().delete()  # as above: the proof is the tasks' alone


class counting_enqueues:
    """Tasks this process puts in the ORM broker's table (every posting task is enqueued here)."""

    def __enter__(self):
        self.count = 0
        post_save.connect(self.saved, sender=OrmQ, dispatch_uid="test.counting_enqueues")
        return self

    def saved(self, sender, created, **kwargs):
        self.count += int(created)

    def __exit__(self, *exc):
        post_save.disconnect(sender=OrmQ, dispatch_uid="test.counting_enqueues")


def test_the_embedded_defaults_queue_coalesces_a_burst_through_the_row(postgres_only, org, embedded_queue):
    burst = completions_without_tasks(org.school, BURST // 3)
    assert len(burst) == BURST and not LedgerEntry.objects.exists()
    cluster = start_cluster()
    try:
        with counting_enqueues() as enqueued:
            for completion in burst:
                module_completed.send(sender=ModuleCompletion, completion=completion)
            for_the_burst = enqueued.count
            after = one_more_completion(org.school, "after-the-burst")
            for_all = enqueued.count
        everything = [*burst, after]
        assert wait_until(lambda: posted(everything) == len(everything), 60), "the cluster did not post the burst"
        tasks = Task.objects.filter(func__in=POSTING_TASKS)
        assert wait_until(lambda: not OrmQ.objects.exists() and tasks.count() == for_all, 20), list(
            Task.objects.values_list("func", "args", "success", "result")
        )
    finally:
        kill_tree(cluster)
    assert_each_posted_once(everything)
    # One task per completion before (121); now one per time a task started while the burst arrived.
    assert 1 <= for_the_burst <= BURST // 4
    assert for_all <= for_the_burst + 1
    assert all(task.success for task in tasks)
    assert set(CreditAuditEvent.objects.filter(action=AuditAction.POSTED).values_list("via", flat=True)) == {"task"}
    # Every due task deleted its row when it started: none is left to hold later completions back.
    assert not PostingDue.objects.exists()
