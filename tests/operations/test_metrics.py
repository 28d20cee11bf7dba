"""/metrics in Prometheus text format: request latency, task failures, posting lag; only for allowed clients."""

from datetime import timedelta

import pytest
from django.utils import timezone
from prometheus_client.parser import text_string_to_metric_families

from shixun.courses.models import ModuleCompletion
from tests.transcripts.helpers import complete, enrol, make_course, tasks_lost

TOKEN = "metrics-token-for-the-tests-0123456789"


def scrape(client, **headers):
    response = client.get("/metrics", **headers)
    assert response.status_code == 200, response.content
    assert response["Content-Type"].startswith("text/plain; version=")
    return {
        sample.name + str(sorted(sample.labels.items())): sample.value
        for family in text_string_to_metric_families(response.content.decode())
        for sample in family.samples
    }


@pytest.fixture
def allowed(settings):
    settings.SHIXUN_METRICS_TOKEN = TOKEN
    settings.SHIXUN_METRICS_ALLOWED_IPS = []
    return {"HTTP_AUTHORIZATION": f"Bearer {TOKEN}"}


@pytest.mark.django_db
def test_nobody_reads_metrics_by_default(client, settings):
    assert settings.SHIXUN_METRICS_TOKEN == "" and settings.SHIXUN_METRICS_ALLOWED_IPS == []
    response = client.get("/metrics")
    assert response.status_code == 403
    assert b"shixun_" not in response.content


@pytest.mark.django_db
def test_a_wrong_token_or_a_forwarded_address_is_refused(client, settings, allowed):
    settings.SHIXUN_METRICS_ALLOWED_IPS = ["10.0.0.0/8"]
    assert client.get("/metrics", HTTP_AUTHORIZATION="Bearer not-the-token").status_code == 403
    assert client.get("/metrics", HTTP_AUTHORIZATION=TOKEN).status_code == 403  # no scheme
    # The client's own address counts, not a header any client can write.
    assert client.get("/metrics", HTTP_X_FORWARDED_FOR="10.1.2.3").status_code == 403


@pytest.mark.django_db
def test_an_allowed_address_reads_metrics_without_a_token(client, settings):
    settings.SHIXUN_METRICS_ALLOWED_IPS = ["10.0.0.0/8"]
    assert client.get("/metrics", REMOTE_ADDR="10.20.30.40").status_code == 200
    assert client.get("/metrics", REMOTE_ADDR="192.168.1.9").status_code == 403


@pytest.mark.django_db
def test_request_latency_is_a_histogram_by_view_name_and_status_class(client, allowed):
    before = scrape(client, **allowed)
    key = "shixun_http_request_duration_seconds_count" + str(sorted({"view": "healthz", "status": "2xx"}.items()))

    def client_errors(metrics):
        return sum(v for k, v in metrics.items() if k.startswith("shixun_http_request_duration_seconds_count")
                   and "'4xx'" in k)

    client.get("/healthz")
    client.get("/healthz")
    client.get("/no-such-page-anywhere/")
    after = scrape(client, **allowed)
    assert after[key] - before.get(key, 0) == 2
    assert client_errors(after) - client_errors(before) == 1
    assert any(name.startswith("shixun_http_request_duration_seconds_bucket") for name in after)
    # A 404 is counted under its view and status class, never under its path (labels stay a bounded set).
    assert not any("no-such-page" in name for name in after)


@pytest.mark.django_db
def test_failed_tasks_and_posting_lag_are_reported(client, allowed, org):
    from django_q.models import Failure, Task

    metrics = scrape(client, **allowed)
    assert metrics["shixun_task_failures[]"] == 0
    assert metrics["shixun_posting_lag_seconds[]"] == 0
    assert metrics["shixun_queue_backlog[]"] == 0

    now = timezone.now()
    Task.objects.create(id="a" * 32, name="failed-one", func="shixun.transcripts.tasks.reconcile", started=now,
                        stopped=now, success=False, result="boom")
    course, modules = make_course(hours=["1.0"])
    enrol(org.teacher, course)
    with tasks_lost():
        complete(org.teacher, modules[0])
    ModuleCompletion.objects.update(completed_at=now - timedelta(minutes=20))

    metrics = scrape(client, **allowed)
    assert Failure.objects.count() == 1
    assert metrics["shixun_task_failures[]"] == 1
    assert 1150 < metrics["shixun_posting_lag_seconds[]"] < 1300
