"""Errors reach someone: the Sentry-compatible DSN when set, ADMINS by mail otherwise."""

import gzip
import json
import os
import subprocess
import sys
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
import sentry_sdk
from django.core import mail
from django.test import Client

from shixun.config.errors import init_error_reporting

ROOT = Path(__file__).resolve().parents[2]


class FakeSentry:
    """A tiny Sentry-compatible ingest endpoint on 127.0.0.1 that keeps every envelope it receives."""

    def __init__(self):
        received = self.received = []

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
                if self.headers.get("Content-Encoding") == "gzip":
                    body = gzip.decompress(body)
                received.append((self.path, body.decode("utf-8", "replace")))
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.end_headers()
                self.wfile.write(b"{}")

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    @property
    def dsn(self):
        return f"http://publickey@127.0.0.1:{self.server.server_port}/42"

    def __enter__(self):
        self.thread.start()
        return self

    def __exit__(self, *exc):
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def failing_site(settings):
    settings.ROOT_URLCONF = "tests.operations.raising_urls"
    return Client(raise_request_exception=False)


@pytest.mark.django_db
def test_with_a_dsn_an_unhandled_error_is_delivered_to_the_sentry_endpoint(failing_site, settings):
    settings.ADMINS = [("Ops", "ops@example.edu.cn")]
    with FakeSentry() as sentry:
        try:
            init_error_reporting(sentry.dsn, environment="test")
            assert failing_site.get("/broken/").status_code == 500
            sentry_sdk.flush(timeout=10)
        finally:
            sentry_sdk.get_client().close()
            sentry_sdk.get_global_scope().set_client(None)
    assert sentry.received, "nothing reached the Sentry endpoint"
    path, body = sentry.received[0]
    assert path == "/api/42/envelope/"
    assert "OperatorShouldHearAboutThis" in body
    assert "the view broke on purpose" in body


@pytest.mark.django_db
def test_without_a_dsn_an_unhandled_error_is_mailed_to_admins(failing_site, settings):
    settings.ADMINS = [("Ops", "ops@example.edu.cn")]
    assert not sentry_sdk.get_client().is_active()
    assert failing_site.get("/broken/").status_code == 500
    assert len(mail.outbox) == 1
    message = mail.outbox[0]
    assert message.to == ["ops@example.edu.cn"]
    assert "ERROR" in message.subject
    assert "OperatorShouldHearAboutThis" in message.body


def run_settings_probe(code: str, **env) -> dict:
    full_env = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "DJANGO_ALLOW_ASYNC_UNSAFE")}
    full_env.update(PYTHONPATH=f"{ROOT}:{ROOT / 'platform'}", **env)
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=full_env, cwd=ROOT)
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout.strip().splitlines()[-1])


PROBE = """
import json, django, sentry_sdk
from django.conf import settings
django.setup()
client = sentry_sdk.get_client()
print(json.dumps({"active": client.is_active(), "dsn": client.dsn, "pii": client.should_send_default_pii(),
                  "admins": settings.ADMINS, "django_handlers": settings.LOGGING["loggers"]["django"]["handlers"]}))
"""


def test_settings_start_the_sdk_when_sentry_dsn_is_set_and_then_do_not_mail():
    dsn = "http://publickey@127.0.0.1:9/42"
    found = run_settings_probe(PROBE, DJANGO_SETTINGS_MODULE="shixun.config.settings.test", SENTRY_DSN=dsn)
    assert found["active"] and found["dsn"] == dsn
    assert found["pii"] is False
    assert found["django_handlers"] == []


def test_production_reads_admins_from_the_environment_and_mails_them_without_a_dsn():
    from tests.platform_checks.test_settings import PRODUCTION_ENV

    found = run_settings_probe(PROBE, **PRODUCTION_ENV, ADMINS="运维值班 <ops@example.edu.cn>, it@example.edu.cn")
    assert not found["active"]
    assert found["admins"] == [["运维值班", "ops@example.edu.cn"], ["it@example.edu.cn", "it@example.edu.cn"]]
    assert found["django_handlers"] == ["mail_admins"]
