"""/healthz and /readyz for a load balancer: no session, no auth, a JSON body naming each check, 503 when not ready."""

from datetime import timedelta

import pytest
from django.utils import timezone

from shixun.courses.models import ModuleCompletion
from shixun.transcripts import ledger
from tests.transcripts.helpers import complete, enrol, make_course, tasks_lost

CHECKS = {"database", "cache", "broker", "queue_backlog", "posting_lag_seconds", "private_media_free_mb"}


def test_healthz_answers_without_touching_the_database_or_a_session(client):
    # No django_db mark: any query would raise here instead of answering.
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json() == {"status": "ok"}
    assert "Set-Cookie" not in response.headers
    assert "no-cache" in response.headers["Cache-Control"]


def test_healthz_answers_a_probe_that_speaks_plain_http_with_any_host(client, settings):
    """Load balancers probe the process by address: neither the host check nor the SSL redirect may stop them."""
    settings.SECURE_SSL_REDIRECT = True
    assert client.get("/healthz", HTTP_HOST="10.0.3.17:8000").status_code == 200
    # The same settings send any other plain-HTTP request to HTTPS (or refuse its host).
    assert client.get("/", HTTP_HOST="10.0.3.17:8000").status_code in (301, 400)


def test_the_content_origin_does_not_serve_the_health_endpoints(client, settings):
    """Only the main host answers them; the H5P content host answers nothing of the site."""
    content_host = settings.SHIXUN_H5P_CONTENT_ORIGIN.split("://", 1)[1]
    assert client.get("/healthz", HTTP_HOST=content_host).status_code == 404
    assert client.get("/readyz", HTTP_HOST=content_host).status_code == 404


@pytest.mark.django_db
def test_readyz_lists_every_check_and_answers_200_when_all_pass(client):
    response = client.get("/readyz")
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["status"] == "ok"
    assert set(body["checks"]) == CHECKS
    assert all(check["ok"] for check in body["checks"].values())
    assert body["checks"]["queue_backlog"] == {"ok": True, "value": 0, "limit": 1000}
    assert "Set-Cookie" not in response.headers


@pytest.mark.django_db
def test_readyz_answers_503_when_the_queue_backlog_passes_its_limit(client, settings):
    from django_q.brokers import get_broker

    settings.SHIXUN_READY_MAX_QUEUE_BACKLOG = 1
    broker = get_broker()
    broker.enqueue("task one")
    assert client.get("/readyz").status_code == 200
    broker.enqueue("task two")
    response = client.get("/readyz")
    assert response.status_code == 503
    assert response.json()["status"] == "unavailable"
    assert response.json()["checks"]["queue_backlog"] == {"ok": False, "value": 2, "limit": 1}


@pytest.mark.django_db
def test_readyz_answers_503_while_a_completion_waits_too_long_for_its_credit(client, settings, org):
    settings.SHIXUN_READY_MAX_POSTING_LAG_SECONDS = 600
    course, modules = make_course(hours=["1.0"])
    enrol(org.teacher, course)
    with tasks_lost():
        complete(org.teacher, modules[0])
    ModuleCompletion.objects.update(completed_at=timezone.now() - timedelta(hours=1))

    response = client.get("/readyz")
    assert response.status_code == 503
    lag = response.json()["checks"]["posting_lag_seconds"]
    assert lag["ok"] is False and 3500 < lag["value"] < 3700 and lag["limit"] == 600

    assert ledger.reconcile() == 1
    response = client.get("/readyz")
    assert response.status_code == 200
    assert response.json()["checks"]["posting_lag_seconds"]["value"] == 0


@pytest.mark.django_db
def test_readyz_answers_503_when_private_media_runs_out_of_disk(client, settings):
    settings.SHIXUN_READY_MIN_FREE_DISK_MB = 10**12  # more than any disk has
    response = client.get("/readyz")
    assert response.status_code == 503
    check = response.json()["checks"]["private_media_free_mb"]
    assert check["ok"] is False and check["limit"] == 10**12


@pytest.mark.django_db
def test_readyz_answers_503_without_its_cache_and_does_not_say_where_the_cache_is(client, settings):
    settings.CACHES = {
        "default": {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": "redis://127.0.0.1:1/7"}
    }
    response = client.get("/readyz")
    assert response.status_code == 503
    body = response.json()
    assert body["checks"]["cache"] == {"ok": False}
    assert body["checks"]["database"]["ok"] is True
    assert b"127.0.0.1" not in response.content and b"redis" not in response.content.lower()
