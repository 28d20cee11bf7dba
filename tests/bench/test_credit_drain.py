"""bench.django_side: what the credit scenario's paced part waits for, and how it says who posted.

Issue 18: the paced part started as soon as every completion of the burst had an entry, while
thousands of the burst's tasks (no-ops by then: the scheduled reconcile had posted their completions
first) still waited in the broker, and the paced completions' tasks queued behind them. The wait now
also needs the broker's queue empty. The test settings use the ORM broker (no REDIS_URL); the wait
asks the broker through django-q2's own `queue_size`, as it does Redis in the bench.
"""

import pytest
from django_q.brokers import get_broker

from bench.django_side import posted_by, wait_for_posting_to_drain
from shixun.courses.models import ModuleCompletion
from shixun.transcripts import ledger
from tests.transcripts.helpers import complete, enrol, make_course, tasks_lost

pytestmark = pytest.mark.django_db


@pytest.fixture
def unposted(org):
    """One completion whose task was lost: no entry yet."""
    course, modules = make_course(hours=("2.0",))
    enrol(org.teacher, course)
    with tasks_lost():
        complete(org.teacher, modules[0])
    return course, modules


def test_the_wait_ends_at_once_when_nothing_is_left(unposted):
    course, modules = unposted
    ledger.reconcile(via="reconcile")
    drained = wait_for_posting_to_drain(modules, course, timeout=30)
    assert drained == {"unposted": 0, "queued": 0, "unposted_first": 0, "queued_first": 0, "waited_s": 0.0}


def test_an_unposted_completion_is_waited_for_until_the_timeout(unposted):
    course, modules = unposted
    drained = wait_for_posting_to_drain(modules, course, timeout=0)
    assert (drained["unposted"], drained["queued"], drained["unposted_first"]) == (1, 0, 1)


def test_tasks_still_in_the_broker_are_waited_for_though_every_completion_is_posted(unposted):
    course, modules = unposted
    ledger.reconcile(via="reconcile")
    broker = get_broker()
    broker.enqueue("a task left behind by the burst")
    drained = wait_for_posting_to_drain(modules, course, timeout=0.5)
    assert (drained["unposted"], drained["queued"], drained["queued_first"]) == (0, 1, 1)
    assert drained["waited_s"] >= 0.5  # it waited rather than starting behind that task
    broker.purge_queue()
    assert wait_for_posting_to_drain(modules, course, timeout=30)["queued"] == 0


def test_posted_by_counts_each_path(org):
    course, modules = make_course(hours=("2.0", "1.5"))
    enrol(org.teacher, course)
    with tasks_lost():
        for module in modules:
            complete(org.teacher, module)
    first, second = ModuleCompletion.objects.filter(module__in=modules).order_by("pk")
    ledger.post_module_completion(first.pk, via="task", batch=1)
    ledger.reconcile(via="reconcile")
    assert posted_by([first.pk, second.pk]) == {"task": 1, "reconcile": 1}
    assert posted_by([second.pk]) == {"reconcile": 1}
