"""The lean xAPI route (assessments.h5p.lean on config.lean_routes): the ordinary statement answered in
front of Django's handler, everything else handed to the view with nothing written.

The harness is the lean heartbeat's (tests/courses/test_lean_heartbeat.py): every request goes through
`LeanRoutes` in front of Django's own WSGIHandler, wrapped by `FullStack`, which counts the requests handed
to it; a handed-over request is answered by the view through every middleware, with real CSRF checks.
"""

from __future__ import annotations

import time
import uuid

import pytest
from django.core.cache import cache
from django.db import connection, transaction
from django.middleware.csrf import _get_new_csrf_string, _mask_cipher_secret
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from shixun.assessments.h5p.models import H5PResult, H5PStatement
from shixun.config.lean_routes import LeanRoutes
from shixun.courses.models import ActivityProgress, ActivityStatus, Enrolment, ModuleCompletion
from tests.concurrency import needs_postgres, run_together  # noqa: F401 - needs_postgres is a fixture
from tests.courses.test_lean_heartbeat import (  # noqa: F401 - keep_the_test_connection, redis_sessions: fixtures
    FullStack,
    Learner,
    call,
    counted,
    keep_the_test_connection,
    redis_sessions,
)
from tests.platform_checks.test_redis_cache import redis_url  # noqa: F401 - a fixture

from .test_xapi import statement, token_for

pytestmark = pytest.mark.django_db


def xapi_url() -> str:
    return reverse("h5p:xapi")


def answered(world, scaled: float, **extra) -> dict:
    """An "answered" statement with its own id: stored, and (below the best score) changing nothing."""
    return statement(world, "answered", scaled=scaled, raw=round(scaled * 10, 1), maximum=10, success=False,
                     completion=None, id=str(uuid.uuid4()), **extra)


def send(app, learner, world, data, *, token=None, **kwargs):
    return call(app, xapi_url(), learner, body={"token": token or token_for(world), "statement": data}, **kwargs)


@pytest.fixture
def started(app, stack, world, learner):
    """The learner's first statement on the activity: it makes the result and progress rows, so it is the view's."""
    answer = send(app, learner, world, answered(world, 0.5))
    assert answer.status_code == 200 and answer.json()["stored"] is True
    assert stack.calls == 1
    stack.calls = 0
    return answer


def rows():
    """Every row an xAPI statement may write, without ids and clock times."""

    def values(queryset, *left_out):
        left_out = ("id", *left_out)
        return [{k: v for k, v in row.items() if k not in left_out} for row in queryset.order_by("pk").values()]

    return (
        values(H5PStatement.objects.all(), "received_at"),
        values(H5PResult.objects.all(), "last_activity_at"),
        values(ActivityProgress.objects.all(), "updated_at", "created_at", "completed_at"),
        values(ModuleCompletion.objects.all(), "completed_at", "created_at"),
    )


def rolled_back(send_it):
    """The answer and the rows as they are after it, then everything the request wrote undone."""
    with transaction.atomic():
        answer = send_it()
        after = rows()
        transaction.set_rollback(True)
    return answer, after


def same_answer(lean, full):
    assert lean.status_code == full.status_code
    assert lean.content == full.content
    ignore = {"x-request-id"}
    assert {(k.lower(), v) for k, v in lean.headers if k.lower() not in ignore} == {
        (k.lower(), v) for k, v in full.headers if k.lower() not in ignore
    }


def both_ways(app, stack, learner, world, data, settings, **kwargs):
    """The same statement from the same rows through the lean route, then through the full stack."""
    lean, lean_rows = rolled_back(lambda: send(app, learner, world, data, **kwargs))
    assert stack.calls == 0, "the lean route handed an ordinary statement over"
    settings.SHIXUN_LEAN_XAPI = False
    full, full_rows = rolled_back(lambda: send(app, learner, world, data, **kwargs))
    settings.SHIXUN_LEAN_XAPI = True
    assert stack.calls == 1
    stack.calls = 0
    same_answer(lean, full)
    assert lean_rows == full_rows
    return lean, lean_rows


# --- the ordinary statement: the view's rows and answer --------------------------------------------------


@pytest.mark.usefixtures("started")
def test_an_ordinary_statement_writes_the_views_rows_and_answers_the_views_answer(app, stack, world, learner,
                                                                                   settings):
    before = rows()
    lean, after = both_ways(app, stack, learner, world, answered(world, 0.2), settings)
    assert lean.json() == {"stored": True, "status": ActivityStatus.IN_PROGRESS, "best_percent": 50.0,
                           "completed": False, "passed": False, "attempts": 2, "module_completed": False}
    assert len(after[0]) == len(before[0]) + 1 and after[1] != before[1]  # stored, and the result moved on
    assert after[2:] == before[2:]  # progress and completion untouched
    names = {k.lower() for k, _ in lean.headers}
    assert {"x-content-type-options", "x-frame-options", "content-security-policy", "content-language", "vary",
            "x-request-id", "content-length"} <= names
    assert "Set-Cookie" not in dict(lean.headers)


@pytest.mark.usefixtures("started")
def test_a_replayed_statement_is_answered_as_the_view_answers_a_duplicate(app, stack, world, learner, settings):
    data = answered(world, 0.3)
    assert send(app, learner, world, data).json()["stored"] is True and stack.calls == 0
    before = rows()
    lean, after = both_ways(app, stack, learner, world, data, settings)
    assert lean.json()["stored"] is False and after == before


def test_a_completion_verb_on_an_activity_already_done_is_ordinary(app, stack, world, learner, settings):
    """Ordinary is decided by what the module holds, not by the verb: once DONE, a "completed" changes nothing."""
    passing = statement(world, scaled=1, raw=10, maximum=10, success=True)
    assert send(app, learner, world, passing).json()["status"] == ActivityStatus.DONE and stack.calls == 1
    stack.calls = 0
    again = statement(world, scaled=0.7, raw=7, maximum=10, success=True, id=str(uuid.uuid4()))
    lean, _ = both_ways(app, stack, learner, world, again, settings)
    assert lean.json()["status"] == ActivityStatus.DONE and lean.json()["stored"] is True


@pytest.mark.usefixtures("started")
def test_the_answer_speaks_the_negotiated_language_headers_as_the_stack(app, stack, world, learner, settings):
    lean, _ = both_ways(app, stack, learner, world, answered(world, 0.1), settings, HTTP_ACCEPT_LANGUAGE="en")
    assert lean.header("content-language") == "en"


@pytest.mark.usefixtures("started")
def test_a_lean_statement_costs_the_session_and_the_statements_own_queries(app, stack, world, learner):
    send(app, learner, world, answered(world, 0.2))  # the learner is remembered from here on
    assert stack.calls == 0
    with CaptureQueriesContext(connection) as queries:
        answer = send(app, learner, world, answered(world, 0.3))
    assert answer.status_code == 200 and stack.calls == 0
    statements = [q["sql"] for q in queries.captured_queries]
    assert "django_session" in statements[0]
    assert not any("auth_user" in sql and sql.startswith("SELECT") and "EXISTS" not in sql for sql in statements)
    if connection.vendor == "postgresql":
        # session, SAVEPOINT, the INSERT with the locked read and the user's check, the UPDATE, RELEASE
        assert len(statements) == 5, "\n".join(statements)
        assert statements[2].startswith('WITH "shixun_stored"') and '"password"' in statements[2]
    else:
        # session, SAVEPOINT, the user's check, the INSERT, the locked read, the UPDATE, RELEASE
        assert len(statements) == 7, "\n".join(statements)


# --- everything else: the view's, with nothing written by the lean route -------------------------------------


def handed_over(stack, answer, status, code=None):
    assert stack.calls == 1, "the lean route answered"
    stack.calls = 0
    assert answer.status_code == status, answer.content
    if code is not None:
        assert answer.json()["code"] == code
    return answer


def test_the_first_statement_on_the_activity_is_the_views(app, stack, world, learner):
    answer = send(app, learner, world, answered(world, 0.4))
    handed_over(stack, answer, 200)
    assert answer.json()["stored"] is True  # the lean route had stored nothing
    assert H5PStatement.objects.count() == 1 and H5PResult.objects.get().attempts == 1


@pytest.mark.usefixtures("started")
def test_a_statement_that_completes_the_activity_and_the_module_is_the_views(app, stack, world, learner,
                                                                              django_capture_on_commit_callbacks):
    ActivityProgress.objects.create(user=world.learner, module=world.module, activity_key="lesson", status="done")
    count = H5PStatement.objects.count()
    with django_capture_on_commit_callbacks(execute=True):
        answer = send(app, learner, world, statement(world, scaled=1, raw=10, maximum=10, success=True))
    handed_over(stack, answer, 200)
    # Stored by the view (a statement the lean route had kept would be a duplicate here: "stored": false).
    assert answer.json()["stored"] is True and answer.json()["module_completed"] is True
    assert H5PStatement.objects.count() == count + 1
    assert ModuleCompletion.objects.filter(user=world.learner, module=world.module).count() == 1
    result = H5PResult.objects.get()
    assert (result.answered_count, result.finished_count) == (1, 1)  # each statement counted once


@pytest.mark.usefixtures("started")
def test_a_better_score_changes_progress_so_it_is_the_views(app, stack, world, learner):
    answer = send(app, learner, world, answered(world, 0.8))
    handed_over(stack, answer, 200)
    assert answer.json()["stored"] is True and answer.json()["best_percent"] == 80.0
    assert ActivityProgress.objects.get(activity_key=world.activity.activity_key).score == 80
    assert H5PStatement.objects.count() == 2


@pytest.mark.usefixtures("started")
def test_every_refused_or_doubtful_statement_goes_to_the_view_and_nothing_is_written(app, stack, org, world,
                                                                                     learner):
    before = rows()
    url = xapi_url()
    ordinary = answered(world, 0.1)

    handed_over(stack, call(app, url, learner, body=b"{not json"), 400, "bad_json")
    handed_over(stack, call(app, url, learner, body=b'["a list"]'), 400, "bad_json")
    handed_over(stack, call(app, url, learner, body={"statement": ordinary}), 400, "bad_json")
    handed_over(stack, call(app, url, learner, body=b""), 400)
    handed_over(stack, send(app, learner, world, ordinary, token="not-a-token"), 403, "bad_token")
    other = token_for(world, user=org.sibling_teacher)
    handed_over(stack, send(app, learner, world, ordinary, token=other), 403, "other_learner")
    shapeless = answered(world, 0.1)
    shapeless.pop("verb")
    handed_over(stack, send(app, learner, world, shapeless), 400, "bad_shape")
    elsewhere = answered(world, 0.1, object={"id": "http://elsewhere.example/h5p/activity/1"})
    handed_over(stack, send(app, learner, world, elsewhere), 400, "other_activity")
    big = answered(world, 0.1)
    big["context"]["extensions"] = {"http://example.org/padding": "x" * 17_000}
    handed_over(stack, send(app, learner, world, big), 413, "too_large")
    handed_over(stack, call(app, url, learner, body={"token": token_for(world), "statement": ordinary},
                            token=_mask_cipher_secret(_get_new_csrf_string())), 403)
    handed_over(stack, call(app, url, learner, body={"token": token_for(world), "statement": ordinary},
                            token=""), 403)
    handed_over(stack, send(app, learner, world, ordinary, HTTP_ORIGIN="https://evil.example"), 403)
    handed_over(stack, send(app, learner, world, ordinary, HTTP_HOST="evil.example"), 400)
    logged_out = Learner(world.learner)
    logged_out.session_key = "x" * 32
    handed_over(stack, send(app, logged_out, world, ordinary), 403, "login")
    handed_over(stack, call(app, url, None, body={"token": token_for(world), "statement": ordinary}), 403)
    assert rows() == before
    Enrolment.objects.filter(user=world.learner).update(status=Enrolment.Status.WITHDRAWN)
    handed_over(stack, send(app, learner, world, ordinary), 403, "not_enrolled")
    assert rows() == before


@pytest.mark.usefixtures("started")
def test_a_body_sent_as_another_content_type_is_the_views(app, stack, world, learner):
    answer = send(app, learner, world, answered(world, 0.1), content_type="text/plain")
    handed_over(stack, answer, 200)  # the view reads any body
    assert answer.json()["stored"] is True


@pytest.mark.usefixtures("started")
def test_a_deactivated_learner_or_a_changed_password_stops_lean_statements_at_once(app, stack, world, learner):
    assert send(app, learner, world, answered(world, 0.1)).status_code == 200 and stack.calls == 0  # remembered
    before = rows()
    user = world.learner
    user.is_active = False
    user.save()
    handed_over(stack, send(app, learner, world, answered(world, 0.2)), 403, "login")
    assert rows() == before
    user.is_active = True
    user.save()
    assert send(app, learner, world, answered(world, 0.2)).status_code == 200 and stack.calls == 0
    before = rows()
    user.set_password("a-new-password-5517")
    user.save()
    handed_over(stack, send(app, learner, world, answered(world, 0.3)), 403, "login")
    assert rows() == before


@pytest.mark.usefixtures("started")
def test_the_rate_limit_is_counted_once_per_statement_whichever_path_answers(app, stack, world, learner,
                                                                             settings):
    settings.SHIXUN_RATE_LIMITS_ENABLED = True
    settings.SHIXUN_RATE_LIMIT_XAPI = "3/m"
    cache.clear()
    assert [send(app, learner, world, answered(world, 0.1)).status_code for _ in range(3)] == [200, 200, 200]
    assert stack.calls == 0
    before = rows()
    refused = send(app, learner, world, answered(world, 0.2))  # the fourth: over the limit, the view answers
    handed_over(stack, refused, 429, "rate_limited")
    assert int(refused.header("retry-after")) >= 1
    assert rows() == before
    cache.clear()


@pytest.mark.usefixtures("started")
def test_an_ordinary_statement_is_counted_but_not_logged_at_info_on_either_path(app, stack, world, learner,
                                                                                settings, access_lines):
    before = counted("h5p:xapi")
    assert send(app, learner, world, answered(world, 0.1)).status_code == 200 and stack.calls == 0
    settings.SHIXUN_LEAN_XAPI = False
    assert send(app, learner, world, answered(world, 0.2)).status_code == 200 and stack.calls == 1
    assert counted("h5p:xapi") == before + 2
    lean_line, full_line = access_lines[-2:]
    assert lean_line["level"] == full_line["level"] == "DEBUG"
    varying = {"time", "request_id", "duration_ms"}
    assert {k: v for k, v in lean_line.items() if k not in varying} == {
        k: v for k, v in full_line.items() if k not in varying}


@pytest.mark.usefixtures("started")
def test_a_refused_or_slow_statement_keeps_its_info_line(app, stack, world, learner, settings, access_lines):
    settings.SHIXUN_RATE_LIMITS_ENABLED = True
    settings.SHIXUN_RATE_LIMIT_XAPI = "2/m"
    cache.clear()
    before = counted("h5p:xapi", "4xx")
    assert send(app, learner, world, answered(world, 0.1), HTTP_X_REQUEST_ID="xapi-ordinary-01").status_code == 200
    bad = send(app, learner, world, answered(world, 0.2), token="not-a-token", HTTP_X_REQUEST_ID="xapi-refused-02")
    refused = send(app, learner, world, answered(world, 0.2), HTTP_X_REQUEST_ID="xapi-refused-01")  # the third
    assert (refused.status_code, bad.status_code) == (429, 403)
    assert counted("h5p:xapi", "4xx") == before + 2
    cache.clear()
    settings.SHIXUN_RATE_LIMIT_XAPI = "100/m"
    settings.SHIXUN_ACCESS_LOG_SLOW_MS = 0  # every statement is "slow"
    assert send(app, learner, world, answered(world, 0.3), HTTP_X_REQUEST_ID="xapi-slow-lean-1").status_code == 200
    assert stack.calls == 2  # the two refusals; the slow statement was the lean route's
    cache.clear()
    info = {line["request_id"]: line for line in access_lines if line["level"] == "INFO"}
    assert set(info) == {"xapi-refused-01", "xapi-refused-02", "xapi-slow-lean-1"}
    for request_id, status in (("xapi-refused-01", 429), ("xapi-refused-02", 403), ("xapi-slow-lean-1", 200)):
        line = info[request_id]
        assert (line["view"], line["status"], line["method"]) == ("h5p:xapi", status, "POST")
        assert line["duration_ms"] >= 0 and line["message"] == f"POST h5p:xapi {status}"


@pytest.mark.usefixtures("started")
def test_the_switch_hands_every_statement_to_the_view(app, stack, world, learner, settings):
    settings.SHIXUN_LEAN_XAPI = False
    handed_over(stack, send(app, learner, world, answered(world, 0.1)), 200)
    settings.SHIXUN_LEAN_XAPI = True
    settings.SHIXUN_LEAN_HEARTBEAT = False  # the heartbeat's switch is the heartbeat's only
    assert send(app, learner, world, answered(world, 0.1)).status_code == 200 and stack.calls == 0


# --- production's set-up: Redis; PostgreSQL concurrency ----------------------------------------------------


@pytest.mark.usefixtures("redis_sessions")
def test_with_redis_a_lean_statement_reads_the_session_and_counts_the_limit_in_one_round_trip(
    app, stack, world, monkeypatch, settings
):
    from redis.connection import AbstractConnection

    settings.SHIXUN_RATE_LIMIT_XAPI = "1000/d"
    learner = Learner(world.learner)
    send(app, learner, world, answered(world, 0.5))  # the view's: the first statement
    stack.calls = 0
    assert send(app, learner, world, answered(world, 0.1)).status_code == 200 and stack.calls == 0
    sent = []
    original = AbstractConnection.send_packed_command
    monkeypatch.setattr(AbstractConnection, "send_packed_command",
                        lambda self, command, *args, **kwargs: sent.append(command) or original(self, command, *args,
                                                                                                 **kwargs))
    assert send(app, learner, world, answered(world, 0.2)).status_code == 200 and stack.calls == 0
    assert len(sent) == 1, sent
    counters = [k for k in cache._cache.get_client().keys("*") if b"SHIXUN_RATE_LIMIT_XAPI" in k]
    assert len(counters) == 1 and int(cache._cache.get_client().get(counters[0])) == 3  # three, counted once each


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
@pytest.mark.usefixtures("needs_postgres")
def test_concurrent_lean_statements_of_one_learner_all_count_once(world, stack):
    app = LeanRoutes(stack)
    tabs = [Learner(world.learner) for _ in range(4)]
    send(app, tabs[0], world, answered(world, 0.9))  # the view's: the first statement
    stack.calls = 0
    started = time.monotonic()
    batches = run_together(*[lambda tab=tab: [send(app, tab, world, answered(world, 0.1 + n / 100))
                                              for n in range(5)] for tab in tabs])
    assert not [b for b in batches if isinstance(b, Exception)], batches
    assert all(a.status_code == 200 and a.json()["stored"] for batch in batches for a in batch)
    assert stack.calls == 0 and time.monotonic() - started < 60
    result = H5PResult.objects.get(user=world.learner)
    assert (result.answered_count, result.attempts) == (21, 21)
    assert H5PStatement.objects.filter(user=world.learner).count() == 21


def test_a_route_that_cannot_be_set_up_stays_off_and_the_others_still_work(stack, world, learner):
    app = LeanRoutes(stack, routes=("shixun.config.no_such_module.Route", "shixun.assessments.h5p.lean.XapiRoute"))
    send(app, learner, world, answered(world, 0.5))  # the view's: the first statement
    stack.calls = 0
    assert send(app, learner, world, answered(world, 0.1)).status_code == 200 and stack.calls == 0
