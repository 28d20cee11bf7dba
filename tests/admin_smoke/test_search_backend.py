"""shixun.config.search: Chinese queries as substrings, every other query exactly as Wagtail's backend answers it."""

from __future__ import annotations

import pytest
from django.contrib.contenttypes.models import ContentType
from django.db import connection
from django.test import override_settings
from django.test.utils import CaptureQueriesContext
from wagtail.images import get_image_model
from wagtail.models import Page
from wagtail.search import index
from wagtail.search.backends import database, get_search_backend
from wagtail.search.backends.database.fallback import DatabaseSearchResults
from wagtail.search.query import And, Boost, Not, Phrase, PlainText
from wagtail.search.utils import parse_query_string

from shixun.config.search import (
    ChineseSubstringMixin,
    SubstringSearchQueryCompiler,
    needs_substring_match,
    text_columns,
)
from shixun.courses.models import CoursePage, ModulePage
from tests.courses.conftest import make_catalogue, make_course, publish, site_root

pytestmark = pytest.mark.django_db

TITLES = [
    "义务教育新课标解读",
    "Classroom Management Basics",
    "Managing a classroom: a guide",
    "Basics of assessment",
    "教师职业道德规范 Ethics 2022",
    "新课标 Guide for new teachers",
]


@pytest.fixture
def pages(db):
    root = site_root()
    return {title: publish(root, Page(title=title, slug=f"p{n}")) for n, title in enumerate(TITLES)}


def titles(results):
    return [page.title for page in results]


def test_the_site_searches_with_wagtails_backend_for_its_database_extended():
    backend = get_search_backend()
    assert isinstance(backend, ChineseSubstringMixin)
    wagtails = type(database.SearchBackend({}))
    assert isinstance(backend, wagtails)  # indexing, rebuilding and every other query: Wagtail's own code
    assert backend.index_class is wagtails.index_class


def test_a_host_names_the_backend_in_its_own_settings():
    """README: a host site opts in by naming the backend; Shixun's apps never change a host's setting."""
    with override_settings(WAGTAILSEARCH_BACKENDS={"default": {"BACKEND": "wagtail.search.backends.database"}}):
        assert not isinstance(get_search_backend(), ChineseSubstringMixin)
    with override_settings(WAGTAILSEARCH_BACKENDS={"default": {"BACKEND": "shixun.config.search"}}):
        assert isinstance(get_search_backend(), ChineseSubstringMixin)


ENGLISH_QUERIES = ["management", "Basics", "manag", "classroom guide", "2022", "assessment basics", "ethics"]


@pytest.mark.parametrize("query", ENGLISH_QUERIES)
@pytest.mark.parametrize("method", ["search", "autocomplete"])
def test_a_query_without_chinese_gets_wagtails_answer_in_wagtails_order(pages, query, method):
    ours = getattr(get_search_backend(), method)(query, Page.objects.filter(depth__gt=1))
    wagtails = getattr(get_search_backend("wagtail.search.backends.database"), method)
    expected = wagtails(query, Page.objects.filter(depth__gt=1))
    assert type(ours) is type(expected)
    assert titles(ours) == titles(expected)
    assert titles(getattr(get_search_backend(), method)(query, Page, operator="or")) == titles(
        wagtails(query, Page, operator="or")
    )


@pytest.mark.parametrize("method", ["search", "autocomplete"])
def test_a_chinese_query_matches_every_term_anywhere_in_the_title(pages, method):
    search = getattr(get_search_backend(), method)
    assert isinstance(search("课标", Page), DatabaseSearchResults)
    assert sorted(titles(search("课标", Page))) == ["义务教育新课标解读", "新课标 Guide for new teachers"]
    assert titles(search("课标 guide", Page)) == ["新课标 Guide for new teachers"]  # Latin letters: any case
    assert titles(search("课标　解读", Page)) == ["义务教育新课标解读"]  # the full-width space separates terms
    assert sorted(titles(search("解读 ethics", Page, operator="or"))) == [
        "义务教育新课标解读",
        "教师职业道德规范 Ethics 2022",
    ]
    assert titles(search("信息技术", Page)) == []
    assert search("课标", Page).count() == 2
    assert titles(search("课标", Page.objects.filter(title__startswith="义务"))) == ["义务教育新课标解读"]


def test_the_explorers_parsed_queries_are_recognised(pages):
    """The page explorer parses its box (quotes, live:yes) into query objects before it searches."""
    _filters, phrase = parse_query_string('"新课标 Guide" live:yes', operator="and")
    assert isinstance(phrase, Phrase) and needs_substring_match(phrase)
    assert titles(Page.objects.autocomplete(phrase)) == ["新课标 Guide for new teachers"]
    assert needs_substring_match(And([PlainText("guide"), Not(Boost(PlainText("课标"), 2))]))
    assert not needs_substring_match(And([PlainText("guide"), Not(Phrase("new teachers"))]))
    assert needs_substring_match("ひらがな") and needs_substring_match("𠀀")  # kana; a rare ideograph (Ext. B)
    assert not needs_substring_match("Übung 2022 — «guide»")


def test_the_substring_match_reads_the_models_text_columns():
    assert text_columns(Page, index.AutocompleteField) == ["title"]
    assert text_columns(CoursePage, index.SearchField) == ["title", "summary", "description"]
    assert text_columns(ModulePage, index.SearchField) == ["title", "introduction"]  # not the body's JSON
    assert text_columns(get_image_model(), index.AutocompleteField) == ["title", "description", "tags__name"]


def test_a_course_is_found_by_its_summary_in_a_search_of_courses(db):
    catalogue = make_catalogue()
    make_course(catalogue, "学科教学专题", summary="围绕新课标的单元整体教学设计")
    make_course(catalogue, "班主任工作专题", summary="家校沟通")
    assert titles(get_search_backend().search("课标", CoursePage)) == ["学科教学专题"]
    assert titles(get_search_backend().autocomplete("课标", CoursePage)) == []  # only the title autocompletes


def test_a_model_with_no_text_column_to_match_finds_nothing(pages):
    class NoColumns(SubstringSearchQueryCompiler):
        def get_fields_names(self):
            return []

    backend = get_search_backend()
    results = DatabaseSearchResults(backend, NoColumns(Page.objects.all(), "课标"))
    assert list(results) == [] and results.count() == 0  # Wagtail's compiler would match every row


# --- Question, Quiz and Assignment are no longer in the search index ------------------


def _question_quiz_assignment():
    from shixun.assessments.assignments.models import AnswerMode, Assignment, CompletionRule
    from tests.quizzes import builders

    question = builders.single("义务教育新课标的核心素养是？")
    quiz = builders.quiz([question], title="新课标测验")
    assignment = Assignment.objects.create(
        title="新课标作业",
        answer_mode=AnswerMode.FILE,
        allowed_kinds=["pdf"],
        max_size_mb=5,
        completion_rule=CompletionRule.ON_ACCEPT,
    )
    return question, quiz, assignment


def test_saving_a_question_quiz_or_assignment_writes_no_index_entry(db):
    from wagtail.search.models import IndexEntry

    with CaptureQueriesContext(connection) as saved:
        made = _question_quiz_assignment()
        for obj in made:
            obj.save()
    assert not [q["sql"] for q in saved.captured_queries if "indexentry" in q["sql"].lower()]
    kinds = ContentType.objects.get_for_models(*(type(obj) for obj in made)).values()
    assert not IndexEntry.objects.filter(content_type__in=kinds).exists()


def test_after_migrate_their_old_index_entries_are_deleted_and_no_other(pages):
    from django.apps import apps
    from wagtail.search.models import IndexEntry

    from shixun.config.search import forget_entries_of_unindexed_models

    made = _question_quiz_assignment()
    # Entries as the old code left them: a page's entry, moved onto each object (any database).
    for obj, page in zip(made, list(pages.values())[-3:], strict=True):
        entry = IndexEntry.objects.get(content_type=ContentType.objects.get_for_model(Page), object_id=str(page.pk))
        entry.content_type = ContentType.objects.get_for_model(obj)
        entry.object_id = str(obj.pk)
        entry.save()
    kept = IndexEntry.objects.count() - len(made)

    forget_entries_of_unindexed_models(app_config=apps.get_app_config("shixun_quizzes"))  # not the last app: waits
    assert IndexEntry.objects.count() == kept + len(made)
    forget_entries_of_unindexed_models(app_config=list(apps.get_app_configs())[-1])
    assert IndexEntry.objects.count() == kept
    assert titles(get_search_backend().autocomplete("Management", Page)) == ["Classroom Management Basics"]
