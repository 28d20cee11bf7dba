"""Trainers find snippets by any part of a Chinese title or question, in the choosers and the listings.

Wagtail's search backend splits text into words at spaces and punctuation, so a Chinese
title is one word: 课标 did not find 义务教育新课标解读 (accounts/admin_choosers.py). Every
snippet chooser and listing with a search box matches a substring in the database instead.
"""

from __future__ import annotations

import pytest
from django.contrib.auth.models import Permission
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from wagtail.search.index import class_is_indexed
from wagtail.snippets.models import get_snippet_models

from tests.factories import make_user

# A question whose text has no AutocompleteFields made Wagtail's chooser search warn on every request.
pytestmark = [pytest.mark.django_db, pytest.mark.filterwarnings("error::RuntimeWarning")]

CHINESE = "义务教育新课标解读"
ENGLISH = "Classroom Management Basics"
OTHER = "教师职业道德规范"


def _question(org, text):
    from tests.quizzes import builders

    return builders.single(text)


def _quiz(org, title):
    from tests.quizzes import builders

    return builders.quiz(title=title)


def _assignment(org, title):
    from shixun.assessments.assignments.models import AnswerMode, Assignment, CompletionRule

    return Assignment.objects.create(
        title=title,
        answer_mode=AnswerMode.FILE,
        allowed_kinds=["pdf"],
        max_size_mb=5,
        completion_rule=CompletionRule.ON_ACCEPT,
    )


def _h5p_activity(org, title):
    from shixun.assessments.h5p.models import H5PActivity

    return H5PActivity.objects.create(title=title)


def _evaluation_template(org, title):
    from shixun.assessments.evaluations.models import EvaluationTemplate

    return EvaluationTemplate.objects.create(district=org.district, title=title)


MAKERS = {
    "shixun_quizzes.Question": _question,
    "shixun_quizzes.Quiz": _quiz,
    "shixun_assignments.Assignment": _assignment,
    "shixun_h5p.H5PActivity": _h5p_activity,
    "shixun_evaluations.EvaluationTemplate": _evaluation_template,
}
SEARCHED = pytest.mark.parametrize("label", list(MAKERS))


def _model(label):
    return next(model for model in get_snippet_models() if model._meta.label == label)


@pytest.fixture
def made(org):
    def make(label, *texts):
        return [MAKERS[label](org, text) for text in texts]

    return make


def chooser_results(client, label, query):
    url = reverse(_model(label).snippet_viewset.chooser_viewset.get_url_name("choose_results"))
    response = client.get(url, {"q": query})
    assert response.status_code == 200
    return {obj.pk for obj in response.context["results"]}


def listing_results(client, label, query):
    url = reverse(_model(label).snippet_viewset.get_url_name("list_results"))
    response = client.get(url, {"q": query})
    assert response.status_code == 200
    return {obj.pk for obj in response.context["object_list"]}


@SEARCHED
@pytest.mark.parametrize("results", [chooser_results, listing_results], ids=["chooser", "listing"])
def test_a_trainer_finds_a_snippet_by_part_of_its_chinese_text(client, org, made, label, results):
    chinese, english, _other = made(label, CHINESE, ENGLISH, OTHER)
    client.force_login(org.trainer)
    assert results(client, label, "课标") == {chinese.pk}  # from the middle of the text
    assert results(client, label, "新课标解读") == {chinese.pk}  # to its end
    assert results(client, label, "信息技术") == set()
    assert results(client, label, "management") == {english.pk}  # Latin letters: any case
    assert results(client, label, "MANAGE") == {english.pk}
    assert results(client, label, "") == {obj.pk for obj in _model(label).objects.all()}


@SEARCHED
def test_the_chooser_shows_its_search_box_and_answers_a_search(client, org, made, label):
    made(label, CHINESE)
    client.force_login(org.trainer)
    url = reverse(_model(label).snippet_viewset.chooser_viewset.get_url_name("choose"))
    response = client.get(url, {"q": "课标"})
    assert response.status_code == 200
    assert "q" in response.context["filter_form"].fields
    assert response.context["is_searching"] and response.context["search_query"] == "课标"
    assert len(response.context["results"]) == 1


@pytest.fixture
def admin_only(org):
    """May enter Wagtail's admin, and holds no model permission."""
    user = make_user(district=org.district, username="adminonly")
    user.user_permissions.add(Permission.objects.get(content_type__app_label="wagtailadmin", codename="access_admin"))
    return user


@SEARCHED
@pytest.mark.parametrize("view", ["choose", "choose_results"])
def test_a_search_in_a_chooser_is_still_refused_without_a_model_permission(client, org, made, admin_only, label, view):
    made(label, CHINESE)
    client.force_login(admin_only)
    url = reverse(_model(label).snippet_viewset.chooser_viewset.get_url_name(view))
    # The chooser modal asks by XMLHttpRequest: Wagtail answers a refusal with 403 (a page load: a redirect).
    response = client.get(url, {"q": "课标"}, headers={"x-requested-with": "XMLHttpRequest"})
    assert response.status_code == 403
    assert CHINESE not in response.content.decode()


@SEARCHED
@pytest.mark.parametrize("results", [chooser_results, listing_results], ids=["chooser", "listing"])
def test_a_search_costs_as_many_queries_for_many_matches_as_for_one(client, org, made, label, results):
    made(label, f"{CHINESE}（一）")
    client.force_login(org.trainer)
    results(client, label, "课标")  # the first request fills per-process caches
    with CaptureQueriesContext(connection) as one:
        assert len(results(client, label, "课标")) == 1
    made(label, f"{CHINESE}（二）", f"{CHINESE}（三）", f"{CHINESE}（四）")
    with CaptureQueriesContext(connection) as four:
        assert len(results(client, label, "课标")) == 4
    assert len(four) == len(one), [q["sql"] for q in four.captured_queries]


def test_every_snippet_search_box_matches_substrings():
    """A snippet registered later with a search box searches the way these do, in its listing and its chooser."""
    from shixun.accounts.admin_choosers import SubstringSearchFilterForm

    declared = {model: model.snippet_viewset.search_fields for model in get_snippet_models()}
    searched = [model for model, fields in declared.items() if isinstance(fields, (list, tuple)) and fields]
    assert {model._meta.label for model in searched} >= set(MAKERS)
    for model in searched:
        viewset = model.snippet_viewset
        assert not (class_is_indexed(model) and viewset.search_backend_name), (
            f"{model._meta.label}: set search_backend_name = None (a substring match in the database)"
        )
        chooser = viewset.chooser_viewset
        view = chooser.choose_view_class(model=model)
        assert issubclass(view.get_filter_form_class(), SubstringSearchFilterForm), model._meta.label
