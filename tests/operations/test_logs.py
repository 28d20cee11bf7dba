"""Structured logs: one JSON object a line, with a request id and a pseudonymous user, never the username."""

import io
import json
import logging
import os
import subprocess
import sys
from pathlib import Path

import pytest

from shixun.config.logs import JsonFormatter, pseudonymous_user_id

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def json_lines():
    """The request logger's output through the JSON formatter, as parsed objects."""
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(JsonFormatter())
    logger = logging.getLogger("shixun.requests")
    old_level = logger.level
    logger.addHandler(handler)
    logger.setLevel(logging.INFO)
    try:
        yield lambda: [json.loads(line) for line in stream.getvalue().splitlines()]
    finally:
        logger.removeHandler(handler)
        logger.setLevel(old_level)


@pytest.mark.django_db
def test_a_sane_incoming_request_id_is_kept_logged_and_returned(client, org, json_lines):
    client.force_login(org.teacher)
    response = client.get("/learn/", HTTP_X_REQUEST_ID="lb-7f3a9c21-0001")
    assert response["X-Request-ID"] == "lb-7f3a9c21-0001"
    [line] = [entry for entry in json_lines() if entry.get("request_id") == "lb-7f3a9c21-0001"]
    assert line["level"] == "INFO" and line["logger"] == "shixun.requests"
    assert line["status"] == response.status_code and line["method"] == "GET"
    assert line["user"] == pseudonymous_user_id(org.teacher.pk)
    assert len(line["user"]) == 16
    raw = json.dumps(line, ensure_ascii=False)
    assert org.teacher.username not in raw and org.teacher.shixun_profile.full_name not in raw


@pytest.mark.django_db
@pytest.mark.parametrize("incoming", ["", "short", "has spaces in it", 'x" , "level": "ERROR', "a" * 200])
def test_a_missing_or_insane_request_id_is_replaced_by_a_generated_one(client, json_lines, incoming):
    response = client.get("/healthz", HTTP_X_REQUEST_ID=incoming)
    generated = response["X-Request-ID"]
    assert generated != incoming and len(generated) == 32 and int(generated, 16) >= 0
    [line] = json_lines()
    assert line["request_id"] == generated and "user" not in line


def test_the_pseudonym_depends_on_the_secret_key(settings):
    first = pseudonymous_user_id(42)
    assert first == pseudonymous_user_id(42) and first != pseudonymous_user_id(43)
    settings.SECRET_KEY = "another-secret-key-" * 3
    assert pseudonymous_user_id(42) != first


def test_an_exception_is_one_json_line():
    logger = logging.getLogger("tests.operations.json")
    try:
        raise ValueError("多行\n消息")
    except ValueError:
        record = logger.makeRecord(logger.name, logging.ERROR, __file__, 1, "failed: %s", ("x",), sys.exc_info())
    line = JsonFormatter().format(record)
    assert "\n" not in line
    entry = json.loads(line)
    assert entry["message"] == "failed: x" and "ValueError: 多行\n消息" in entry["exception"]


def production_process_env(*unset: str) -> dict:
    """A subprocess's environment on production's settings: no test database, LOG_LEVEL and LOG_FORMAT at
    production's defaults, and the names in `unset` removed too."""
    from tests.platform_checks.test_settings import PRODUCTION_ENV

    env = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "DJANGO_ALLOW_ASYNC_UNSAFE")}
    env.update(PRODUCTION_ENV, PYTHONPATH=f"{ROOT}:{ROOT / 'platform'}")
    for name in ("LOG_LEVEL", "LOG_FORMAT", *unset):
        env.pop(name, None)
    return env


def test_production_logs_json_lines_and_keeps_the_ledgers_reconciliation_messages():
    code = (
        "import django, logging; django.setup();"
        "logging.getLogger('shixun.transcripts.ledger').info('reconcile: posted %s missing module completion(s)', 3);"
        "logging.getLogger('wagtail').info('a page was edited');"
        "logging.getLogger('courses').info('routine chatter')"
    )
    env = production_process_env()
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env, cwd=ROOT)
    assert result.returncode == 0, result.stderr
    lines = [json.loads(line) for line in result.stderr.splitlines()]
    assert [line["message"] for line in lines] == ["reconcile: posted 3 missing module completion(s)"]
    assert lines[0]["logger"] == "shixun.transcripts.ledger" and lines[0]["level"] == "INFO"


def test_pages_keep_their_info_line_and_the_frequent_views_only_what_is_refused_failed_or_slow(settings):
    from shixun.config.logs import access_log_level

    settings.SHIXUN_ACCESS_LOG_SLOW_MS = 1000
    for view in ("courses:module", "h5p:play", "healthz", "<unresolved>"):
        assert access_log_level(view, 200, 0.001) == logging.INFO, view
    for view in ("courses:study_heartbeat", "h5p:xapi"):
        assert access_log_level(view, 200, 0.999) == logging.DEBUG
        assert access_log_level(view, 302, 0.001) == logging.DEBUG
        for status in (400, 403, 404, 413, 429, 500, 503):
            assert access_log_level(view, status, 0.001) == logging.INFO, (view, status)
        assert access_log_level(view, 200, 1.0) == logging.INFO  # slow: at the setting and above
    settings.SHIXUN_ACCESS_LOG_SLOW_MS = 50
    assert access_log_level("h5p:xapi", 200, 0.049) == logging.DEBUG
    assert access_log_level("h5p:xapi", 200, 0.05) == logging.INFO


def test_the_frequent_views_are_the_lean_routes_views():
    """A new lean route is a new frequent request: its access lines need the same decision."""
    from django.utils.module_loading import import_string

    from shixun.config.lean_routes import ROUTES
    from shixun.config.logs import FREQUENT_VIEWS

    assert FREQUENT_VIEWS == {import_string(path).url_name for path in ROUTES}


def test_the_bench_logs_as_production_does():
    """bench/settings.py keeps production's LOGGING: the bench measures the access line production writes."""
    code = (
        "import copy, json;"
        "import shixun.config.settings.production as production;"
        "expected = copy.deepcopy(production.LOGGING);"
        "import bench.settings as bench;"
        "print(json.dumps([bench.LOGGING == expected, bench.LOGGING['loggers']['shixun.requests']]))"
    )
    env = production_process_env("DJANGO_SETTINGS_MODULE")  # it imports the settings modules itself
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env, cwd=ROOT)
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout) == [True, {"level": "INFO"}]


def test_a_line_is_json_dumps_of_its_fields_non_ascii_and_odd_extras_included():
    """JsonFormatter encodes with one kept encoder: byte for byte what json.dumps(ensure_ascii=False,
    default=str) gives, field order included."""

    class Thing:
        def __str__(self):
            return "东西 #7"

    logger = logging.getLogger("tests.operations.json")
    record = logger.makeRecord(logger.name, logging.INFO, __file__, 1, "课程 %s", ("进度",), None,
                               extra={"view": "courses:module", "thing": Thing(), "ratio": 0.5, "ok": True})
    line = JsonFormatter().format(record)
    expected = {"time": json.loads(line)["time"], "level": "INFO", "logger": logger.name, "message": "课程 进度",
                "view": "courses:module", "thing": Thing(), "ratio": 0.5, "ok": True}
    assert line == json.dumps(expected, ensure_ascii=False, default=str)
    assert '"thing": "东西 #7"' in line


def test_the_pseudonym_is_kept_per_user_and_key(settings):
    from shixun.config.logs import _pseudonym

    _pseudonym.cache_clear()
    first = pseudonymous_user_id(42)
    assert pseudonymous_user_id(42) == first and _pseudonym.cache_info().hits == 1
    settings.SECRET_KEY = "another-secret-key-" * 3
    assert pseudonymous_user_id(42) != first and _pseudonym.cache_info().misses == 2
