"""The lean heartbeat path (config.lean_heartbeat): the ordinary beat answered in front of Django's handler.

Every request goes through the real WSGI application: `LeanHeartbeat` in front of Django's own
WSGIHandler, wrapped by `FullStack`, which only counts the requests handed to it. A request the lean
path answers never reaches it; one it hands over is answered by the view through every middleware, with
real CSRF checks (no test client shortcut).
"""

import json
import time
from http.cookies import SimpleCookie

import pytest
from django.conf import settings as django_settings
from django.core import signals
from django.core.cache import cache
from django.core.handlers.wsgi import WSGIHandler
from django.db import close_old_connections, connection
from django.middleware.csrf import _get_new_csrf_string, _mask_cipher_secret
from django.test import Client, RequestFactory
from django.test.client import FakePayload
from django.test.utils import CaptureQueriesContext
from django.urls import clear_url_caches, reverse

from shixun.accounts.first_login import SESSION_KEY as FIRST_LOGIN
from shixun.config.lean_heartbeat import MIDDLEWARE_ON_A_BEAT, LeanHeartbeat
from shixun.courses import enrolment as services
from shixun.courses.models import ModuleCompletion, StudyTime
from tests.concurrency import needs_postgres, run_together  # noqa: F401 - needs_postgres is a fixture
from tests.courses.conftest import make_catalogue, make_course, make_module
from tests.platform_checks.test_redis_cache import redis_url  # noqa: F401 - a fixture

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def keep_the_test_connection():
    """As Django's test client does: a request must not close the test's connection (its transaction)."""
    signals.request_started.disconnect(close_old_connections)
    signals.request_finished.disconnect(close_old_connections)
    yield
    signals.request_started.connect(close_old_connections)
    signals.request_finished.connect(close_old_connections)


class FullStack:
    """Django's WSGI handler, counting the requests the lean path hands to it."""

    def __init__(self):
        self.handler = WSGIHandler()
        self.calls = 0

    def __call__(self, environ, start_response):
        self.calls += 1
        return self.handler(environ, start_response)


@pytest.fixture
def stack():
    return FullStack()


@pytest.fixture
def app(stack):
    return LeanHeartbeat(stack)


class Answer:
    def __init__(self, status: str, headers: list, content: bytes):
        self.status_code = int(status.split()[0])
        self.headers = headers
        self.content = content

    def header(self, name):
        return dict((k.lower(), v) for k, v in self.headers).get(name.lower())

    def json(self):
        return json.loads(self.content)


class Learner:
    """A browser tab: the session cookie of a login and a CSRF cookie with its masked token."""

    def __init__(self, user):
        client = Client()
        client.force_login(user)
        self.session_key = client.cookies[django_settings.SESSION_COOKIE_NAME].value
        self.csrf_secret = _get_new_csrf_string()
        self.user = user

    def cookies(self) -> str:
        jar = SimpleCookie()
        jar[django_settings.SESSION_COOKIE_NAME] = self.session_key
        jar[django_settings.CSRF_COOKIE_NAME] = self.csrf_secret
        return jar.output(header="", sep=";").strip()


def call(app, path, learner=None, *, body=b"{}", method="POST", token=None, content_type="application/json",
         **headers) -> Answer:
    body = body if isinstance(body, bytes) else json.dumps(body).encode()
    environ = RequestFactory()._base_environ(
        PATH_INFO=path, REQUEST_METHOD=method, CONTENT_TYPE=content_type, CONTENT_LENGTH=str(len(body)),
        **{"wsgi.input": FakePayload(body)}, **headers,
    )
    if learner is not None:
        environ["HTTP_COOKIE"] = learner.cookies()
        environ["HTTP_X_CSRFTOKEN"] = token if token is not None else _mask_cipher_secret(learner.csrf_secret)
    seen = {}

    def start_response(status, response_headers, exc_info=None):
        seen["status"], seen["headers"] = status, response_headers

    result = app(environ, start_response)
    try:
        content = b"".join(result)
    finally:
        result.close()
    return Answer(seen["status"], seen["headers"], content)


def url(module) -> str:
    return reverse("courses:study_heartbeat", args=[module.pk])


@pytest.fixture
def module(org, course):
    services.enrol_self(org.teacher, course)
    return course.live_modules().first()  # 2.0 hours: 90 s here; a beat credits at most 60 s


@pytest.fixture
def learner(org):
    return Learner(org.teacher)


def first_beat(app, stack, module, learner):
    answer = call(app, url(module), learner, body={"start": True})
    assert answer.status_code == 200 and stack.calls == 1  # the first beat (no row yet) is the view's
    stack.calls = 0
    return answer


def active_ms(user, module) -> int:
    return StudyTime.objects.get(user=user, module=module).active_ms


# --- what it answers ------------------------------------------------------------------------------------


def test_an_ordinary_beat_is_answered_in_front_of_django_with_the_views_body_and_headers(
    app, stack, module, learner, settings
):
    first_beat(app, stack, module, learner)
    lean = call(app, url(module), learner)
    assert lean.status_code == 200 and stack.calls == 0
    assert StudyTime.objects.get(user=learner.user, module=module).beats == 2
    settings.SHIXUN_LEAN_HEARTBEAT = False  # the switch: the same beat through the full stack
    full = call(app, url(module), learner)
    assert full.status_code == 200 and stack.calls == 1
    assert lean.json() == full.json()
    assert lean.json()["text"] == "还需学习 90 分钟" and lean.json()["required_seconds"] == 90
    assert lean.content == full.content
    ignore = {"x-request-id"}
    assert {(k.lower(), v) for k, v in lean.headers if k.lower() not in ignore} == {
        (k.lower(), v) for k, v in full.headers if k.lower() not in ignore
    }
    names = {k.lower() for k, _ in lean.headers}
    assert {"x-content-type-options", "x-frame-options", "content-security-policy", "referrer-policy",
            "content-language", "vary", "x-request-id", "content-length"} <= names
    assert "Set-Cookie" not in dict(lean.headers)  # no session write, no cookie
    assert lean.header("x-request-id") != full.header("x-request-id")


def test_the_answer_speaks_the_learners_language_as_the_locale_middleware_negotiates(app, stack, module, learner):
    first_beat(app, stack, module, learner)
    answer = call(app, url(module), learner, HTTP_ACCEPT_LANGUAGE="en")
    assert stack.calls == 0 and answer.json()["text"] == "90 more minutes of study"
    assert answer.header("content-language") == "en"
    request_id = "lb-1234567890"
    answer = call(app, url(module), learner, HTTP_X_REQUEST_ID=request_id)
    assert answer.json()["text"] == "还需学习 90 分钟" and answer.header("x-request-id") == request_id


def _same_answer(lean, full):
    assert lean.content == full.content
    ignore = {"x-request-id"}
    assert {(k.lower(), v) for k, v in lean.headers if k.lower() not in ignore} == {
        (k.lower(), v) for k, v in full.headers if k.lower() not in ignore
    }


def test_in_another_language_the_lean_answer_is_the_full_stacks(app, stack, module, learner, settings):
    first_beat(app, stack, module, learner)
    lean = call(app, url(module), learner, HTTP_ACCEPT_LANGUAGE="en-GB,en;q=0.8")
    assert stack.calls == 0 and lean.json()["text"] == "90 more minutes of study"
    settings.SHIXUN_LEAN_HEARTBEAT = False
    full = call(app, url(module), learner, HTTP_ACCEPT_LANGUAGE="en-GB,en;q=0.8")
    assert stack.calls == 1
    _same_answer(lean, full)
    assert lean.header("content-language") == "en" and "Accept-Language" in lean.header("vary")


def test_a_token_accepted_once_is_still_checked_against_each_requests_secret(app, stack, org, module, learner,
                                                                            caplog):
    """The CSRF check remembers accepted (secret, token) pairs only: another cookie secret with the same token,
    or another token, takes Django's check again and is rejected (and logged) by the full stack."""
    first_beat(app, stack, module, learner)
    token = _mask_cipher_secret(learner.csrf_secret)
    assert call(app, url(module), learner, token=token).status_code == 200
    assert call(app, url(module), learner, token=token).status_code == 200 and stack.calls == 0
    before = _row(learner.user, module)
    other_tab = Learner(org.teacher)
    other_tab.session_key = learner.session_key  # the same session, another CSRF cookie
    with caplog.at_level("WARNING", logger="django.security.csrf"):
        answer = call(app, url(module), other_tab, token=token)
    assert answer.status_code == 403 and stack.calls == 1
    assert [r.getMessage() for r in caplog.records if r.name == "django.security.csrf"] == [
        "Forbidden (CSRF token from the 'X-Csrftoken' HTTP header incorrect.): " + url(module)]
    stack.calls = 0
    assert call(app, url(module), learner, token=token[:-1] + ("a" if token[-1] != "a" else "b")).status_code == 403
    assert stack.calls == 1 and _row(learner.user, module) == before
    stack.calls = 0
    # Another masking of the same secret (a new page) is checked by Django's code and accepted.
    assert call(app, url(module), learner, token=_mask_cipher_secret(learner.csrf_secret)).status_code == 200
    assert call(app, url(module), learner, token=learner.csrf_secret).status_code == 200  # unmasked form
    assert stack.calls == 0


def test_the_host_is_checked_on_each_request_as_django_checks_it(app, stack, module, learner, settings):
    first_beat(app, stack, module, learner)
    settings.ALLOWED_HOSTS = ["learn.example"]
    assert call(app, url(module), learner, HTTP_HOST="learn.example:8443").status_code == 200
    assert stack.calls == 0
    before = _row(learner.user, module)
    for host in ("evil.example", "learn.example.evil.example", "learn.example:8443:1"):
        assert call(app, url(module), learner, HTTP_HOST=host).status_code == 400, host
        assert stack.calls == 1
        stack.calls = 0
    settings.ALLOWED_HOSTS = ["other.example"]
    assert call(app, url(module), learner, HTTP_HOST="learn.example").status_code == 400 and stack.calls == 1
    assert _row(learner.user, module) == before


def counted(view: str, status_class: str = "2xx") -> float:
    """Requests of `view` the latency metric has counted with that status class, in this process."""
    from prometheus_client import REGISTRY

    labels = {"view": view, "status": status_class}
    return REGISTRY.get_sample_value("shixun_http_request_duration_seconds_count", labels) or 0


def beats_counted(status_class="2xx") -> float:
    return counted("courses:study_heartbeat", status_class)


def test_the_access_log_line_of_a_lean_beat_is_the_full_stacks(app, stack, module, learner, settings,
                                                               access_lines):
    first_beat(app, stack, module, learner)
    lean = call(app, url(module), learner, HTTP_X_REQUEST_ID="lean-beat-0001")
    settings.SHIXUN_LEAN_HEARTBEAT = False
    full = call(app, url(module), learner, HTTP_X_REQUEST_ID="full-beat-0001")
    assert full.header("x-request-id") == "full-beat-0001"
    assert stack.calls == 1 and lean.header("x-request-id") == "lean-beat-0001"
    lean_line, full_line = access_lines[-2:]
    assert lean_line["request_id"] == "lean-beat-0001" and full_line["request_id"] == "full-beat-0001"
    assert lean_line["message"] == "POST courses:study_heartbeat 200" and lean_line["user"]
    assert lean_line["level"] == "DEBUG"  # an ordinary beat: the metric counts it, INFO shows it not
    varying = {"time", "request_id", "duration_ms"}
    assert {k: v for k, v in lean_line.items() if k not in varying} == {
        k: v for k, v in full_line.items() if k not in varying}


def test_an_ordinary_beat_is_counted_but_not_logged_at_info_on_either_path(app, stack, module, learner, settings,
                                                                           access_lines):
    first_beat(app, stack, module, learner)
    before = beats_counted()
    assert call(app, url(module), learner).status_code == 200 and stack.calls == 0
    settings.SHIXUN_LEAN_HEARTBEAT = False
    assert call(app, url(module), learner).status_code == 200 and stack.calls == 1
    assert beats_counted() == before + 2
    assert [line["level"] for line in access_lines] == ["DEBUG"] * 3  # the first beat's, the lean's, the full's


def test_a_refused_beat_keeps_its_info_line_on_either_path(app, stack, org, module, learner, settings,
                                                           access_lines):
    first_beat(app, stack, module, learner)
    before = beats_counted("4xx")
    # A bad CSRF token: the lean path hands it over, the view's stack refuses it (403).
    refused = call(app, url(module), learner, token="x" * 64, HTTP_X_REQUEST_ID="refused-beat-01")
    # A module the learner is not enrolled in: the view's refusal (403 or 404).
    other = make_module(make_course(make_catalogue(slug="other"), title="另一门课"))
    unknown = call(app, url(other), learner, HTTP_X_REQUEST_ID="refused-beat-02")
    assert refused.status_code == 403 and unknown.status_code >= 400
    assert beats_counted("4xx") == before + 2
    info = {line["request_id"]: line for line in access_lines if line["level"] == "INFO"}
    assert set(info) == {"refused-beat-01", "refused-beat-02"}
    line = info["refused-beat-01"]
    assert line["view"] == "courses:study_heartbeat" and line["status"] == 403 and line["method"] == "POST"
    assert line["logger"] == "shixun.requests" and line["duration_ms"] >= 0
    assert info["refused-beat-02"]["status"] == unknown.status_code


def test_a_slow_beat_keeps_its_info_line_on_either_path(app, stack, module, learner, settings, access_lines):
    first_beat(app, stack, module, learner)
    settings.SHIXUN_ACCESS_LOG_SLOW_MS = 0  # every beat is "slow"
    assert call(app, url(module), learner, HTTP_X_REQUEST_ID="slow-lean-beat-01").status_code == 200
    assert stack.calls == 0
    settings.SHIXUN_LEAN_HEARTBEAT = False
    assert call(app, url(module), learner, HTTP_X_REQUEST_ID="slow-full-beat-01").status_code == 200
    assert stack.calls == 1
    lean_line, full_line = access_lines[-2:]
    assert (lean_line["level"], lean_line["request_id"]) == ("INFO", "slow-lean-beat-01")
    assert (full_line["level"], full_line["request_id"]) == ("INFO", "slow-full-beat-01")
    for line in (lean_line, full_line):
        assert line["view"] == "courses:study_heartbeat" and line["status"] == 200 and line["duration_ms"] >= 0


def test_a_lean_beat_costs_the_session_the_user_and_the_update(app, stack, module, learner):
    first_beat(app, stack, module, learner)
    with CaptureQueriesContext(connection) as queries:
        answer = call(app, url(module), learner)
    assert answer.status_code == 200 and stack.calls == 0
    statements = [q["sql"] for q in queries.captured_queries]
    # The session (the test settings keep it in the database; production: Redis first, no query) and the
    # UPDATE, which checks the user row itself for a learner this process has checked once (the first beat).
    assert len(statements) == 2, "\n".join(statements)
    assert "django_session" in statements[0] and statements[-1].startswith("UPDATE")
    assert "is_active" in statements[-1] and "password" in statements[-1]


# --- what it hands over, with nothing written -------------------------------------------------------------


def _row(user, module):
    return StudyTime.objects.filter(user=user, module=module).values_list("beats", "active_ms", "last_beat_ms").first()


def test_every_doubtful_beat_goes_to_the_view_unchanged(app, stack, org, course, module, learner):
    first_beat(app, stack, module, learner)
    before = _row(learner.user, module)

    def handed_over(answer, status, code=None):
        assert stack.calls == 1, "the lean path answered"
        stack.calls = 0
        assert answer.status_code == status
        if code is not None:
            assert answer.json()["code"] == code
        return answer

    handed_over(call(app, url(module), learner, method="GET"), 405, "method")
    handed_over(call(app, url(module), learner, body=b"{not json"), 400, "bad_json")
    handed_over(call(app, url(module), learner, body={"start": "yes"}), 400, "bad_json")
    handed_over(call(app, url(module), learner, body=b"x" * 2000), 413, "too_large")
    handed_over(call(app, url(module), learner, token=_mask_cipher_secret(_get_new_csrf_string())), 403)
    handed_over(call(app, url(module), learner, token=""), 403)
    handed_over(call(app, url(module), learner, HTTP_ORIGIN="https://evil.example"), 403)
    handed_over(call(app, url(module), learner, HTTP_HOST="evil.example"), 400)
    content_host = django_settings.SHIXUN_H5P_CONTENT_ORIGIN.split("//", 1)[1]
    handed_over(call(app, url(module), learner, HTTP_HOST=content_host), 405)
    logged_out = Learner(org.teacher)
    logged_out.session_key = "x" * 32
    handed_over(call(app, url(module), logged_out), 403, "login")
    handed_over(call(app, reverse("courses:study_heartbeat", args=[999_999]), learner), 404, "no_module")
    handed_over(call(app, url(module), learner, content_type="text/plain"), 200)  # the view reads any body
    assert _row(learner.user, module)[0] == before[0] + 1  # only the last one credited: the view's beat
    before = _row(learner.user, module)

    outsider = Learner(org.sibling_teacher)
    handed_over(call(app, url(module), outsider), 403, "not_enrolled")
    draft = make_module(course, "草稿单元")
    draft.unpublish()
    handed_over(call(app, url(draft), learner), 404, "no_module")
    services.withdraw(services.active_enrolment(org.teacher, course), actor=org.teacher)
    handed_over(call(app, url(module), learner), 403, "not_enrolled")
    assert _row(learner.user, module) == before
    assert not StudyTime.objects.filter(user=org.sibling_teacher).exists()


def test_an_unpublished_module_with_a_row_goes_to_the_view(app, stack, module, learner):
    first_beat(app, stack, module, learner)
    before = _row(learner.user, module)
    module.unpublish()
    answer = call(app, url(module), learner)
    assert stack.calls == 1 and answer.status_code == 404 and answer.json()["code"] == "no_module"
    assert _row(learner.user, module) == before


def test_a_deactivated_user_or_a_changed_password_stops_lean_beats_at_once(app, stack, org, module, learner):
    first_beat(app, stack, module, learner)
    assert call(app, url(module), learner).status_code == 200 and stack.calls == 0
    before = _row(learner.user, module)
    user = org.teacher
    user.is_active = False
    user.save()
    answer = call(app, url(module), learner)
    assert stack.calls == 1 and answer.status_code == 403 and answer.json()["code"] == "login"
    user.is_active = True
    user.save()
    stack.calls = 0
    assert call(app, url(module), learner).status_code == 200 and stack.calls == 0
    before = _row(learner.user, module)
    user.set_password("a-new-password-9481")
    user.save()
    answer = call(app, url(module), learner)
    assert stack.calls == 1 and answer.status_code == 403 and answer.json()["code"] == "login"
    assert _row(learner.user, module) == before
    # Django's get_user, in the full stack, flushed that session: it stays logged out.
    stack.calls = 0
    assert call(app, url(module), learner).status_code == 403 and stack.calls == 1


def test_a_session_the_first_login_middleware_acts_on_goes_to_the_full_stack(app, stack, org, module, learner):
    from django.contrib.sessions.backends.db import SessionStore

    first_beat(app, stack, module, learner)
    session = SessionStore(learner.session_key)
    session[FIRST_LOGIN] = True
    session.save()
    call(app, url(module), learner)
    assert stack.calls == 1


def test_the_beat_that_completes_the_lesson_is_the_views(app, stack, org, course, learner,
                                                         django_capture_on_commit_callbacks):
    services.enrol_self(org.teacher, course)
    module = make_module(course, "短单元", hours="1.0", study_minutes=1)  # one study minute: a second here
    first_beat(app, stack, module, learner)
    time.sleep(1.1)
    with django_capture_on_commit_callbacks(execute=True):
        answer = call(app, url(module), learner)
    assert stack.calls == 1  # within one cap (60 s) of the minimum: every beat is the view's
    assert answer.json()["lesson_done"] and answer.json()["module_completed"]
    assert ModuleCompletion.objects.filter(user=org.teacher, module=module).count() == 1
    stack.calls = 0
    later = call(app, url(module), learner)  # reported: later beats are ordinary again
    assert stack.calls == 0 and later.json()["lesson_done"] and not later.json()["module_completed"]
    assert later.json()["text"].startswith("内容学习已完成")


def test_the_rate_limit_is_counted_once_per_request_whichever_path_answers(app, stack, module, learner, settings):
    settings.SHIXUN_RATE_LIMITS_ENABLED = True
    settings.SHIXUN_RATE_LIMIT_HEARTBEAT = "3/m"
    cache.clear()
    first_beat(app, stack, module, learner)  # counted once by the lean path, handed over, not counted again
    codes = [call(app, url(module), learner).status_code for _ in range(2)]
    assert codes == [200, 200] and stack.calls == 0
    credited = _row(learner.user, module)
    refused = call(app, url(module), learner)  # the fourth: over the limit, answered by the view
    assert stack.calls == 1 and refused.status_code == 429 and refused.json()["code"] == "rate_limited"
    assert int(refused.header("retry-after")) >= 1
    assert _row(learner.user, module) == credited
    cache.clear()


# --- the crediting rule is the view's ---------------------------------------------------------------------


def test_a_burst_of_a_hundred_lean_beats_credits_the_time_it_lasted(app, stack, module, learner):
    started = time.monotonic()
    first_beat(app, stack, module, learner)
    answers = [call(app, url(module), learner) for _ in range(100)]
    elapsed_ms = (time.monotonic() - started) * 1000
    assert stack.calls == 0 and all(a.status_code == 200 for a in answers)
    assert 0 < active_ms(learner.user, module) <= elapsed_ms
    assert StudyTime.objects.get(user=learner.user, module=module).beats == 101


def test_two_tabs_share_one_clock_on_the_lean_path(app, stack, org, module):
    tabs = [Learner(org.teacher), Learner(org.teacher)]
    started = time.monotonic()
    first_beat(app, stack, module, tabs[0])
    for n in range(20):
        assert call(app, url(module), tabs[n % 2]).status_code == 200
        time.sleep(0.02)
    elapsed_ms = (time.monotonic() - started) * 1000
    assert stack.calls == 0
    assert 0 < active_ms(org.teacher, module) <= elapsed_ms


# --- the route, the switch and the guard ------------------------------------------------------------------


def test_the_switch_hands_every_beat_to_the_view(app, stack, module, learner, settings):
    first_beat(app, stack, module, learner)
    settings.SHIXUN_LEAN_HEARTBEAT = False
    assert call(app, url(module), learner).status_code == 200 and stack.calls == 1


def test_the_route_follows_a_host_sites_prefix(stack, org, module, learner, settings):
    settings.ROOT_URLCONF = "tests.courses.prefixed_urls"
    clear_url_caches()
    try:
        app = LeanHeartbeat(stack)
        path = reverse("courses:study_heartbeat", args=[module.pk])
        assert path.startswith("/training/learn/")
        first_beat(app, stack, module, learner)
        assert call(app, path, learner).status_code == 200 and stack.calls == 0
        stack.calls = 0
        call(app, f"/learn/modules/{module.pk}/study/", learner)  # the standalone site's path: not the route
        assert stack.calls == 1
    finally:
        clear_url_caches()


def test_every_middleware_of_the_stack_is_reproduced_or_known_not_needed_by_a_beat(settings):
    """A middleware added to MIDDLEWARE must be added to MIDDLEWARE_ON_A_BEAT with what it does on a beat."""
    missing = [entry for entry in django_settings.MIDDLEWARE if entry not in MIDDLEWARE_ON_A_BEAT]
    assert not missing, f"the lean heartbeat path does not know {missing}: see config/lean_heartbeat.py"
    for entry, (how, why) in MIDDLEWARE_ON_A_BEAT.items():
        assert how in {"checked", "run", "response", "context", "not needed"} and len(why) > 15, entry


def test_a_wagtail_host_sites_middleware_with_shixuns_is_known_to_the_lean_path():
    """`wagtail start`'s MIDDLEWARE through with_shixun_middleware (README, install into a Wagtail site)."""
    from shixun.config.host import with_shixun_middleware
    from tests.plugin.test_host_wiring import WAGTAIL_START_MIDDLEWARE

    host = with_shixun_middleware(WAGTAIL_START_MIDDLEWARE)
    assert [entry for entry in host if entry not in MIDDLEWARE_ON_A_BEAT] == []


def test_an_unknown_middleware_turns_the_lean_path_off(stack, module, learner, settings):
    settings.MIDDLEWARE = [*django_settings.MIDDLEWARE, "django.middleware.gzip.GZipMiddleware"]
    stack.handler = WSGIHandler()
    app = LeanHeartbeat(stack)
    first_beat(app, stack, module, learner)
    call(app, url(module), learner)
    assert stack.calls == 1


# --- production's set-up: Redis cache and sessions; PostgreSQL concurrency ----------------------------------


@pytest.fixture
def redis_sessions(settings, redis_url):  # noqa: F811 - the fixture imported above
    settings.CACHES = {"default": {"BACKEND": "shixun.config.cache.RedisCache", "LOCATION": redis_url,
                                   "KEY_PREFIX": f"lean-{time.monotonic_ns()}"}}
    settings.SESSION_ENGINE = "django.contrib.sessions.backends.cached_db"
    settings.SHIXUN_RATE_LIMITS_ENABLED = True
    settings.SHIXUN_RATE_LIMIT_HEARTBEAT = "1000/m"
    yield
    cache.clear()


@pytest.mark.usefixtures("redis_sessions")
def test_with_redis_a_lean_beat_reads_the_session_from_redis_and_counts_the_limit_there(
    app, stack, org, module
):
    learner = Learner(org.teacher)
    first_beat(app, stack, module, learner)
    with CaptureQueriesContext(connection) as queries:
        answer = call(app, url(module), learner)
    assert answer.status_code == 200 and stack.calls == 0
    assert len(queries.captured_queries) == 1  # the UPDATE (it checks the user); the session came from Redis
    digest_keys = [k for k in cache._cache.get_client().keys("*") if b"SHIXUN_RATE_LIMIT_HEARTBEAT" in k]
    assert len(digest_keys) == 1 and int(cache._cache.get_client().get(digest_keys[0])) == 2  # two beats
    org.teacher.set_password("another-password-2231")
    org.teacher.save()
    assert call(app, url(module), learner).status_code == 403 and stack.calls == 1


def _user_count(user) -> int | None:
    from hashlib import sha256

    window = int(time.time() // 86400)
    digest = sha256(f"user:{user.pk}".encode()).hexdigest()[:32]
    return cache.get(f"shixun-rl:SHIXUN_RATE_LIMIT_HEARTBEAT:{digest}:{window}")


@pytest.mark.usefixtures("redis_sessions")
def test_a_remembered_learner_deactivated_is_handed_over_and_counted_as_the_full_stack_counts(
    app, stack, org, module, settings
):
    settings.SHIXUN_RATE_LIMIT_HEARTBEAT = "1000/d"
    learner = Learner(org.teacher)
    first_beat(app, stack, module, learner)
    assert call(app, url(module), learner).status_code == 200 and stack.calls == 0
    assert _user_count(org.teacher) == 2
    before = _row(org.teacher, module)
    org.teacher.is_active = False
    org.teacher.save()
    answer = call(app, url(module), learner)  # remembered: only the UPDATE checks them, and refuses
    assert stack.calls == 1 and answer.status_code == 403 and answer.json()["code"] == "login"
    assert _row(org.teacher, module) == before
    assert _user_count(org.teacher) == 2  # the full stack counted it under the client address, not the user
    org.teacher.is_active = True
    org.teacher.save()
    stack.calls = 0
    assert call(app, url(module), learner).status_code == 200 and stack.calls == 0
    assert _user_count(org.teacher) == 3


@pytest.mark.usefixtures("redis_sessions")
def test_a_learner_seen_before_costs_one_redis_round_trip_for_the_session_and_the_limit(
    app, stack, org, module, monkeypatch, settings
):
    from redis.connection import AbstractConnection

    settings.SHIXUN_RATE_LIMIT_HEARTBEAT = "1000/d"  # the window _user_count reads
    learner = Learner(org.teacher)
    first_beat(app, stack, module, learner)
    assert call(app, url(module), learner).status_code == 200  # Redis learns the script (SCRIPT LOAD) once
    sent = []
    send = AbstractConnection.send_packed_command
    monkeypatch.setattr(AbstractConnection, "send_packed_command",
                        lambda self, command, *args, **kwargs: sent.append(command) or send(self, command, *args,
                                                                                             **kwargs))
    answer = call(app, url(module), learner)
    assert answer.status_code == 200 and stack.calls == 0
    assert len(sent) == 1, sent  # one script: the session read and the counter's SET NX + INCR
    assert _user_count(org.teacher) == 3


@pytest.mark.usefixtures("redis_sessions")
def test_a_count_made_under_the_wrong_learner_is_taken_back(app, stack, org, module, settings):
    settings.SHIXUN_RATE_LIMIT_HEARTBEAT = "1000/d"
    learner = Learner(org.teacher)
    first_beat(app, stack, module, learner)
    app.session_users[learner.session_key] = org.trainer.pk  # cannot happen (a key is one user's); if it did:
    assert call(app, url(module), learner).status_code == 200 and stack.calls == 0
    assert _user_count(org.teacher) == 2  # counted once, under the session's learner
    assert not _user_count(org.trainer)  # and nothing left under the other
    assert app.session_users[learner.session_key] == org.teacher.pk
    # A session that is gone (signed out elsewhere): the early count is taken back, the full stack answers.
    Client().logout()
    from django.contrib.sessions.backends.cached_db import SessionStore

    SessionStore(learner.session_key).delete()
    assert call(app, url(module), learner).status_code == 403 and stack.calls == 1
    assert _user_count(org.teacher) == 2


@pytest.fixture
def restartable_redis(settings):
    """A Redis server of the test's own, which the test can restart on the same port (empty: no persistence)."""
    import shutil
    import socket
    import subprocess

    from tests.platform_checks.test_redis_cache import _free_port

    binary = shutil.which("redis-server")
    if binary is None:
        pytest.skip("needs redis-server")
    port = _free_port()

    class Server:
        process = None

        def start(self):
            self.process = subprocess.Popen(  # noqa: S603 - the test's own server on loopback
                [binary, "--port", str(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"],
                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
            deadline = time.monotonic() + 10
            while socket.socket().connect_ex(("127.0.0.1", port)) != 0:
                assert time.monotonic() < deadline and self.process.poll() is None, "redis-server did not start"
                time.sleep(0.05)

        def stop(self):
            self.process.terminate()
            self.process.wait(timeout=10)

    server = Server()
    server.start()
    settings.CACHES = {"default": {"BACKEND": "shixun.config.cache.RedisCache",
                                   "LOCATION": f"redis://127.0.0.1:{port}/0"}}
    settings.SESSION_ENGINE = "django.contrib.sessions.backends.cached_db"
    settings.SHIXUN_RATE_LIMITS_ENABLED = True
    settings.SHIXUN_RATE_LIMIT_HEARTBEAT = "1000/d"
    try:
        yield server
    finally:
        server.stop()


def test_a_redis_restart_does_not_break_lean_beats(app, stack, org, module, restartable_redis):
    """The lean path keeps one Redis connection per thread: after a restart redis-py's retry opens a new one,
    and the script the new server does not know is loaded again."""
    learner = Learner(org.teacher)
    first_beat(app, stack, module, learner)
    for _ in range(2):
        assert call(app, url(module), learner).status_code == 200 and stack.calls == 0
    assert _user_count(org.teacher) == 3
    beats = _row(org.teacher, module)[0]
    restartable_redis.stop()
    restartable_redis.start()  # the kept connection is dead; the server has no script, session or counter
    answer = call(app, url(module), learner)
    assert answer.status_code == 200 and stack.calls == 0  # still the lean path: the session from the database
    assert _row(org.teacher, module)[0] == beats + 1 and _user_count(org.teacher) == 1
    assert call(app, url(module), learner).status_code == 200 and stack.calls == 0
    assert _user_count(org.teacher) == 2


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
@pytest.mark.usefixtures("needs_postgres")
def test_concurrent_lean_beats_credit_real_time_once_and_the_view_completes_once(org, stack, settings):
    settings.SHIXUN_STUDY_HEARTBEAT_SECONDS = 1  # a beat credits at most 2 s
    course = make_course(make_catalogue())
    module = make_module(course, hours="1.0", study_minutes=6)  # 6 s: lean while 2 s and more below it
    services.enrol_self(org.teacher, course)
    app = LeanHeartbeat(stack)
    tabs = [Learner(org.teacher) for _ in range(6)]
    started = time.monotonic()
    first_beat(app, stack, module, tabs[0])
    answers = run_together(*[lambda tab=tab: [call(app, url(module), tab) for _ in range(5)] for tab in tabs])
    elapsed_ms = (time.monotonic() - started) * 1000
    assert not [a for a in answers if isinstance(a, Exception)], answers
    assert all(a.status_code == 200 for batch in answers for a in batch)
    assert stack.calls == 0
    assert 0 < active_ms(org.teacher, module) <= elapsed_ms
    assert StudyTime.objects.get(user=org.teacher, module=module).beats == 31
    # Study up to a second before the minimum (set here, not waited for): every next beat may complete the
    # lesson, so each is the view's, and the lesson is reported exactly once.
    StudyTime.objects.filter(user=org.teacher, module=module).update(active_ms=5_000)
    time.sleep(1.1)
    answers = run_together(*[lambda tab=tab: call(app, url(module), tab) for tab in tabs])
    assert all(a.status_code == 200 for a in answers) and stack.calls == len(tabs)
    assert ModuleCompletion.objects.filter(user=org.teacher, module=module).count() == 1
    assert all(a.json()["lesson_done"] for a in answers)
