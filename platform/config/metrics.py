"""Prometheus metrics: request latency, failed background tasks, posting lag.

prometheus-client (the Prometheus project's own library) rather than
django-prometheus: we need one histogram and a few gauges read from our own
tables, while django-prometheus would wrap every database and cache backend
and add two middlewares for figures nobody asked for.

Request latency is counted in each web process. With several gunicorn
workers, set PROMETHEUS_MULTIPROC_DIR to an empty directory (the same for all
of them, emptied at each start) so a scrape adds up every worker; without it
a scrape shows the one worker that answered. The queue and ledger figures are
read from the database at scrape time, so they are the same from any process.

The endpoint shows how busy the site is and which views fail, so it answers
only a client whose address is in SHIXUN_METRICS_ALLOWED_IPS or that sends
`Authorization: Bearer <SHIXUN_METRICS_TOKEN>`; with neither set it answers
nobody (README, "Production").
"""

import ipaddress
import os

from django.http import HttpResponse
from django.utils.crypto import constant_time_compare
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_safe
from prometheus_client import CONTENT_TYPE_LATEST, REGISTRY, CollectorRegistry, Histogram, generate_latest
from prometheus_client.core import GaugeMetricFamily

from shixun.config.conf import shixun_settings

REQUEST_LATENCY = Histogram(
    "shixun_http_request_duration_seconds",
    "Time to answer a request, by view (URL name) and status class.",
    ["view", "status"],
)


def observe_request(view: str, status_code: int, seconds: float) -> None:
    REQUEST_LATENCY.labels(view=view, status=f"{status_code // 100}xx").observe(seconds)


def oldest_unposted_completion_age() -> float:
    """Seconds since the oldest module completion that has no ledger entry yet (0 when none)."""
    from django.utils import timezone

    from shixun.transcripts.ledger import unposted_module_completions

    oldest = unposted_module_completions().order_by("completed_at").values_list("completed_at", flat=True).first()
    return max(0.0, (timezone.now() - oldest).total_seconds()) if oldest else 0.0


def queue_backlog() -> int:
    from django_q.brokers import get_broker

    return get_broker().queue_size() or 0


class DatabaseCollector:
    """Figures read at scrape time from the queue's and the ledger's tables."""

    def collect(self):
        from django_q.models import Failure

        failures = GaugeMetricFamily(
            "shixun_task_failures", "Background tasks that failed and are kept in django-q2's Failure table."
        )
        failures.add_metric([], Failure.objects.count())
        yield failures
        backlog = GaugeMetricFamily("shixun_queue_backlog", "Tasks waiting in the broker's queue.")
        backlog.add_metric([], queue_backlog())
        yield backlog
        lag = GaugeMetricFamily(
            "shixun_posting_lag_seconds", "Age of the oldest module completion without a ledger entry (0: none)."
        )
        lag.add_metric([], oldest_unposted_completion_age())
        yield lag


def _registry_text() -> bytes:
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        from prometheus_client import multiprocess

        process_registry = CollectorRegistry()
        multiprocess.MultiProcessCollector(process_registry)
    else:
        process_registry = REGISTRY
    database = CollectorRegistry()
    database.register(DatabaseCollector())
    return generate_latest(process_registry) + generate_latest(database)


def _client_allowed(request) -> bool:
    token = shixun_settings.SHIXUN_METRICS_TOKEN
    if token:
        scheme, _, given = request.headers.get("Authorization", "").partition(" ")
        if scheme.lower() == "bearer" and constant_time_compare(given.strip(), token):
            return True
    # REMOTE_ADDR, never X-Forwarded-For (which any client can write). Behind a
    # proxy on the same host every request comes from the proxy: use the token.
    try:
        address = ipaddress.ip_address(request.META.get("REMOTE_ADDR", ""))
    except ValueError:
        return False
    return any(address in ipaddress.ip_network(net, strict=False) for net in shixun_settings.SHIXUN_METRICS_ALLOWED_IPS)


@require_safe
@never_cache
def metrics(request):
    if not _client_allowed(request):
        return HttpResponse("Forbidden\n", status=403, content_type="text/plain")
    return HttpResponse(_registry_text(), content_type=CONTENT_TYPE_LATEST)
