"""What a refused request must leave untouched: every row of Shixun's tables, and its private files."""

from __future__ import annotations

import re

from django.apps import apps
from django.contrib.auth.models import Group

SHIXUN_PREFIX = "shixun_"


def shixun_models():
    """Every concrete model of Shixun's apps, their many-to-many tables, and the role groups."""
    for model in apps.get_models(include_auto_created=True):
        meta = model._meta
        if meta.proxy or not meta.managed:
            continue
        if meta.app_label.startswith(SHIXUN_PREFIX):
            yield model
    yield Group


def database_state() -> dict[str, list[tuple]]:
    """Every row of every Shixun table, in primary-key order (the test data is small)."""
    state = {}
    for model in shixun_models():
        state[model._meta.label] = list(model._base_manager.order_by("pk").values_list())
    return state


def changes(before: dict, after: dict) -> dict[str, tuple[int, int]]:
    """{table: (rows before, rows after)} for every table that differs."""
    return {label: (len(before[label]), len(after[label])) for label in before if before[label] != after[label]}


_WRITE = re.compile(r'^\s*(?:INSERT\s+INTO|UPDATE|DELETE\s+FROM|REPLACE\s+INTO)\s+"?(\w+)"?', re.IGNORECASE)
# django-q2's queue and schedule: a GET that enqueues work is a GET with a side effect too.
_QUEUE_TABLES = frozenset({"django_q_ormq", "django_q_task", "django_q_schedule"})


def watched_tables() -> frozenset[str]:
    return frozenset(model._meta.db_table for model in shixun_models()) | _QUEUE_TABLES


def writes(queries, tables: frozenset[str] | None = None) -> list[str]:
    """The INSERT/UPDATE/DELETE statements among ``queries`` (CaptureQueriesContext) on Shixun's tables.

    Framework bookkeeping is left out on purpose: the session, Wagtail's
    per-user admin profile and image renditions (a cache) are written on
    some reads by design.
    """
    tables = watched_tables() if tables is None else tables
    found = []
    for query in queries:
        match = _WRITE.match(query["sql"])
        if match and match.group(1) in tables:
            found.append(query["sql"][:300])
    return found
