"""What a refused request must leave untouched: every row of Shixun's tables, and its private files."""

from __future__ import annotations

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
