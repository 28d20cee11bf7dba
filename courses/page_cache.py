"""Per-request work of the learner pages that can be answered from the shared cache, with its invalidation.

Wagtail checks every page view for view restrictions (private pages) with
two queries: the page's ancestors, then their restrictions. Shixun sites
rarely restrict pages at all, so whether any restriction exists is kept in
the cache; while none does, the check costs one cache read. The flag is
deleted whenever a restriction is saved or deleted (receivers.py), and once
more when that change commits.

Like themes.site_cache, what a transaction read is cached only once it has
committed (on_commit, then `reads_are_committed`; at once in autocommit, as
learner pages run), so a rolled-back transaction, or a test case, never
leaves its view of the data behind.
"""

from django.core.cache import cache
from django.db import connection, transaction
from wagtail.models import PageViewRestriction

VIEW_RESTRICTIONS_KEY = "shixun:courses:any-view-restriction"
# Bounds the one stale case: a reader that saw "none" just before a
# restriction committed and wrote it back just after the delete.
VIEW_RESTRICTIONS_SECONDS = 300


def view_restrictions_exist() -> bool:
    exists = cache.get(VIEW_RESTRICTIONS_KEY)
    if exists is None:
        exists = PageViewRestriction.objects.exists()
        transaction.on_commit(lambda: _remember(exists))
    return exists


def reads_are_committed() -> bool:
    """True after a real commit or in autocommit; False inside a transaction (a test case's included)."""
    return not connection.in_atomic_block


def _remember(exists: bool) -> None:
    if reads_are_committed():
        cache.set(VIEW_RESTRICTIONS_KEY, exists, VIEW_RESTRICTIONS_SECONDS)


def forget_view_restrictions() -> None:
    cache.delete(VIEW_RESTRICTIONS_KEY)
    transaction.on_commit(lambda: cache.delete(VIEW_RESTRICTIONS_KEY))
