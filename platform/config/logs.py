"""Structured logs: one JSON object per line, each with the request id and a pseudonymous user.

A small formatter of our own rather than python-json-logger: the standard
library already does the work (json.dumps of the record's fields), we want
exactly these fields and nothing a library adds, and every pinned package is
one more thing to audit and lock.

RequestContextMiddleware comes first in MIDDLEWARE: it takes the request id
from an incoming X-Request-ID header when it looks like one (a load balancer
or proxy made it, so one request can be followed across them), else makes one,
and returns it in the response's X-Request-ID header. While the request runs,
every log record carries it. The user is logged as an HMAC of their primary
key with SECRET_KEY, truncated: stable enough to follow one person's requests,
useless to anyone without the key, and never the username or a name.
"""

import functools
import json
import logging
import re
import time
import uuid
from contextvars import ContextVar
from datetime import UTC, datetime

from django.conf import settings
from django.utils.crypto import salted_hmac

from shixun.config.conf import shixun_settings

REQUEST_ID_HEADER = "X-Request-ID"
# What a request id from outside may look like: short, no spaces or quotes, so it
# cannot forge log fields or grow a log line without limit.
SANE_REQUEST_ID = re.compile(r"^[A-Za-z0-9._:@-]{8,128}$")

_current_request: ContextVar = ContextVar("shixun_current_request", default=None)
request_logger = logging.getLogger("shixun.requests")

# The views of the lean routes (config.lean_routes.ROUTES: the study heartbeat and the H5P xAPI statement), a
# few hundred to a thousand requests a second between them. A line for each ordinary answer would be most of
# the access log and 9% of a lean beat's instructions (callgrind), and tells an operator nothing the latency
# metric does not: their ordinary answers are logged at DEBUG (`access_log_level`; shixun.requests at DEBUG
# shows them), while each refused, failed or slow one keeps its INFO line. Whichever path answers (lean or
# Django's), the rule is the same.
FREQUENT_VIEWS = frozenset({"courses:study_heartbeat", "h5p:xapi"})

# LogRecord attributes every record has; anything else was passed with extra={…}.
_STANDARD_ATTRIBUTES = set(vars(logging.LogRecord("", 0, "", 0, "", (), None))) | {"message", "asctime"}


def pseudonymous_user_id(pk) -> str:
    return _pseudonym(pk, settings.SECRET_KEY)


@functools.lru_cache(maxsize=10_000)
def _pseudonym(pk, secret_key: str) -> str:
    """Kept per user and key: the HMAC (with the key derivation salted_hmac makes first) was a sixth of the work
    of each log line, and a process logs the same few thousand users over and over."""
    return salted_hmac("shixun.logs.user", str(pk), secret=secret_key).hexdigest()[:16]


def current_request_id() -> str | None:
    request = _current_request.get()
    return getattr(request, "request_id", None)


def current_user_pseudonym() -> str | None:
    """The signed-in user of the current request, only if something already loaded them.

    Reading request.user here would load the session (a query) for requests that
    never needed it, such as the health checks and static files.
    """
    request = _current_request.get()
    user = getattr(request, "_cached_user", None) if request is not None else None
    if user is None or not getattr(user, "is_authenticated", False):
        return None
    return pseudonymous_user_id(user.pk)


# json.dumps(entry, ensure_ascii=False, default=str), without making a JSONEncoder for each line (json.dumps
# does whenever an argument is not its default). default=str: a record's extra may hold a request or a model.
_encode = json.JSONEncoder(ensure_ascii=False, default=str).encode


class JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        entry = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        if request_id := current_request_id():
            entry["request_id"] = request_id
        if user := current_user_pseudonym():
            entry["user"] = user
        for key, value in vars(record).items():
            if key not in _STANDARD_ATTRIBUTES and not key.startswith("_") and key not in entry:
                entry[key] = value
        if record.exc_info:
            entry["exception"] = self.formatException(record.exc_info)
        if record.stack_info:
            entry["stack"] = self.formatStack(record.stack_info)
        return _encode(entry)


def _incoming_request_id(request) -> str:
    # The environ's key for the header, read directly: request.headers builds a mapping of every header.
    candidate = request.META.get("HTTP_" + REQUEST_ID_HEADER.upper().replace("-", "_"), "")
    return candidate if SANE_REQUEST_ID.match(candidate) else uuid.uuid4().hex


def view_name(request) -> str:
    """The view's URL name for metrics and logs: a bounded set of labels, never the path itself."""
    match = getattr(request, "resolver_match", None)
    if match is None:
        return getattr(request, "shixun_view_name", "<unresolved>")
    return match.view_name or match._func_path


class RequestContextMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        token, started = begin_request(request)
        try:
            return finish_request(request, self.get_response(request), started)
        finally:
            _current_request.reset(token)


def begin_request(request):
    """The request's id and logging context (the caller resets the returned token); RequestContextMiddleware's
    first half, shared with the lean routes (config.lean_routes)."""
    request.request_id = _incoming_request_id(request)
    return _current_request.set(request), time.perf_counter()


def finish_request(request, response, started: float):
    """X-Request-ID, the latency metric and the access log line of a request begun with `begin_request`."""
    duration = time.perf_counter() - started
    response.headers[REQUEST_ID_HEADER] = request.request_id
    from .metrics import observe_request

    name = view_name(request)
    status = response.status_code
    observe_request(name, status, duration)
    level = access_log_level(name, status, duration)
    if request_logger.isEnabledFor(level):
        request_logger.log(
            level,
            "%s %s %s",
            request.method,
            name,
            status,
            extra={"method": request.method, "view": name, "status": status, "duration_ms": round(duration * 1000, 1)},
        )
    return response


def access_log_level(view: str, status: int, seconds: float) -> int:
    """INFO for every page, and for every refused, failed or slow request; DEBUG for a frequent view's ordinary
    answer (FREQUENT_VIEWS), which the latency metric counts all the same."""
    if view in FREQUENT_VIEWS and status < 400 and seconds * 1000 < shixun_settings.SHIXUN_ACCESS_LOG_SLOW_MS:
        return logging.DEBUG
    return logging.INFO


def reset_request_context(token) -> None:
    _current_request.reset(token)


def logging_config(*, level: str, json_lines: bool, sentry: bool, requests_level: str = "WARNING") -> dict:
    """The LOGGING setting. Errors of Django's request handling mail ADMINS unless Sentry takes them."""
    return {
        "version": 1,
        "disable_existing_loggers": False,
        "filters": {"require_debug_false": {"()": "django.utils.log.RequireDebugFalse"}},
        "formatters": {
            "json": {"()": "shixun.config.logs.JsonFormatter"},
            "text": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"},
        },
        "handlers": {
            "console": {"class": "logging.StreamHandler", "formatter": "json" if json_lines else "text"},
            "mail_admins": {
                "level": "ERROR",
                "filters": ["require_debug_false"],
                "class": "django.utils.log.AdminEmailHandler",
            },
        },
        "root": {"handlers": ["console"], "level": level},
        "loggers": {
            # Propagates to the console too; only the mail is decided here.
            "django": {"handlers": [] if sentry else ["mail_admins"], "level": "INFO"},
            "django.db.backends": {"level": "INFO"},
            # One line per request (view, status, duration, request id): production's
            # access log. Off in development, where runserver prints its own.
            "shixun.requests": {"level": requests_level},
            # Wagtail logs every page edit and every background search/reference
            # index task at INFO; the console should show what matters.
            "django_tasks": {"level": "WARNING"},
            "wagtail": {"level": "WARNING"},
        },
    }
