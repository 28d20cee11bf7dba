"""Enqueueing a completion's posting: one task for all that are due (coalesced), or one task per completion.

A burst of N completions used to queue N tasks. The first few posted
everything (each task's batch sweeps the 199 after its own, and the
scheduled reconcile), and the rest were no-ops that still cost a trip
through the cluster each: a completion made after the burst waited behind
all of them (issue 18). Postings are coalesced by a "posting due" flag, held
in Redis where the cache is Redis (production), else in a database row
(`PostingDue`: the SQLite default, `make demo`, whose local-memory cache no
other process sees):

- a completion, after its commit, sets the flag if it is not set, to its own
  id, and enqueues `post_due_module_completions(its id)`;
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
never runs; the flag stops counting after DUE_SECONDS (later completions
enqueue again) and the scheduled reconcile (every minute) posts what was
left. The ledger's unique source keeps every posting exactly once whoever runs.

The flag in Redis: `cache.add` (SET NX, expiring after DUE_SECONDS) sets it
atomically, `cache.get` reads it, `cache.delete` clears it.

The flag as a row (one at most, primary key DUE_ROW): the same protocol, each
step one statement in autocommit (the receiver runs after the completion's
commit, the task outside any transaction), so each is committed before the
next begins.
- Read: a plain SELECT of a row set less than DUE_SECONDS ago. Found with a
  value ≤ the completion's id: coalesced, and nothing is written.
- Set: `INSERT … ON CONFLICT (slot) DO UPDATE … WHERE set_at < the cutoff`,
  one statement that inserts the row or replaces a stale one and otherwise
  changes nothing; it reports one changed row to exactly one claimant. On
  PostgreSQL (READ COMMITTED) a conflicting insert or update in progress is
  waited for and the WHERE is evaluated on the row's newest version, so two
  claimants cannot both win; a row being deleted is waited for and the insert
  then succeeds. SQLite runs one write transaction at a time. A claimant that
  loses enqueues its own task.
- Clear: a DELETE of the row, committed before the task reads anything.
Why a completion that read the row is covered: only completion v sets value
v, before it queues task v, so a row of value v means task v has not yet
deleted it. The completion's SELECT ran after its commit and saw that row, so
task v's DELETE had not committed when the SELECT's snapshot was taken; the
task reads the highest id and sweeps only after its DELETE committed, with
snapshots that therefore follow the completion's commit (PostgreSQL takes one
per statement in READ COMMITTED; SQLite reads the last commit), and its range
[v, highest] holds the completion. A stale row (its task lost, or not started
after DUE_SECONDS) reads as absent: the completion replaces it and queues a
new task; the old task, if it ever runs, clears whatever row is there and
sweeps from its own id, which costs one more task and loses nothing (the
completions that read the new row rely on the new task, still queued).
"""

from datetime import timedelta

from django.core.cache import cache, caches
from django.core.cache.backends.redis import RedisCache
from django.db import connection
from django.utils import timezone
from django_q.tasks import async_task

DUE_KEY = "transcripts:posting-due"
DUE_ROW = 1
# Longer than a task's ordinary wait in the queue (a flag that expires early
# costs one extra task), short enough that a lost flag delays coalescing
# only briefly: until it expires, completions rely on its lost task, that is
# on the reconcile.
DUE_SECONDS = 10

OWN_TASK = "shixun.transcripts.tasks.post_module_completion"
DUE_TASK = "shixun.transcripts.tasks.post_due_module_completions"


def flag_in_cache() -> bool:
    """The flag lives in the cache only if every process shares it and its `add` is atomic: Redis."""
    return isinstance(caches["default"], RedisCache)


def enqueue_posting(completion_id: int) -> str:
    """Make sure a task will post this committed completion. Returns which: "own", "due" or "coalesced"."""
    if flag_in_cache():
        return _enqueue_through_cache(completion_id)
    return _enqueue_through_row(completion_id)


def clear_due() -> None:
    """The due task starts: completions committed from now on need a new task (before any read of pending ones)."""
    if flag_in_cache():
        cache.delete(DUE_KEY)
    else:
        from .models import PostingDue

        PostingDue.objects.filter(pk=DUE_ROW).delete()


def _enqueue_through_cache(completion_id: int) -> str:
    if cache.add(DUE_KEY, completion_id, DUE_SECONDS):
        async_task(DUE_TASK, completion_id)
        return "due"
    due_from = cache.get(DUE_KEY)
    if due_from is None or int(due_from) > completion_id:
        async_task(OWN_TASK, completion_id)
        return "own"
    return "coalesced"


def _enqueue_through_row(completion_id: int) -> str:
    now = timezone.now()
    due_from = _due_row(now)
    if due_from is not None and due_from <= completion_id:
        return "coalesced"
    if due_from is None and _claim_due_row(completion_id, now):
        async_task(DUE_TASK, completion_id)
        return "due"
    async_task(OWN_TASK, completion_id)
    return "own"


def _due_row(now) -> int | None:
    """The flag's completion id, or None when there is no row or it is stale."""
    from .models import PostingDue

    fresh = PostingDue.objects.filter(pk=DUE_ROW, set_at__gte=now - timedelta(seconds=DUE_SECONDS))
    return fresh.values_list("completion_id", flat=True).first()


def _claim_due_row(completion_id: int, now) -> bool:
    """Set the flag to this completion if there is no row or a stale one, atomically. True if this call set it."""
    from .models import PostingDue

    table = connection.ops.quote_name(PostingDue._meta.db_table)
    adapt = connection.ops.adapt_datetimefield_value
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {table} (slot, completion_id, set_at) VALUES (%s, %s, %s) "  # noqa: S608 - the model's table
            "ON CONFLICT (slot) DO UPDATE SET completion_id = excluded.completion_id, set_at = excluded.set_at "
            f"WHERE {table}.set_at < %s",
            [DUE_ROW, completion_id, adapt(now), adapt(now - timedelta(seconds=DUE_SECONDS))],
        )
        return cursor.rowcount == 1
