"""Health and readiness for a load balancer: /healthz and /readyz.

/healthz says the process answers and touches nothing else (no database), so
a load balancer does not restart every web process when the database blips.
/readyz checks what serving needs: database, cache, the queue's broker, the
queue's backlog, the age of the oldest completion still without credit (tasks
stalled or lost and reconciliation not catching up) and free disk for private
media; each limit is a setting (SHIXUN_READY_*). It answers 503 when any check
fails, with a JSON body naming each check: ok or not, and the measured number
against its limit. No error text: it could name hosts or credentials; the
exception goes to the log.

HealthCheckMiddleware answers both before sessions, authentication, the SSL
redirect and the host check run: a probe speaks plain HTTP to the process with
whatever Host it likes. It sits after the H5P content-origin middleware, which
answers 404 for them on the content host.
"""

import logging
import shutil
import uuid
from pathlib import Path

from django.core.cache import cache
from django.db import connection
from django.http import JsonResponse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_safe

from shixun.config.conf import shixun_settings

from .metrics import oldest_unposted_completion_age, queue_backlog

logger = logging.getLogger(__name__)

# Fixed paths (config/urls.py mounts the views here too, for their names and for tests).
HEALTHZ_PATH = "/healthz"
READYZ_PATH = "/readyz"


@require_safe
@never_cache
def healthz(request):
    return JsonResponse({"status": "ok"})


def _database():
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
        return cursor.fetchone()[0] == 1, {}


def _cache():
    key = f"shixun:readyz:{uuid.uuid4().hex}"
    cache.set(key, "1", timeout=10)
    found = cache.get(key) == "1"
    cache.delete(key)
    return found, {}


def _broker():
    from django_q.brokers import get_broker

    return bool(get_broker().ping()), {}


def _queue_backlog():
    limit = shixun_settings.SHIXUN_READY_MAX_QUEUE_BACKLOG
    backlog = queue_backlog()
    return backlog <= limit, {"value": backlog, "limit": limit}


def _posting_lag():
    limit = shixun_settings.SHIXUN_READY_MAX_POSTING_LAG_SECONDS
    age = round(oldest_unposted_completion_age())
    return age <= limit, {"value": age, "limit": limit}


def _private_media_disk():
    from django.core.files.storage import storages

    limit = shixun_settings.SHIXUN_READY_MIN_FREE_DISK_MB
    location = getattr(storages["private"], "location", None)
    if location is None:
        return True, {"value": None, "limit": limit}  # object storage: no local disk to fill
    path = Path(location)
    while not path.exists() and path != path.parent:
        path = path.parent  # the folder is created at the first upload
    free_mb = shutil.disk_usage(path).free // (1024 * 1024)
    return free_mb >= limit, {"value": free_mb, "limit": limit}


CHECKS = {
    "database": _database,
    "cache": _cache,
    "broker": _broker,
    "queue_backlog": _queue_backlog,
    "posting_lag_seconds": _posting_lag,
    "private_media_free_mb": _private_media_disk,
}


@require_safe
@never_cache
def readyz(request):
    results = {}
    for name, check in CHECKS.items():
        try:
            ok, detail = check()
        except Exception:
            logger.exception("readiness check %s failed", name)
            ok, detail = False, {}
        results[name] = {"ok": bool(ok), **detail}
    ready = all(result["ok"] for result in results.values())
    if not ready:
        logger.warning("not ready: %s", ", ".join(name for name, result in results.items() if not result["ok"]))
    return JsonResponse({"status": "ok" if ready else "unavailable", "checks": results}, status=200 if ready else 503)


class HealthCheckMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response
        self.views = {HEALTHZ_PATH: ("healthz", healthz), READYZ_PATH: ("readyz", readyz)}

    def __call__(self, request):
        name, view = self.views.get(request.path_info, (None, None))
        if view is not None and request.method in ("GET", "HEAD"):
            request.shixun_view_name = name  # no URL resolution ran: name it for logs and metrics
            return view(request)
        return self.get_response(request)
