"""Wagtail's database search backend, with Chinese queries matched as substrings.

Wagtail's database backends (PostgreSQL tsvector, SQLite FTS5, MySQL FULLTEXT)
split text into words at spaces and punctuation. Chinese has no spaces, so a
title such as 义务教育新课标解读 is one long "word", and a trainer who types 课标
into the page explorer, the page chooser or the image and document libraries
found nothing.

This backend answers a query that holds Chinese or Japanese characters the way
Wagtail's own fallback backend does: every whitespace-separated term must occur
(case-insensitively) in one of the model's indexed text columns (for an
autocomplete, its AutocompleteFields; for a search, its SearchFields; tag names
and other related rows' text included; a StreamField's JSON left out). Results
keep the queryset's own order (there is no relevance score for a substring).
Any other query — English, numbers — goes to Wagtail's backend for the
database, unchanged, with its ranking. Indexing is Wagtail's, untouched: the
substring match reads the model's own columns, not the index. The queryset's
filters (the explorer's permission and subtree filters, a chooser's collection
filter) apply to both paths alike.

A substring match scans the table (LIKE '%…%'): about 1 ms per 3,000 rows on
PostgreSQL, measured (README, "Search in Chinese").

Use: ``WAGTAILSEARCH_BACKENDS = {"default": {"BACKEND": "shixun.config.search"}}``.
"""

from __future__ import annotations

import re
from functools import cache

from django.core.exceptions import FieldDoesNotExist
from django.db import DEFAULT_DB_ALIAS, models
from wagtail.search import index
from wagtail.search.backends import database
from wagtail.search.backends.database.fallback import MATCH_NONE, DatabaseSearchBackend, DatabaseSearchQueryCompiler

# Scripts written without spaces between words: CJK ideographs (with Extension A, the
# compatibility block and the supplementary planes), and Japanese kana.
UNSPACED_SCRIPT = re.compile("[\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\U00020000-\U0003ffff]")


def query_texts(query):
    """The text a search query holds: a string, or Wagtail's query objects (PlainText, Phrase, And, Not...)."""
    if isinstance(query, str):
        yield query
        return
    if isinstance(getattr(query, "query_string", None), str):
        yield query.query_string
    if getattr(query, "subquery", None) is not None:
        yield from query_texts(query.subquery)
    for subquery in getattr(query, "subqueries", None) or ():
        yield from query_texts(subquery)


def needs_substring_match(query) -> bool:
    return any(UNSPACED_SCRIPT.search(text) for text in query_texts(query))


def text_columns(model, kind) -> list[str]:
    """Lookups for the model's `kind` fields (SearchField or AutocompleteField) that are database columns.

    Callables indexed as fields have no column and are left out, and so are
    StreamFields (JSON); a RelatedFields entry contributes its related model's
    text columns (``tags__name``).
    """
    lookups = []
    for field in model.get_search_fields():
        if isinstance(field, kind) and is_text_column(model, field.field_name):
            lookups.append(field.field_name)
        elif isinstance(field, index.RelatedFields) and is_column(model, field.field_name):
            related = model._meta.get_field(field.field_name).related_model
            lookups.extend(
                f"{field.field_name}__{subfield.field_name}"
                for subfield in field.fields
                if isinstance(subfield, kind) and is_text_column(related, subfield.field_name)
            )
    return lookups


def is_column(model, name) -> bool:
    try:
        model._meta.get_field(name)
    except FieldDoesNotExist:
        return False
    return True


def is_text_column(model, name) -> bool:
    """A plain text column: not a StreamField's JSON, whose escapes differ between SQLite and PostgreSQL."""
    return is_column(model, name) and isinstance(model._meta.get_field(name), (models.CharField, models.TextField))


class SubstringSearchQueryCompiler(DatabaseSearchQueryCompiler):
    """Wagtail's substring compiler (AND over terms, OR over fields) over the model's SearchField columns."""

    field_kind = index.SearchField

    def get_fields_names(self):
        if self.fields:
            # Fields named by the caller (a listing's search_fields) are checked by Wagtail's own check().
            return [name for name in self.fields if is_text_column(self.queryset.model, name)]
        return text_columns(self.queryset.model, self.field_kind)

    def build_database_filter(self, query, boost=1.0):
        if not self.fields_names:
            return MATCH_NONE  # no column to look in (Wagtail's compiler would match every row)
        return super().build_database_filter(query, boost)


class SubstringAutocompleteQueryCompiler(SubstringSearchQueryCompiler):
    field_kind = index.AutocompleteField


class SubstringSearchBackend(DatabaseSearchBackend):
    query_compiler_class = SubstringSearchQueryCompiler
    autocomplete_query_compiler_class = SubstringAutocompleteQueryCompiler


class ChineseSubstringMixin:
    """Send a query in an unspaced script to the substring backend; anything else to the database's own."""

    substring_backend = SubstringSearchBackend({})

    def search(self, query, model_or_queryset, **kwargs):
        if needs_substring_match(query):
            return self.substring_backend.search(query, model_or_queryset, **kwargs)
        return super().search(query, model_or_queryset, **kwargs)

    def autocomplete(self, query, model_or_queryset, **kwargs):
        if needs_substring_match(query):
            return self.substring_backend.autocomplete(query, model_or_queryset, **kwargs)
        return super().autocomplete(query, model_or_queryset, **kwargs)


@cache
def _with_chinese_substrings(backend_class):
    return type(f"Chinese{backend_class.__name__}", (ChineseSubstringMixin, backend_class), {})


def SearchBackend(params):  # noqa: N802 (Wagtail loads a backend module's `SearchBackend`)
    """Wagtail's database backend for the current database (as ``wagtail.search.backends.database``), extended."""
    vendor_backend = database.SearchBackend(params)
    return _with_chinese_substrings(type(vendor_backend))(params)


def forget_entries_of_unindexed_models(using=DEFAULT_DB_ALIAS, **kwargs) -> None:
    """post_migrate: delete the index entries of Shixun models that are no longer indexed.

    Question, Quiz and Assignment were indexed until their listings and choosers
    matched substrings in the database; nothing reads their entries since.
    Wagtail's index rebuild deletes stale entries only of models it still
    indexes, so theirs would stay forever. Idempotent: once they are gone this is
    one DELETE that finds nothing.
    """
    from django.apps import apps
    from django.contrib.contenttypes.models import ContentType
    from wagtail.search.models import IndexEntry

    # Sent once per app; act once, on the last one, when every app's tables exist.
    app_config = kwargs.get("app_config")
    if app_config is not None and app_config is not list(apps.get_app_configs())[-1]:
        return
    unindexed = [
        model
        for model in apps.get_models()
        if model._meta.app_label.startswith("shixun_") and not index.class_is_indexed(model)
    ]
    content_types = ContentType.objects.db_manager(using).get_for_models(*unindexed).values()
    IndexEntry.objects.using(using).filter(content_type__in=content_types).delete()
