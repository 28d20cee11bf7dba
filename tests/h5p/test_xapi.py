"""The xAPI endpoint and the result rules: actor from the session, shape checked, replays idempotent."""

from __future__ import annotations

import json
import uuid
from decimal import Decimal

import pytest
from django.test import Client

from shixun.assessments.h5p.links import activity_iri, make_token
from shixun.assessments.h5p.models import CompletionRule, H5PResult, H5PStatement
from shixun.courses.models import ActivityProgress, ActivityStatus, Enrolment, ModuleCompletion

from .conftest import build_module, import_test_package

pytestmark = pytest.mark.django_db

VERB = "http://adlnet.gov/expapi/verbs/"


def statement(world, verb="completed", *, scaled=None, raw=None, maximum=None, success=None, completion=True, **extra):
    result = {}
    if scaled is not None or raw is not None:
        result["score"] = {k: v for k, v in {"scaled": scaled, "raw": raw, "min": 0, "max": maximum}.items()
                           if v is not None}
    if success is not None:
        result["success"] = success
    if completion is not None:
        result["completion"] = completion
    data = {
        "actor": {"name": "someone", "mbox": "mailto:someone@example.com"},
        "verb": {"id": VERB + verb, "display": {"en-US": verb}},
        "object": {"id": activity_iri(world.activity.pk), "objectType": "Activity"},
        "result": result,
        "context": {"contextActivities": {"category": [{"id": "http://h5p.org/libraries/H5P.ShixunQuickCheck-1.0"}]}},
    }
    data.update(extra)
    return data


def token_for(world, user=None, module=None):
    return make_token(
        user=user or world.learner, activity=world.activity, module=module or world.module, content=world.content,
        site_origin="http://testserver",
    )


def post(client, world, data, *, token=None, raw_body=None):
    body = raw_body if raw_body is not None else json.dumps({"token": token or token_for(world), "statement": data})
    return client.post("/h5p/xapi/", data=body, content_type="application/json")


@pytest.fixture
def learner_client(client, world):
    client.force_login(world.learner)
    return client


def test_a_passing_statement_completes_the_activity_and_the_module(learner_client, world):
    ActivityProgress.objects.create(user=world.learner, module=world.module, activity_key="lesson", status="done")

    response = post(learner_client, world, statement(world, scaled=1, raw=1, maximum=1, success=True))

    assert response.status_code == 200, response.content
    assert response.json()["status"] == ActivityStatus.DONE
    result = H5PResult.objects.get(user=world.learner, activity=world.activity)
    assert (result.best_scaled_score, result.completed, result.passed, result.attempts) == (1, True, True, 1)
    progress = ActivityProgress.objects.get(user=world.learner, activity_key=world.activity.activity_key)
    assert progress.status == ActivityStatus.DONE and progress.score == 100
    assert ModuleCompletion.objects.filter(user=world.learner, module=world.module).count() == 1


def test_the_actor_in_the_statement_is_ignored_and_not_stored(learner_client, world, org):
    foreign = statement(world, scaled=1, raw=1, maximum=1, success=True)
    sibling = org.sibling_teacher
    foreign["actor"] = {"name": sibling.shixun_profile.full_name, "mbox": f"mailto:{sibling.email}"}

    assert post(learner_client, world, foreign).status_code == 200

    stored = H5PStatement.objects.get()
    assert stored.user == world.learner
    assert "actor" not in stored.statement
    assert not H5PResult.objects.filter(user=org.sibling_teacher).exists()


def test_a_token_of_another_learner_is_refused(client, world, org):
    Enrolment.objects.create(user=org.sibling_teacher, course=world.course)
    client.force_login(org.sibling_teacher)

    response = post(client, world, statement(world, scaled=1, success=True), token=token_for(world))

    assert response.status_code == 403
    assert response.json()["code"] == "other_learner"
    assert H5PStatement.objects.count() == 0


def test_anonymous_and_csrf_less_posts_are_refused(world):
    anonymous = Client(enforce_csrf_checks=True)
    assert post(anonymous, world, statement(world)).status_code == 403

    checked = Client(enforce_csrf_checks=True)
    checked.force_login(world.learner)
    assert post(checked, world, statement(world, scaled=1, success=True)).status_code == 403  # no CSRF token
    assert H5PStatement.objects.count() == 0


def test_only_post_is_allowed(learner_client):
    assert learner_client.get("/h5p/xapi/").status_code == 405


@pytest.mark.parametrize(
    ("body", "code"),
    [
        ("{not json", "bad_json"),
        ('["a list"]', "bad_json"),
        ('{"statement": {}}', "bad_json"),
    ],
)
def test_a_body_that_is_not_a_request_is_refused(learner_client, world, body, code, english):
    response = post(learner_client, world, None, raw_body=body)
    assert response.status_code == 400
    assert response.json()["code"] == code
    assert response.json()["error"]


@pytest.mark.parametrize(
    ("change", "code"),
    [
        (lambda s: s.pop("verb"), "bad_shape"),
        (lambda s: s.update(verb="completed"), "bad_shape"),
        (lambda s: s.update(verb={"id": 42}), "bad_shape"),
        (lambda s: s.pop("object"), "bad_shape"),
        (lambda s: s.update(object={"objectType": "Activity"}), "bad_shape"),
        (lambda s: s.update(result="passed"), "bad_result"),
        (lambda s: s["result"].update(score=[1]), "bad_result"),
        (lambda s: s["result"].update(score={"scaled": "1"}), "bad_result"),
        (lambda s: s["result"].update(score={"scaled": True}), "bad_result"),
        (lambda s: s["result"].update(score={"scaled": 7}), "bad_result"),
        (lambda s: s["result"].update(score={"raw": 5, "min": 0, "max": 1}), "bad_result"),
        (lambda s: s["result"].update(success="yes"), "bad_result"),
        (lambda s: s.update(id="not-a-uuid"), "bad_shape"),
        (lambda s: s.update(object={"id": "http://elsewhere.example/h5p/activity/1"}), "other_activity"),
    ],
)
def test_malformed_statements_are_refused_and_nothing_is_stored(learner_client, world, change, code, english):
    data = statement(world, scaled=1, raw=1, maximum=1, success=True)
    change(data)

    response = post(learner_client, world, data)

    assert response.status_code == 400
    assert response.json()["code"] == code
    assert response.json()["error"]
    assert H5PStatement.objects.count() == 0
    assert not ActivityProgress.objects.filter(activity_key=world.activity.activity_key).exists()


def test_a_statement_over_16_kb_is_refused(learner_client, world):
    big = statement(world, scaled=1, success=True)
    big["context"]["extensions"] = {"http://example.org/padding": "x" * 17_000}
    response = post(learner_client, world, big)
    assert response.status_code == 413
    assert H5PStatement.objects.count() == 0


@pytest.mark.parametrize(
    "body",
    [
        "[" * 5000 + "]" * 5000,  # was a RecursionError, a 500
        '{"token": "t", "statement": ' + "[" * 5000 + "]" * 5000 + "}",
        '{"token": "t", "statement": {"x": ' + "{" * 40 + "}" * 40 + "}}",
    ],
)
def test_a_deeply_nested_body_is_refused_in_chinese(learner_client, world, body):
    response = post(learner_client, world, None, raw_body=body)
    assert response.status_code == 400
    assert response.json()["code"] == "too_deep"
    assert any("\u4e00" <= ch <= "\u9fff" for ch in response.json()["error"])
    assert H5PStatement.objects.count() == 0


def test_brackets_inside_strings_do_not_count_as_nesting():
    from shixun.config.jsonbody import nesting_depth

    assert nesting_depth('{"a": "[[[[[[\\"]]]]", "b": [{"c": "{{{"}]}') == 3
    assert nesting_depth("[" * 5000 + "]" * 5000) == 5000


@pytest.mark.parametrize(
    ("text", "deeper"),
    [
        ("[" * 32 + "]" * 32, False),  # exactly the cap: as many opening brackets as levels
        ("[" * 33 + "]" * 33, True),
        ('{"a": "' + "[" * 40 + '", "b": [1]}', False),  # over the count, shallow: decided by the scan
        ('["' + "{" * 40 + '", ' + "[" * 33 + "]" * 33 + "]", True),
    ],
)
def test_the_depth_cap_counts_levels_not_brackets(text, deeper):
    from shixun.config.jsonbody import MAX_DEPTH, nested_deeper_than, nesting_depth

    assert MAX_DEPTH == 32
    assert nested_deeper_than(text, MAX_DEPTH) is deeper
    assert nested_deeper_than(text, MAX_DEPTH) is (nesting_depth(text) > MAX_DEPTH)


def test_refusals_are_in_chinese_by_default(learner_client, world):
    data = statement(world)
    data.pop("verb")
    message = post(learner_client, world, data).json()["error"]
    assert any("\u4e00" <= ch <= "\u9fff" for ch in message), message


def test_a_replayed_statement_is_stored_once_and_counts_once(learner_client, world):
    data = statement(world, scaled=0.5, raw=1, maximum=2, success=False)
    first = post(learner_client, world, data).json()
    again = post(learner_client, world, data).json()

    assert first["stored"] is True and again["stored"] is False
    assert H5PStatement.objects.count() == 1
    assert H5PResult.objects.get().attempts == again["attempts"] == 1


def test_statements_with_the_same_id_count_once_even_if_their_content_differs(learner_client, world):
    statement_id = str(uuid.uuid4())
    post(learner_client, world, statement(world, scaled=0, raw=0, maximum=1, success=False, id=statement_id))
    post(learner_client, world, statement(world, scaled=1, raw=1, maximum=1, success=True, id=statement_id.upper()))

    assert H5PStatement.objects.count() == 1
    assert H5PResult.objects.get().passed is False


def test_a_failed_result_never_satisfies_a_pass_rule(learner_client, world):
    ActivityProgress.objects.create(user=world.learner, module=world.module, activity_key="lesson", status="done")
    world.activity.pass_mark = Decimal("60")
    world.activity.save()

    # A "failed" verb with a high score, and a score with success false: both are failures.
    post(learner_client, world, statement(world, "failed", scaled=0.9, raw=9, maximum=10))
    response = post(learner_client, world, statement(world, scaled=0.8, raw=8, maximum=10, success=False))
    assert response.json()["status"] == ActivityStatus.FAILED
    result = H5PResult.objects.get()
    assert result.completed is True and result.passed is False
    assert result.best_scaled_score == Decimal("0.9")  # the best score is still shown to the trainer
    assert not ModuleCompletion.objects.exists()

    # Below the pass mark, even with success true, does not pass either.
    post(learner_client, world, statement(world, scaled=0.5, raw=5, maximum=10, success=True))
    assert not H5PResult.objects.get().passed

    post(learner_client, world, statement(world, scaled=0.6, raw=6, maximum=10, success=True))
    assert H5PResult.objects.get().passed
    assert ModuleCompletion.objects.filter(user=world.learner, module=world.module).exists()


def test_a_completed_rule_is_met_by_finishing_whatever_the_score(learner_client, world):
    world.activity.completion_rule = CompletionRule.COMPLETED
    world.activity.save()
    response = post(learner_client, world, statement(world, scaled=0, raw=0, maximum=1, success=False))
    assert response.json()["status"] == ActivityStatus.DONE


def test_sub_content_statements_do_not_decide_the_result(learner_client, world):
    sub = statement(world, "answered", scaled=1, raw=1, maximum=1, success=True)
    sub["object"]["id"] += "?subContentId=1234"
    assert post(learner_client, world, sub).status_code == 200
    result = H5PResult.objects.get()
    assert result.passed is False and result.best_scaled_score is None


def test_a_practice_activity_records_results_but_never_completes_the_module(learner_client, world):
    ActivityProgress.objects.create(user=world.learner, module=world.module, activity_key="lesson", status="done")
    world.activity.score_may_complete = False
    world.activity.save()

    response = post(learner_client, world, statement(world, scaled=1, raw=1, maximum=1, success=True))

    assert response.json()["status"] == ActivityStatus.IN_PROGRESS
    assert H5PResult.objects.get().passed is True
    assert not ModuleCompletion.objects.exists()


def test_a_learner_who_is_no_longer_enrolled_cannot_post(learner_client, world):
    Enrolment.objects.filter(user=world.learner).update(status=Enrolment.Status.WITHDRAWN)
    response = post(learner_client, world, statement(world, scaled=1, success=True))
    assert response.status_code == 403
    assert response.json()["code"] == "not_enrolled"
    assert H5PStatement.objects.count() == 0


def test_results_are_kept_when_the_package_is_replaced(learner_client, world):
    post(learner_client, world, statement(world, scaled=1, raw=1, maximum=1, success=True))
    import_test_package(activity=world.activity)
    world.activity.refresh_from_db()
    assert world.activity.current_content != world.content
    assert H5PResult.objects.get(activity=world.activity).passed is True


def test_one_activity_in_two_courses_reports_to_the_module_of_the_link(learner_client, world):
    other_course, other_module = build_module(world.activity, slug="second")
    Enrolment.objects.create(user=world.learner, course=other_course)
    token = token_for(world, module=other_module)
    post(learner_client, world, statement(world, scaled=1, success=True), token=token)
    rows = ActivityProgress.objects.filter(activity_key=world.activity.activity_key)
    assert set(rows.values_list("module", flat=True)) == {other_module.pk}


def test_the_endpoint_uses_a_constant_number_of_queries_however_many_statements_exist(
    learner_client, world, django_assert_num_queries, django_assert_max_num_queries
):
    # 7 for a statement that changes nothing the module holds: session,
    # user, the savepoint pair of the test's transaction, the INSERT, one
    # read that locks the result and brings the activity, the enrolment and
    # the module's progress and completion, and the result's UPDATE. Up to 13
    # when the status or best score changes and courses.progress records it
    # (the module page, the enrolment lock, the module's progress, its write,
    # the module's requirements, the completion INSERT). On PostgreSQL an
    # unchanged statement's UPDATE also sets synchronous_commit off for its
    # transaction, in the same query, and the INSERT and the locked read are
    # one query (see results.py).
    from django.db import connection

    unchanged, changed = 7 - (connection.vendor == "postgresql"), 13

    def answered():
        return statement(world, "answered", scaled=0, raw=0, maximum=1, success=False, id=str(uuid.uuid4()))

    post(learner_client, world, statement(world, scaled=0, raw=0, maximum=1, success=False))
    with django_assert_num_queries(unchanged):
        post(learner_client, world, answered())
    with django_assert_max_num_queries(changed):
        post(learner_client, world, statement(world, scaled=0.5, raw=1, maximum=2, success=False))
    for _ in range(20):
        post(learner_client, world, answered())
    with django_assert_num_queries(unchanged):
        post(learner_client, world, answered())
    with django_assert_max_num_queries(changed):
        post(learner_client, world, statement(world, scaled=1, raw=1, maximum=1, success=True))


def test_progress_is_written_only_when_the_status_or_best_score_changes(learner_client, world):
    post(learner_client, world, statement(world, "answered", scaled=0.5, raw=1, maximum=2, success=False,
                                          completion=None))
    progress = ActivityProgress.objects.get(activity_key=world.activity.activity_key)
    assert (progress.status, progress.score) == (ActivityStatus.IN_PROGRESS, 50)
    touched = progress.updated_at

    post(learner_client, world, statement(world, "answered", scaled=0.2, raw=1, maximum=5, success=False,
                                          completion=None))
    progress.refresh_from_db()
    assert (progress.status, progress.score, progress.updated_at) == (ActivityStatus.IN_PROGRESS, 50, touched)

    post(learner_client, world, statement(world, "failed", scaled=0.4, raw=2, maximum=5))
    progress.refresh_from_db()
    assert progress.status == ActivityStatus.FAILED


def test_the_running_result_equals_a_derivation_from_all_statements(learner_client, world):
    from shixun.assessments.h5p.results import rebuild_result

    sub = statement(world, "answered", scaled=1, raw=1, maximum=1, success=True)
    sub["object"]["id"] += "?subContentId=1"
    for data in [
        statement(world, "answered", scaled=0.3, raw=3, maximum=10, success=False, completion=None),
        sub,
        statement(world, "failed", scaled=0.9, raw=9, maximum=10),
        statement(world, "answered", scaled=0.7, raw=7, maximum=10, success=True, completion=None),
        statement(world, "completed", scaled=0.65, raw=13, maximum=20, success=True),
    ]:
        post(learner_client, world, data)
    running = H5PResult.objects.get()
    fields = ("best_scaled_score", "best_passable_scaled_score", "completed", "passed", "attempts",
              "finished_count", "answered_count")

    rebuilt = rebuild_result(world.learner, world.activity)

    assert [getattr(running, f) for f in fields] == [getattr(rebuilt, f) for f in fields]
    assert [getattr(running, f) for f in fields] == [
        Decimal("0.9"), Decimal("0.7"), True, True, 2, 2, 2
    ]


def test_an_unchanged_result_still_reaches_a_second_module_placing_the_same_activity(learner_client, world):
    post(learner_client, world, statement(world, scaled=1, raw=1, maximum=1, success=True))
    other_course, other_module = build_module(world.activity, slug="second")
    Enrolment.objects.create(user=world.learner, course=other_course)

    # The result does not change (already passed), but the second module holds no progress yet.
    response = post(learner_client, world, statement(world, "answered", scaled=0.1, raw=1, maximum=10,
                                                     success=False, id=str(uuid.uuid4())),
                    token=token_for(world, module=other_module))

    assert response.json()["status"] == ActivityStatus.DONE
    assert ActivityProgress.objects.get(module=other_module, activity_key=world.activity.activity_key).status == (
        ActivityStatus.DONE
    )


def test_a_withdrawn_learner_cannot_replay_a_stored_statement_either(learner_client, world):
    data = statement(world, scaled=1, raw=1, maximum=1, success=True)
    post(learner_client, world, data)
    Enrolment.objects.filter(user=world.learner).update(status=Enrolment.Status.WITHDRAWN)
    response = post(learner_client, world, data)
    assert response.status_code == 403
    assert response.json()["code"] == "not_enrolled"
