"""Enqueueing a completion's posting: one task per completion, or one task for all that are due (coalesced).

A burst of N completions used to queue N tasks. The first few posted
everything (each task's batch sweeps the 199 after its own, and the
scheduled reconcile), and the rest were no-ops that still cost a trip
through the cluster each: a completion made after the burst waited behind
all of them (issue 18). With a shared cache (Redis, as production requires)
postings are coalesced by a "posting due" flag:

- a completion, after its commit, sets the flag if it is not set
  (`cache.add`, atomic in Redis) to its own id, and enqueues
  `post_due_module_completions(its id)`;
- if the flag is set, the completion reads it: a task is queued that has not
  yet started, and that task will post every completion from the flag's id
  up, committed before it starts. A completion whose id is below the flag's
  (ids are handed out at INSERT, commits may come in another order), or
  that finds the flag gone meanwhile, enqueues its own task as before;
- the task clears the flag FIRST, then reads the highest completion id and
  posts its own completion and every pending one up to that id. A
  completion committed after the clear finds no flag and enqueues a new task.

So a completion that enqueued nothing was committed while a task with a
lower or equal id was queued and not started, and that task reads after the
commit. What the flag cannot guard: the enqueuer dying between the flag and
`async_task`, or a task lost by the broker. Both leave completions whose task
never runs; the flag expires after DUE_SECONDS (later completions enqueue
again) and the scheduled reconcile (every minute) posts what was left. The
ledger's unique source keeps every posting exactly once whoever runs.

A process-local cache (the SQLite default without REDIS_URL) cannot share the
flag between web and worker processes: there, every completion enqueues its
own task, as before.
"""

from django.core.cache import cache, caches
from django.core.cache.backends.redis import RedisCache
from django_q.tasks import async_task

DUE_KEY = "transcripts:posting-due"
# Longer than a task's ordinary wait in the queue (a flag that expires early
# costs one extra task), short enough that a lost flag delays coalescing
# only briefly: until it expires, completions rely on its lost task, that is
# on the reconcile.
DUE_SECONDS = 10

OWN_TASK = "shixun.transcripts.tasks.post_module_completion"
DUE_TASK = "shixun.transcripts.tasks.post_due_module_completions"


def coalescing() -> bool:
    """Postings are coalesced only through a cache every process shares and whose `add` is atomic: Redis."""
    return isinstance(caches["default"], RedisCache)


def enqueue_posting(completion_id: int) -> str:
    """Make sure a task will post this committed completion. Returns which: "own", "due" or "coalesced"."""
    if not coalescing():
        async_task(OWN_TASK, completion_id)
        return "own"
    if cache.add(DUE_KEY, completion_id, DUE_SECONDS):
        async_task(DUE_TASK, completion_id)
        return "due"
    due_from = cache.get(DUE_KEY)
    if due_from is None or int(due_from) > completion_id:
        async_task(OWN_TASK, completion_id)
        return "own"
    return "coalesced"


def clear_due() -> None:
    """The due task starts: completions committed from now on need a new task (before any read of pending ones)."""
    cache.delete(DUE_KEY)
